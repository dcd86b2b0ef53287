import Nets
import Store

// A stored train artifact's actor, rebuilt for export: the artifact keeps each
// network as PyTorch's `nn.Sequential(...).state_dict()` (`weights/actor/0.weight`
// of shape (out, in), `weights/actor/0.bias`, then 2.weight, …) and how to
// rebuild it in its `networks` attribute (widths, activations, head). The
// action bounds are the environment's, which the artifact does not repeat, so
// the caller passes them (Report does not depend on Envs).

/// The environment's action space as the export needs it.
public enum ExportActionSpace: Sendable, Equatable {
    case box(low: [Float], high: [Float])
    case discrete(Int)
}

/// Why a stored object cannot be read as a trained actor.
public enum ArtifactActorError: Error, Equatable, CustomStringConvertible {
    case notTrain(key: String, kind: String)
    case malformed(key: String, what: String)
    case unsupported(key: String, what: String)

    public var description: String {
        switch self {
        case .notTrain(let key, let kind): return "object \(key.prefix(12)) is a '\(kind)' artifact, not a train artifact"
        case .malformed(let key, let what): return "object \(key.prefix(12)): \(what)"
        case .unsupported(let key, let what): return "object \(key.prefix(12)) cannot be exported: \(what)"
        }
    }
}

/// What a train artifact's `spec` attribute says the run was.
public struct TrainRunDescription: Sendable, Equatable {
    public let key: String
    public let algorithm: String
    public let environment: String
    public let actorHidden: [Int]
    public let criticHidden: [Int]
    public let seed: String
    public let steps: Int
    /// The resolved hyper-parameters (canonical JSON object).
    public let config: [String: CanonicalJSON]

    /// Reads the spec of a train artifact; anything else is refused with a reason.
    public init(_ artifact: Artifact) throws {
        let key = artifact.attributes["key"] ?? "?"
        let kind = artifact.attributes["kind"] ?? "unknown"
        guard kind == "train" else { throw ArtifactActorError.notTrain(key: key, kind: kind) }
        guard let text = artifact.attributes["spec"], case .object(let spec)? = try? CanonicalJSON(parsing: text) else {
            throw ArtifactActorError.malformed(key: key, what: "no readable 'spec' attribute")
        }
        func sizes(_ name: String) throws -> [Int] {
            guard case .array(let a)? = spec[name] else { throw ArtifactActorError.malformed(key: key, what: "spec has no '\(name)' sizes") }
            return try a.map {
                guard case .integer(let i) = $0 else { throw ArtifactActorError.malformed(key: key, what: "spec '\(name)' is not a list of integers") }
                return Int(i)
            }
        }
        guard case .string(let algorithm)? = spec["algorithm"], case .string(let env)? = spec["env"] else {
            throw ArtifactActorError.malformed(key: key, what: "spec names no algorithm or environment")
        }
        self.key = key
        self.algorithm = algorithm
        self.environment = env
        actorHidden = try sizes("actor")
        criticHidden = try sizes("critic")
        switch spec["seed"] {
        case .integer(let s)?: seed = String(s)
        case .string(let s)?: seed = s
        default: seed = "?"
        }
        if case .integer(let s)? = spec["steps"] { steps = Int(s) } else { steps = 0 }
        if case .object(let c)? = spec["config"] { config = c } else { config = [:] }
    }
}

