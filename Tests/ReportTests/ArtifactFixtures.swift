import Foundation
import Nets
import Store
@testable import Report

// Hand-made train artifacts laid out as Pipeline's TrainNode.makeArtifact
// writes them: attributes kind/key/spec/networks, metrics as (N, 2) arrays,
// `eval` the final evaluation's episode returns, the networks as PyTorch
// state dicts under weights/<name>/.

/// A 64-hex-digit key from a number.
func fixtureKey(_ n: Int) -> String {
    String(repeating: "0", count: 48) + String(format: "%016x", n)
}

/// `network` as `nn.Sequential(...).state_dict()`: `2l.weight` (out × in), `2l.bias`.
func torchArrays(_ network: MLP, prefix: String) -> [String: ShapedArray] {
    var out: [String: ShapedArray] = [:]
    for l in 0..<network.layerCount {
        let fanIn = network.widths[l], fanOut = network.widths[l + 1]
        let base = network.layerRange(l).lowerBound
        var w = [Float](repeating: 0, count: fanIn * fanOut)
        for i in 0..<fanIn { for o in 0..<fanOut { w[o * fanIn + i] = network.parameters[base + i * fanOut + o] } }
        out["\(prefix)/\(2 * l).weight"] = ShapedArray(w, shape: [fanOut, fanIn])
        out["\(prefix)/\(2 * l).bias"] = ShapedArray(Array(network.parameters[(base + fanIn * fanOut)..<(base + fanIn * fanOut + fanOut)]), shape: [fanOut])
    }
    return out
}

struct FixtureRun {
    var algorithm: String, environment: String
    var actor: [Int], critic: [Int], seed: UInt64
    var steps: Int
    var observationCount: Int, actorOutputs: Int
    var head: String = "action"
    var hiddenActivation: Activation = .relu
    var outputActivation: Activation = .tanh
    var config: [String: CanonicalJSON] = [:]
    var metrics: [(name: String, series: [(step: Int, value: Double)])] = []
    var eval: [Double] = []
}

func makeArtifact(_ r: FixtureRun, key: String) -> Artifact {
    var artifact = Artifact()
    let spec = CanonicalJSON.object([
        "kind": .string("train"), "algorithm": .string(r.algorithm), "env": .string(r.environment),
        "actor": .array(r.actor.map { .integer(Int64($0)) }), "critic": .array(r.critic.map { .integer(Int64($0)) }),
        "config": .object(r.config), "steps": .integer(Int64(r.steps)), "seed": .integer(Int64(r.seed)),
        "evaluation": .object(["episodes": .integer(Int64(r.eval.count)), "seed_offset": .integer(1_000_003)]),
    ])
    var rng = Xoshiro256(seed: r.seed &+ UInt64(r.actor.reduce(7, +)))
    let actor = MLP(inputs: r.observationCount, hidden: r.actor, outputs: r.actorOutputs,
                    hiddenActivation: r.hiddenActivation, outputActivation: r.outputActivation, rng: &rng)
    let networks = CanonicalJSON.object(["actor": .object([
        "widths": .array(actor.widths.map { .integer(Int64($0)) }),
        "hidden_activation": .string(r.hiddenActivation.rawValue),
        "output_activation": .string(r.outputActivation.rawValue),
        "head": .string(r.head),
    ])])
    artifact.attributes = ["kind": "train", "key": key, "spec": spec.text, "networks": networks.text,
                           "summary": "{}", "numerics": "openblas/test", "tool_version": "test"]
    for m in r.metrics { artifact.setMetric(m.name, m.series) }
    artifact.arrays["eval"] = ShapedArray(r.eval)
    for (name, array) in torchArrays(actor, prefix: "weights/actor") { artifact.arrays[name] = array }
    return artifact
}

/// A deterministic noise in [-1, 1] from integers (no generator state to thread through).
func jitter(_ a: Int, _ b: Int, _ c: Int) -> Double {
    var x = UInt64(truncatingIfNeeded: a &* 73_856_093 ^ b &* 19_349_663 ^ c &* 83_492_791) &+ 0x9E37_79B9_7F4A_7C15
    x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
    x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
    x ^= x >> 31
    return Double(x >> 11) / Double(1 << 52) - 1
}

/// Learning curves as a run would log them: returns rising from `start` to
/// `final` (one per episode of `episodeLength` steps), a loss decaying from
/// `loss0` to `loss1` every `logEvery` steps, and the final evaluation.
func trainedRun(_ base: FixtureRun, start: Double, final: Double, loss0: Double, loss1: Double,
                episodeLength: Int, logEvery: Int, lossMetric: String = "loss/critic", variableEpisodes: Bool = false) -> FixtureRun {
    var r = base
    let s = Int(r.seed), size = r.actor.reduce(1, +) + 31 * r.critic.reduce(1, +)
    var returns: [(step: Int, value: Double)] = []
    var step = 0, episode = 0
    while true {
        let length = variableEpisodes ? episodeLength / 2 + Int((jitter(s, size, episode) + 1) * Double(episodeLength) / 2) : episodeLength
        step += length
        if step > r.steps { break }
        let progress = Double(step) / Double(r.steps)
        let mean = final + (start - final) * exp(-5 * progress)
        returns.append((step, mean + 0.08 * abs(final - start) * jitter(s, size, episode)))
        episode += 1
    }
    var losses: [(step: Int, value: Double)] = []
    for k in stride(from: logEvery, through: r.steps, by: logEvery) {
        let progress = Double(k) / Double(r.steps)
        losses.append((k, loss1 + (loss0 - loss1) * exp(-4 * progress) * (1 + 0.2 * jitter(s, size, k))))
    }
    r.metrics = [("train/episode_return", returns), (lossMetric, losses)]
    r.eval = (0..<5).map { final + 0.01 * abs(final - start) * jitter(s, size, 10_000 + $0) }
    return r
}
