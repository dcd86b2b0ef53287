import Nets
import Envs

// The network pieces DDPG, TD3 and SAC share (Spinning Up's `core.py`): how an
// actor and a Q-function are built, how [o, a] is fed to a critic and how
// dQ/da comes back out of it, plus preallocated scratch. The algorithms never
// build a layer or allocate in an update.

// MARK: - Networks

/// Builds the networks of an off-policy actor-critic from independent size lists.
enum ActorCriticBuilder {
    /// A deterministic actor o → tanh(·) ∈ [-1, 1]^A, scaled by the action
    /// limit in `TanhDeterministicHead` (Spinning Up's `MLPActor`).
    /// `hidden: []` is one linear layer + tanh: the toy problem's 1-neuron actor.
    static func deterministicActor(observationCount: Int, actionCount: Int, hidden: [Int],
                                   rng: inout Xoshiro256) -> MLP {
        MLP(inputs: observationCount, hidden: hidden, outputs: actionCount,
            hiddenActivation: .relu, outputActivation: .tanh, rng: &rng)
    }

    /// Q(o, a): an MLP over the concatenation [o, a] with one linear output
    /// (Spinning Up's `MLPQFunction`). `hidden: []` is a linear critic.
    static func qFunction(observationCount: Int, actionCount: Int, hidden: [Int], rng: inout Xoshiro256) -> MLP {
        MLP(inputs: observationCount + actionCount, hidden: hidden, outputs: 1,
            hiddenActivation: .relu, outputActivation: .identity, rng: &rng)
    }

    /// The symmetric action limit of a box space; DDPG, TD3 and SAC (like Spinning
    /// Up) scale a tanh output by it, so bounds must be symmetric.
    static func actionLimit(_ space: Space, algorithm: Algorithm) throws -> [Float] {
        guard case .box(let low, let high) = space else {
            throw AgentError.unsupported("\(algorithm.rawValue) needs a continuous (Box) action space; use sac for discrete actions")
        }
        for j in low.indices where low[j] != -high[j] {
            throw AgentError.unsupported("\(algorithm.rawValue) needs symmetric action bounds (got [\(low[j]), \(high[j])])")
        }
        return high
    }
}

// MARK: - Scratch

/// A preallocated Float buffer: an owning handle (allocated once in `init`,
/// freed in `deinit`) so updates write into fixed memory and allocate nothing.
final class Scratch: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(_ count: Int) {
        self.count = max(count, 1)
        pointer = .allocate(capacity: self.count)
        pointer.initialize(repeating: 0, count: self.count)
    }
    deinit { pointer.deallocate() }
    @inline(__always) subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}

/// A minibatch of transitions as raw rows (valid during one `update` call).
public struct TransitionBatch {
    public let size: Int
    public let observations: UnsafePointer<Float>
    public let actions: UnsafePointer<Float>
    public let rewards: UnsafePointer<Float>
    public let nextObservations: UnsafePointer<Float>
    public let dones: UnsafePointer<Float>
}

// MARK: - Critic input and output helpers

/// Writes rows [o_r, a_r] (batch × (O + A)) into `input`: the critic's input.
@inline(__always)
func concatenate(_ observations: UnsafePointer<Float>, _ actions: UnsafePointer<Float>, batch: Int,
                 observationCount o: Int, actionCount a: Int, into input: UnsafeMutablePointer<Float>) {
    let width = o + a
    for r in 0..<batch {
        let row = input + r * width
        let obs = observations + r * o, act = actions + r * a
        for k in 0..<o { row[k] = obs[k] }
        for k in 0..<a { row[o + k] = act[k] }
    }
}

/// dL/da: columns O..<O+A of the critic's input gradient, written to `out`
/// (batch × A), or added to it when `accumulate`.
@inline(__always)
func actionColumns(of inputGradient: UnsafePointer<Float>, batch: Int, observationCount o: Int, actionCount a: Int,
                   into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
    let width = o + a
    for r in 0..<batch {
        let row = inputGradient + r * width + o
        if accumulate { for j in 0..<a { out[r * a + j] += row[j] } }
        else { for j in 0..<a { out[r * a + j] = row[j] } }
    }
}

/// Mean squared error ½-free, as PyTorch's `((q − y)²).mean()`, and its
/// gradient dL/dq = 2(q − y)/B written into `gradient`. Returns the loss.
@inline(__always)
func meanSquaredError(_ q: UnsafePointer<Float>, target y: UnsafePointer<Float>, batch: Int,
                      gradient: UnsafeMutablePointer<Float>) -> Double {
    var loss: Float = 0
    let scale = 2 / Float(batch)
    for r in 0..<batch {
        let d = q[r] - y[r]
        loss += d * d
        gradient[r] = scale * d
    }
    return Double(loss / Float(batch))
}

/// Clips each action to [−limit, limit] in place.
@inline(__always)
func clip(_ actions: UnsafeMutablePointer<Float>, batch: Int, limit: [Float]) {
    let a = limit.count
    limit.withUnsafeBufferPointer { l in
        for r in 0..<batch {
            for j in 0..<a { actions[r * a + j] = min(max(actions[r * a + j], -l[j]), l[j]) }
        }
    }
}

/// One loss value and the diagnostics that travel with it.
public struct UpdateInfo: Sendable {
    public var criticLoss: Double
    /// nil when the actor was not updated (TD3's delayed steps).
    public var actorLoss: Double?
    /// The entropy temperature used (SAC), nil otherwise.
    public var alpha: Double?
}