extension MLP {
    /// Rebuilds a network from PyTorch-style tensors `prefix/0.weight` (out × in),
    /// `prefix/0.bias`, `prefix/2.weight`, … (the layout `TrainNode.stateDict(of:)` writes).
    static func fromTorchStateDict(_ arrays: [String: ShapedArray], prefix: String, widths: [Int],
                                   hiddenActivation: Activation, outputActivation: Activation) -> MLP? {
        guard widths.count >= 2, widths.allSatisfy({ $0 > 0 }) else { return nil }
        var rng = Xoshiro256(seed: 0)   // every parameter is overwritten below
        var net = MLP(inputs: widths[0], hidden: Array(widths.dropFirst().dropLast()), outputs: widths[widths.count - 1],
                      hiddenActivation: hiddenActivation, outputActivation: outputActivation, rng: &rng)
        for l in 0..<net.layerCount {
            let fanIn = widths[l], fanOut = widths[l + 1]
            guard let w = arrays["\(prefix)/\(2 * l).weight"], w.shape == [fanOut, fanIn],
                  let b = arrays["\(prefix)/\(2 * l).bias"], b.shape == [fanOut] else { return nil }
            let wv = w.doubles, bv = b.doubles
            let base = net.layerRange(l).lowerBound
            // Torch's W is (out, in); ours is Wᵀ, row-major fanIn × fanOut.
            for i in 0..<fanIn { for o in 0..<fanOut { net.parameters[base + i * fanOut + o] = Float(wv[o * fanIn + i]) } }
            for o in 0..<fanOut { net.parameters[base + fanIn * fanOut + o] = Float(bv[o]) }
        }
        return net
    }
}

extension ExportableActor {
    /// The actor of a stored train artifact, with the head its agent evaluates
    /// with: `action` (DDPG, TD3) → limit · tanh-output, `mean_log_std` (SAC) →
    /// limit · tanh(μ), `mean` (PPO, TRPO on boxes) → μ clipped to the bounds,
    /// `logits` → argmax. `actionSpace` is the environment's (from Envs' registry).
    ///
    /// Refused: objects that are not train artifacts, actors that normalise
    /// their observations with running statistics (PPO/TRPO with
    /// `normalize_observations`: the artifact does not keep the filter, so no
    /// export could act like the trained agent), shapes that disagree.
    public init(artifact: Artifact, actionSpace: ExportActionSpace) throws {
        let run = try TrainRunDescription(artifact)
        let key = run.key
        if case .bool(true)? = run.config["normalize_observations"] {
            throw ArtifactActorError.unsupported(key: key, what: "its \(run.algorithm) actor reads observations through a running normaliser whose statistics the artifact does not store")
        }
        guard let text = artifact.attributes["networks"], case .object(let networks)? = try? CanonicalJSON(parsing: text),
              case .object(let actor)? = networks["actor"] else {
            throw ArtifactActorError.malformed(key: key, what: "no 'networks' attribute describing an actor")
        }
        guard case .array(let w)? = actor["widths"], case .string(let hiddenName)? = actor["hidden_activation"],
              case .string(let outputName)? = actor["output_activation"], case .string(let headName)? = actor["head"],
              let hidden = Activation(rawValue: hiddenName), let output = Activation(rawValue: outputName) else {
            throw ArtifactActorError.malformed(key: key, what: "the actor's description lacks widths, activations or head")
        }
        let widths = w.compactMap { v -> Int? in if case .integer(let i) = v { return Int(i) }; return nil }
        guard widths.count == w.count,
              let net = MLP.fromTorchStateDict(artifact.arrays, prefix: "weights/actor", widths: widths,
                                               hiddenActivation: hidden, outputActivation: output) else {
            throw ArtifactActorError.malformed(key: key, what: "the actor's weights (weights/actor/*) do not match its widths \(w.map(\.text))")
        }
        let head: ActorHead
        switch (headName, actionSpace) {
        case ("action", .box(let low, let high)) where zip(low, high).allSatisfy({ $0 == -$1 }):
            head = .tanhDeterministic(actionLimit: high)
        case ("mean_log_std", .box(let low, let high)) where zip(low, high).allSatisfy({ $0 == -$1 }):
            head = .squashedGaussianMean(actionLimit: high)
        case ("mean", .box(let low, let high)):
            head = .gaussianMean(low: low, high: high)
        case ("logits", .discrete(let n)):
            head = .argmax(actionCount: n)
        default:
            throw ArtifactActorError.unsupported(key: key, what: "an actor head '\(headName)' does not fit the action space \(actionSpace)")
        }
        try self.init(network: net, head: head)
    }
}
