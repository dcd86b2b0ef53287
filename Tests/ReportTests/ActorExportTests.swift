import Foundation
import Nets
import Testing
@testable import Report

/// Compiles `actor.c` with `cc -std=c99 -Wall -Werror` beside a harness that
/// feeds it every observation and prints each action with nine significant
/// digits (enough to round-trip a Float), and returns the actions.
func runExportedActor(_ actor: ExportableActor, observations: [[Float]]) throws -> [[Float]] {
    let dir = try temporaryDirectory("export")
    defer { try? FileManager.default.removeItem(at: dir) }
    try actor.cSource(comment: "test export").write(to: dir.appendingPathComponent("actor.c"), atomically: true, encoding: .utf8)
    var harness = "#include <stdio.h>\nvoid actor(const float *obs, float *act);\n"
    harness += cArray("OBS", observations.flatMap { $0 })
    harness += """
    int main(void)
    {
        float act[\(actor.actionCount)];
        int r, j;
        for (r = 0; r < \(observations.count); r++) {
            actor(OBS + r * \(actor.observationCount), act);
            for (j = 0; j < \(actor.actionCount); j++) printf("%.9g\\n", (double)act[j]);
        }
        return 0;
    }

    """
    try harness.write(to: dir.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
    let build = try run("cc", ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O2",
                               "-o", "actor", "actor.c", "main.c", "-lm"], in: dir)
    #expect(build.status == 0, "cc failed: \(build.err)")
    guard build.status == 0 else { return [] }
    let result = try run(dir.appendingPathComponent("actor").path, [], in: dir)
    let values = result.out.split(separator: "\n").map { Float(String($0))! }
    return stride(from: 0, to: values.count, by: actor.actionCount).map { Array(values[$0..<($0 + actor.actionCount)]) }
}

/// A network with PyTorch-style initial weights scaled up, so activations
/// reach tanh's saturation and ReLU's cut-off often.
func randomNetwork(inputs: Int, hidden: [Int], outputs: Int, hiddenActivation: Activation,
                   outputActivation: Activation, scale: Float, seed: UInt64) -> MLP {
    var rng = Xoshiro256(seed: seed)
    var net = MLP(inputs: inputs, hidden: hidden, outputs: outputs, hiddenActivation: hiddenActivation,
                  outputActivation: outputActivation, rng: &rng)
    for i in net.parameters.indices { net.parameters[i] *= scale }
    return net
}

func randomObservations(_ count: Int, dimension: Int, spread: Float, seed: UInt64) -> [[Float]] {
    var rng = Xoshiro256(seed: seed)
    return (0..<count).map { _ in (0..<dimension).map { _ in rng.normalFloat(mean: 0, std: spread) } }
}

