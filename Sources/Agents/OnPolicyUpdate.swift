#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nets
import Envs

// What the on-policy updates (PPO, TRPO) share: gradient clipping, minibatch
// shuffling, advantage normalisation and the minibatch buffers.


/// Global gradient-norm clipping over the policy's and value network's
/// gradients taken as one vector (Nets' `clipGradientNorm`, as Baselines'
/// `tf.clip_by_global_norm`). The buffers are handed over, not copied.
/// Returns the norm before clipping.
@discardableResult
func clipGlobalNorm(policy: inout StochasticPolicy, value: inout MLP, maxNorm: Float) -> Float {
    var gradients = [policy.net.gradients, policy.logStdGradient, value.gradients]
    policy.net.gradients = []; policy.logStdGradient = []; value.gradients = []
    let norm = clipGradientNorm(&gradients, maxNorm: maxNorm)
    policy.net.gradients = gradients[0]; policy.logStdGradient = gradients[1]; value.gradients = gradients[2]
    return norm
}

/// Fisher–Yates over the first `count` indices, reset to 0..<count first so
/// every permutation depends only on the generator.
func shuffleIndices(_ idx: UnsafeMutablePointer<Int>, count n: Int, rng: inout Xoshiro256) {
    for i in 0..<n { idx[i] = i }
    var i = n - 1
    while i > 0 {
        let j = rng.index(below: i + 1)
        let t = idx[i]; idx[i] = idx[j]; idx[j] = t
        i -= 1
    }
}

/// (x − mean)/(std + 1e-8) over `count` values, std with ddof 0 (numpy's, as Baselines).
func normalizeInPlace(_ x: UnsafeMutablePointer<Float>, count n: Int) {
    var mean = 0.0
    for i in 0..<n { mean += Double(x[i]) }
    mean /= Double(n)
    var variance = 0.0
    for i in 0..<n { let d = Double(x[i]) - mean; variance += d * d }
    let std = (variance / Double(n)).squareRoot()
    let m = Float(mean), inv = Float(1 / (std + 1e-8))
    for i in 0..<n { x[i] = (x[i] - m) * inv }
}

/// The minibatch buffers and workspaces of an on-policy update, allocated once.
final class UpdateScratch: @unchecked Sendable {
    let observations, actions, advantages, targets, oldValues, oldLogProbs: FloatBuffer
    let logProbs, logProbGradient, valueGradient: FloatBuffer
    let indices: UnsafeMutablePointer<Int>
    let policyWorkspace: MLPWorkspace
    let valueWorkspace: MLPWorkspace
    let policyScratch: PolicyScratch

    init(batch: Int, rollout: Int, policy: StochasticPolicy, value: MLP) {
        observations = FloatBuffer(batch * policy.net.inputCount)
        actions = FloatBuffer(batch * policy.actionFloats)
        advantages = FloatBuffer(batch); targets = FloatBuffer(batch)
        oldValues = FloatBuffer(batch); oldLogProbs = FloatBuffer(batch)
        logProbs = FloatBuffer(batch); logProbGradient = FloatBuffer(batch); valueGradient = FloatBuffer(batch)
        indices = UnsafeMutablePointer<Int>.allocate(capacity: rollout)
        indices.initialize(repeating: 0, count: rollout)
        policyWorkspace = policy.net.makeWorkspace(batch: batch)
        valueWorkspace = value.makeWorkspace(batch: batch)
        policyScratch = PolicyScratch(capacity: batch, outputs: policy.outputCount)
    }

    deinit { indices.deallocate() }

    /// Copies the rollout rows `rows[0..<m]` into the minibatch buffers and, if
    /// asked, normalises the advantages over the minibatch (Baselines: (A − mean)/(std + 1e-8)).
    func gather(from buffer: RolloutBuffer, rows: UnsafePointer<Int>, count m: Int, valueTarget: ValueTarget,
                normalizeAdvantage: Bool) {
        let o = buffer.observationCount, a = buffer.actionCount
        let useToGo = valueTarget == .rewardToGo
        buffer.observations.withUnsafeBufferPointer { obs in
        buffer.actions.withUnsafeBufferPointer { act in
        buffer.advantages.withUnsafeBufferPointer { adv in
        buffer.returns.withUnsafeBufferPointer { ret in
        buffer.rewardsToGo.withUnsafeBufferPointer { togo in
        buffer.values.withUnsafeBufferPointer { val in
        buffer.logProbs.withUnsafeBufferPointer { lp in
            for r in 0..<m {
                let i = rows[r]
                (observations.p + r * o).update(from: obs.baseAddress! + i * o, count: o)
                (actions.p + r * a).update(from: act.baseAddress! + i * a, count: a)
                advantages[r] = adv[i]
                targets[r] = useToGo ? togo[i] : ret[i]
                oldValues[r] = val[i]
                oldLogProbs[r] = lp[i]
            }
        }}}}}}}
        if normalizeAdvantage && m > 1 { normalizeInPlace(advantages.p, count: m) }
    }
}

// MARK: - Checks and checkpoint helpers

/// Hidden sizes must be positive (the MLP would stop the process otherwise).
func validateHiddenSizes(_ spec: RunSpec) throws {
    for (name, sizes) in [("actor", spec.actorHidden), ("critic", spec.criticHidden)] where sizes.contains(where: { $0 <= 0 }) {
        throw AgentError.badValue(key: name, value: sizes.map(String.init).joined(separator: ","),
                                  expected: "positive hidden sizes")
    }
}



/// The policy (seed stream 1) and value network (stream 2) of an on-policy learner.
func makePolicyAndValue(spec: RunSpec, observationCount: Int, actionSpace: Space, activation: Activation,
                        logStdInit: Double, orthoInit: Bool) -> (StochasticPolicy, MLP) {
    var initRng = Xoshiro256(seed: spec.seed, stream: 1)
    let policy = StochasticPolicy(observationCount: observationCount, actionSpace: actionSpace,
                                  hidden: spec.actorHidden, activation: activation,
                                  logStdInit: Float(logStdInit), orthoInit: orthoInit, rng: &initRng)
    var valueRng = Xoshiro256(seed: spec.seed, stream: 2)
    let value = makeValueNetwork(observationCount: observationCount, hidden: spec.criticHidden,
                                 activation: activation, orthoInit: orthoInit, rng: &valueRng)
    return (policy, value)
}

/// A config value the algorithm cannot run with, naming its key.
func badValue(_ key: String, _ value: Any, _ expected: String) -> AgentError {
    .badValue(key: key, value: "\(value)", expected: expected)
}

extension StateDict {
    /// The weights of an on-policy learner: policy network, log σ, value network.
    mutating func setNetworks(policy: StochasticPolicy, value: MLP) {
        set("weights/policy", network: policy.net)
        floats["weights/log_std"] = policy.gaussian?.logStd ?? []
        set("weights/value", network: value)
    }

    func restoreNetworks(policy: inout StochasticPolicy, value: inout MLP) throws {
        try restore("weights/policy", into: &policy.net)
        if policy.gaussian != nil { policy.gaussian!.logStd = try float("weights/log_std", count: policy.logStdGradient.count) }
        try restore("weights/value", into: &value)
    }
}
