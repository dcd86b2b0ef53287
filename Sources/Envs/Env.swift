import Nets

/// An action or observation space.
public enum Space: Sendable, Equatable, Codable {
    /// A bounded box of `low.count` dimensions.
    case box(low: [Float], high: [Float])
    /// `n` discrete actions 0..<n (the action arrives as one Float holding the index).
    case discrete(Int)

    /// Number of Floats a value of this space occupies (1 for discrete).
    public var flatCount: Int {
        switch self {
        case .box(let low, _): return low.count
        case .discrete: return 1
        }
    }

    /// Number of network outputs needed to act in this space (n logits for discrete).
    public var networkOutputs: Int {
        switch self {
        case .box(let low, _): return low.count
        case .discrete(let n): return n
        }
    }

    public var isDiscrete: Bool { if case .discrete = self { return true } else { return false } }
}

/// What one `step` returns besides the observation (written into the caller's buffer).
public struct StepOutcome: Sendable, Equatable {
    public var reward: Double
    /// The task ended (a terminal state: do not bootstrap the value past it).
    public var terminated: Bool
    /// The time limit cut the episode (bootstrap the value: the state is not terminal).
    public var truncated: Bool
    public init(reward: Double, terminated: Bool, truncated: Bool) {
        self.reward = reward; self.terminated = terminated; self.truncated = truncated
    }
    public var done: Bool { terminated || truncated }
}

/// The complete internal state of an environment, so training resumes bit for bit.
///
/// `values` holds every Double of the dynamics (for MuJoCo: time, qpos, qvel,
/// act, ctrl, warm start …), `rng` the environment's own generator, and
/// `elapsedSteps` the time-limit counter.
public struct EnvSnapshot: Codable, Sendable, Equatable {
    public var values: [Double]
    public var rng: Xoshiro256.State
    public var elapsedSteps: Int
    public init(values: [Double], rng: Xoshiro256.State, elapsedSteps: Int) {
        self.values = values; self.rng = rng; self.elapsedSteps = elapsedSteps
    }
}

/// An environment in the Gymnasium sense: reset, then step until terminated or truncated.
///
/// The hot path writes observations into caller-owned buffers so stepping
/// allocates nothing; `reset()`/`step(_:)` returning arrays are conveniences
/// (see the extension). Environments own their time limit: `step` sets
/// `truncated` when `elapsedSteps` reaches `maxEpisodeSteps`.
public protocol Env {
    /// Registry id with version, e.g. "Pendulum-v0".
    var id: String { get }
    var observationSpace: Space { get }
    var actionSpace: Space { get }
    var maxEpisodeSteps: Int { get }

    /// Re-seeds the environment's generator when `seed` is given, then starts an
    /// episode, writing the first observation into `observation`.
    mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>)

    /// Applies `action` (box: clipped to the bounds where the reference clips;
    /// discrete: `action[0]` is the index) and writes the next observation.
    mutating func step(_ action: UnsafeBufferPointer<Float>,
                       into observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome

    /// The complete internal state.
    func snapshot() -> EnvSnapshot
    /// Restores a state taken by `snapshot()` from an environment of the same id.
    mutating func restore(_ snapshot: EnvSnapshot) throws
}

extension Env {
    public var observationCount: Int { observationSpace.flatCount }
    public var actionCount: Int { actionSpace.flatCount }

    /// Allocating convenience around `reset(seed:into:)`.
    public mutating func reset(seed: UInt64? = nil) -> [Float] {
        var obs = [Float](repeating: 0, count: observationCount)
        obs.withUnsafeMutableBufferPointer { reset(seed: seed, into: $0) }
        return obs
    }

    /// Allocating convenience around `step(_:into:)`.
    public mutating func step(_ action: [Float]) -> (observation: [Float], outcome: StepOutcome) {
        var obs = [Float](repeating: 0, count: observationCount)
        let outcome = action.withUnsafeBufferPointer { a in
            obs.withUnsafeMutableBufferPointer { step(a, into: $0) }
        }
        return (obs, outcome)
    }
}

/// Errors about environments, each one readable sentence.
public enum EnvError: Error, Equatable, CustomStringConvertible {
    case unknownEnvironment(String, known: [String])
    case modelNotFound(path: String, hint: String)
    case modelLoad(path: String, message: String)
    case snapshotMismatch(env: String, expected: Int, got: Int)
    case invalidReplayInput(String)

    public var description: String {
        switch self {
        case .unknownEnvironment(let id, let known):
            return "unknown environment '\(id)' (expected one of: \(known.joined(separator: ", ")))"
        case .modelNotFound(let path, let hint):
            return "MuJoCo model not found at \(path); \(hint)"
        case .modelLoad(let path, let message):
            return "cannot load MuJoCo model \(path): \(message)"
        case .snapshotMismatch(let env, let expected, let got):
            return "snapshot for \(env) has \(got) values, expected \(expected)"
        case .invalidReplayInput(let message):
            return "invalid replay input: \(message)"
        }
    }
}