@Suite("C export")
struct ActorExportTests {
    /// Checks the C against Swift on 1,000 random observations: within 1e-5
    /// always, and bit for bit when every layer is small enough for Nets'
    /// sgemm-free loop (the C's summation order is that loop's).
    func check(_ actor: ExportableActor, bitExact: Bool, spread: Float = 2, seed: UInt64 = 7) throws {
        let observations = randomObservations(1000, dimension: actor.observationCount, spread: spread, seed: seed)
        let c = try runExportedActor(actor, observations: observations)
        try #require(c.count == observations.count)
        var worst: Float = 0, differing = 0
        for (o, got) in zip(observations, c) {
            let want = actor.action(o)
            for (x, y) in zip(got, want) {
                worst = max(worst, abs(x - y))
                if x != y { differing += 1 }
            }
        }
        // The observations must exercise the network, not land on one constant action.
        #expect(Set(c.map { $0[0] }).count > (actor.head == .argmax(actionCount: 3) ? 2 : 100))
        #expect(worst <= 1e-5, "largest |C − Swift| = \(worst)")
        if bitExact { #expect(differing == 0, "\(differing) actions differ in their bits (largest \(worst))") }
    }

    @Test("DDPG/TD3 ReLU actor [16,16]: C equals the Swift forward bit for bit")
    func reluDeterministic() throws {
        let net = randomNetwork(inputs: 3, hidden: [16, 16], outputs: 1, hiddenActivation: .relu,
                                outputActivation: .tanh, scale: 3, seed: 1)
        try check(ExportableActor(network: net, head: .tanhDeterministic(actionLimit: [2])), bitExact: true)
    }

    @Test("The toy problem's 1-neuron actor (hidden []) exports and matches")
    func emptyHidden() throws {
        let net = randomNetwork(inputs: 1, hidden: [], outputs: 1, hiddenActivation: .relu,
                                outputActivation: .tanh, scale: 1, seed: 2)
        try check(ExportableActor(network: net, head: .tanhDeterministic(actionLimit: [1])), bitExact: true)
    }

    @Test("PPO tanh actor [64,64] with an observation filter and clipped mean matches bit for bit")
    func tanhGaussianWithNormalizer() throws {
        let net = randomNetwork(inputs: 11, hidden: [64, 64], outputs: 2, hiddenActivation: .tanh,
                                outputActivation: .identity, scale: 4, seed: 3)
        var rng = Xoshiro256(seed: 33)
        let normalizer = ObservationNormalizer(mean: (0..<11).map { _ in rng.uniform(-1, 1) },
                                               variance: (0..<11).map { _ in rng.uniform(0.01, 4) })
        let actor = try ExportableActor(network: net, head: .gaussianMean(low: [-1, -1], high: [1, 1]),
                                        normalizer: normalizer)
        try check(actor, bitExact: true, spread: 5)
    }

    @Test("SAC actor: limit · tanh(μ), log σ columns left out of the export")
    func squashedGaussianMean() throws {
        let net = randomNetwork(inputs: 11, hidden: [32, 32], outputs: 4, hiddenActivation: .relu,
                                outputActivation: .identity, scale: 3, seed: 4)
        let actor = try ExportableActor(network: net, head: .squashedGaussianMean(actionLimit: [1, 1]))
        #expect(actor.exportedParameterCount == ParameterCount.mlp(inputs: 11, hidden: [32, 32], outputs: 2))
        try check(actor, bitExact: true)
    }

    @Test("Discrete actor: the argmax of the logits")
    func argmax() throws {
        let net = randomNetwork(inputs: 6, hidden: [8, 8], outputs: 3, hiddenActivation: .tanh,
                                outputActivation: .identity, scale: 2, seed: 5)
        try check(ExportableActor(network: net, head: .argmax(actionCount: 3)), bitExact: true)
    }

    @Test("An sgemm-sized actor [400,300] matches within 1e-5")
    func large() throws {
        let net = randomNetwork(inputs: 17, hidden: [400, 300], outputs: 6, hiddenActivation: .relu,
                                outputActivation: .tanh, scale: 1, seed: 6)
        try check(ExportableActor(network: net, head: .tanhDeterministic(actionLimit: [Float](repeating: 1, count: 6))),
                  bitExact: false)
    }

    @Test("Footprint: 4 bytes per weight, ping-pong buffers of the widest layer")
    func footprint() throws {
        let net = randomNetwork(inputs: 3, hidden: [4, 4], outputs: 1, hiddenActivation: .relu,
                                outputActivation: .tanh, scale: 1, seed: 8)
        let actor = try ExportableActor(network: net, head: .tanhDeterministic(actionLimit: [2]))
        #expect(actor.exportedParameterCount == 41)            // Table 1's Pendulum [4,4] actor
        #expect(actor.flashBytes == 41 * 4 + 4)                 // weights + the action limit
        #expect(actor.ramBytes == 2 * 4 * 4)
        #expect(actor.cSource().contains("void actor(const float *obs, float *act)"))
    }

    @Test("Shapes that do not fit the head are refused with a reason")
    func refusesMismatch() {
        let net = randomNetwork(inputs: 3, hidden: [4], outputs: 2, hiddenActivation: .relu,
                                outputActivation: .identity, scale: 1, seed: 9)
        #expect(throws: ActorExportError.self) { try ExportableActor(network: net, head: .tanhDeterministic(actionLimit: [1, 1])) }
        #expect(throws: ActorExportError.self) { try ExportableActor(network: net, head: .argmax(actionCount: 3)) }
    }
}
