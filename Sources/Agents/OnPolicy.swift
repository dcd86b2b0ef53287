#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nets
import Envs

// The pieces PPO and TRPO share, in Spinning Up's `core.py` spirit: the
// stochastic policy, observation and reward normalisation, and the collector
// that steps `n_envs` environments into a `RolloutBuffer`. Each algorithm file
// keeps only what makes it that algorithm: its losses and its update.

/// What the value network regresses on.
public enum ValueTarget: String, Codable, Sendable, CaseIterable {
    /// The λ-return Â_t + V(s_t) (OpenAI Baselines ppo2, Stable-Baselines).
    case gae
    /// The discounted reward-to-go Σ γ^l r_{t+l} (Spinning Up's `ret_buf`).
    case rewardToGo = "reward_to_go"
}

// MARK: - Running statistics (Baselines' VecNormalize)

/// Running mean and variance merged batch by batch (Chan et al.'s parallel
/// formula), as Baselines' `RunningMeanStd`: starts at mean 0, variance 1 and a
/// pseudo-count of 1e-4.
public struct RunningMeanStd: Sendable, Equatable {
    public var mean: [Double]
    public var variance: [Double]
    public var count: Double

    public init(dimension: Int) {
        mean = [Double](repeating: 0, count: dimension)
        variance = [Double](repeating: 1, count: dimension)
        count = 1e-4
    }

    public var dimension: Int { mean.count }

    /// Merges `rows` rows of `x` (rows × dimension), read with row stride `stride`.
    public mutating func update(_ x: UnsafePointer<Float>, rows: Int, stride: Int? = nil) {
        let d = dimension, s = stride ?? d, n = Double(rows)
        for j in 0..<d {
            var m = 0.0
            for r in 0..<rows { m += Double(x[r * s + j]) }
            m /= n
            var v = 0.0
            for r in 0..<rows { let c = Double(x[r * s + j]) - m; v += c * c }
            v /= n
            let delta = m - mean[j], total = count + n
            let m2 = variance[j] * count + v * n + delta * delta * count * n / total
            mean[j] += delta * n / total
            variance[j] = m2 / total
        }
        count += n
    }

    /// Same update for doubles (the reward normaliser's running returns).
    public mutating func update(_ x: [Double]) {
        let n = Double(x.count)
        var m = 0.0
        for v in x { m += v }
        m /= n
        var v = 0.0
        for xi in x { v += (xi - m) * (xi - m) }
        v /= n
        let delta = m - mean[0], total = count + n
        let m2 = variance[0] * count + v * n + delta * delta * count * n / total
        mean[0] += delta * n / total
        variance[0] = m2 / total
        count += n
    }

    func stateDict() -> StateDict {
        var s = StateDict()
        s.doubles["mean"] = mean; s.doubles["variance"] = variance; s.doubles["count"] = [count]
        return s
    }

    mutating func load(_ s: StateDict) throws {
        mean = try s.double("mean", count: dimension)
        variance = try s.double("variance", count: dimension)
        count = try s.double("count", count: 1)[0]
    }
}

/// VecNormalize's constants: ε under the square root and the clip bound.
let normalizerEpsilon = 1e-8
let normalizerClip: Float = 10

extension RunningMeanStd {
    /// y = clip((x − mean)/√(var + ε), ±10) for one row.
    func normalize(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        for j in 0..<dimension {
            let z = Float((Double(x[j]) - mean[j]) / (variance[j] + normalizerEpsilon).squareRoot())
            y[j] = min(max(z, -normalizerClip), normalizerClip)
        }
    }
}

// MARK: - Orthogonal initialisation (Baselines, Stable-Baselines)

/// Baselines' `ortho_init(scale)` for every layer of `net`: W = gain·Q with Q
/// (fanIn × fanOut) having orthonormal columns (fanIn ≥ fanOut) or rows, drawn
/// from the Haar measure (Gram–Schmidt on Gaussian vectors, Saxe et al. 2014);
/// biases 0. Baselines and SB3 use gain √2 for hidden layers, 0.01 for the
/// policy output (actions start near the mean 0) and 1 for the value output.
func orthogonalInit(_ net: inout MLP, hiddenGain: Double, outputGain: Double, rng: inout Xoshiro256) {
    for l in 0..<net.layerCount {
        let fanIn = net.widths[l], fanOut = net.widths[l + 1]
        let gain = l == net.layerCount - 1 ? outputGain : hiddenGain
        // Orthonormalise min(fanIn, fanOut) Gaussian vectors of length max(fanIn, fanOut).
        let count = min(fanIn, fanOut), length = max(fanIn, fanOut)
        var q = [[Double]]()
        for _ in 0..<count {
            var v = (0..<length).map { _ in rng.normal() }
            for _ in 0..<2 {                      // twice is enough (Giraud et al. 2005)
                for u in q {
                    var d = 0.0
                    for i in 0..<length { d += u[i] * v[i] }
                    for i in 0..<length { v[i] -= d * u[i] }
                }
            }
            var norm = 0.0
            for x in v { norm += x * x }
            norm = norm.squareRoot()
            q.append(v.map { $0 / norm })
        }
        let range = net.layerRange(l), w = range.lowerBound
        for i in 0..<fanIn {
            for j in 0..<fanOut {
                // Columns of W are the vectors when fanIn ≥ fanOut, rows otherwise.
                let x = fanIn >= fanOut ? q[j][i] : q[i][j]
                net.parameters[w + i * fanOut + j] = Float(gain * x)
            }
        }
        for j in 0..<fanOut { net.parameters[w + fanIn * fanOut + j] = 0 }
    }
}

// MARK: - The stochastic policy

/// π(a | o) for PPO and TRPO: an MLP from observations to the distribution's
/// parameters, then either a diagonal Gaussian with a state-independent log σ
/// (continuous actions) or a categorical over logits (discrete actions).
/// The value network is always a separate `MLP` (never a shared trunk).
struct StochasticPolicy: Sendable, Equatable {
    var net: MLP
    /// Continuous actions: μ = net(o), σ = exp(logStd).
    var gaussian: DiagonalGaussianHead?
    /// Discrete actions: logits = net(o).
    let categorical: CategoricalHead?
    /// dL/dlog σ, accumulated like `net.gradients`.
    var logStdGradient: [Float]
    /// Action bounds (box spaces) applied when acting in the environment.
    let actionLow: [Float], actionHigh: [Float]

    init(observationCount: Int, actionSpace: Space, hidden: [Int], activation: Activation,
         logStdInit: Float, orthoInit: Bool, rng: inout Xoshiro256) {
        net = MLP(inputs: observationCount, hidden: hidden, outputs: actionSpace.networkOutputs,
                  hiddenActivation: activation, outputActivation: .identity, rng: &rng)
        if orthoInit { orthogonalInit(&net, hiddenGain: 2.0.squareRoot(), outputGain: 0.01, rng: &rng) }
        switch actionSpace {
        case .box(let low, let high):
            gaussian = DiagonalGaussianHead(actionCount: low.count, initialLogStd: logStdInit)
            categorical = nil
            actionLow = low; actionHigh = high
        case .discrete(let n):
            gaussian = nil
            categorical = CategoricalHead(actionCount: n)
            actionLow = []; actionHigh = []
        }
        logStdGradient = [Float](repeating: 0, count: gaussian?.actionCount ?? 0)
    }

    /// Floats per stored action (1 for a discrete index).
    var actionFloats: Int { gaussian?.actionCount ?? 1 }
    var outputCount: Int { net.outputCount }
    /// Policy parameters as TRPO sees them: the network's, then log σ.
    var flatCount: Int { net.parameterCount + (gaussian?.actionCount ?? 0) }

    mutating func zeroGradients() {
        net.zeroGradients()
        for j in logStdGradient.indices { logStdGradient[j] = 0 }
    }

    /// Samples one action per row of `observations` (batch × obs), writing the
    /// actions as sampled (unclipped) and their log π.
    func sample(observations: UnsafePointer<Float>, batch: Int, workspace: MLPWorkspace, scratch: PolicyScratch,
                rng: inout Xoshiro256, actions: UnsafeMutablePointer<Float>, logProbs: UnsafeMutablePointer<Float>) {
        let out = net.forward(observations, batch: batch, workspace: workspace)
        if let g = gaussian {
            let n = g.actionCount
            for r in 0..<batch {
                for j in 0..<n { scratch.noise[j] = Float(rng.normal()) }
                g.sample(mean: out + r * n, noise: scratch.noise, into: actions + r * n)
            }
            g.logProb(mean: out, actions: actions, batch: batch, into: logProbs)
        } else if let c = categorical {
            let n = c.actionCount
            c.logSoftmax(logits: out, batch: batch, into: scratch.logSoftmax)
            for r in 0..<batch {
                let a = c.sample(logProbs: scratch.logSoftmax + r * n, rng: &rng)
                actions[r] = Float(a)
                logProbs[r] = scratch.logSoftmax[r * n + a]
            }
        }
    }

    /// The deterministic action (mean, or most probable index) for one observation.
    func mode(observation: UnsafePointer<Float>, workspace: MLPWorkspace, into action: UnsafeMutablePointer<Float>) {
        let out = net.forward(observation, batch: 1, workspace: workspace)
        if let g = gaussian {
            for j in 0..<g.actionCount { action[j] = out[j] }
        } else if let c = categorical {
            action[0] = Float(c.mode(logits: out))
        }
    }

    /// Writes the action the environment receives: box actions clipped to the
    /// bounds (Baselines and SB3 clip only what they send; the buffer keeps the sample).
    func envAction(_ sampled: UnsafePointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        if gaussian != nil {
            for j in 0..<out.count { out[j] = min(max(sampled[j], actionLow[j]), actionHigh[j]) }
        } else {
            out[0] = sampled[0]
        }
    }

    /// log π(a|o) per row from the network `output` of the last forward
    /// (categorical: leaves log-softmax rows in `scratch.logSoftmax`).
    func logProbs(output: UnsafePointer<Float>, actions: UnsafePointer<Float>, batch: Int,
                  scratch: PolicyScratch, into lp: UnsafeMutablePointer<Float>) {
        if let g = gaussian {
            g.logProb(mean: output, actions: actions, batch: batch, into: lp)
        } else if let c = categorical {
            let n = c.actionCount
            c.logSoftmax(logits: output, batch: batch, into: scratch.logSoftmax)
            for r in 0..<batch { lp[r] = scratch.logSoftmax[r * n + Int(actions[r])] }
        }
    }

    /// Mean entropy over the rows of the last `logProbs` call.
    func meanEntropy(batch: Int, scratch: PolicyScratch) -> Float {
        if let g = gaussian { return g.entropy }
        guard let c = categorical else { return 0 }
        c.entropy(logProbs: scratch.logSoftmax, batch: batch, into: scratch.rowValues)
        var h: Float = 0
        for r in 0..<batch { h += scratch.rowValues[r] }
        return h / Float(batch)
    }

    /// Backpropagates a loss L given ∂L/∂log π per row and, for a loss
    /// term −c·mean_rows H (an entropy bonus), c = `entropyCoefficient`:
    /// accumulates into `net.gradients` and `logStdGradient`.
    mutating func backward(output: UnsafePointer<Float>, actions: UnsafePointer<Float>, batch: Int,
                           logProbGradient: UnsafePointer<Float>, entropyCoefficient: Float,
                           workspace: MLPWorkspace, scratch: PolicyScratch) {
        let outGrad = scratch.outputGradient
        if let g = gaussian {
            g.logProbBackward(mean: output, actions: actions, batch: batch, logProbGradient: logProbGradient,
                              meanGradient: outGrad, logStdGradient: &logStdGradient)
            // ∂H/∂log σ_j = 1 for a Gaussian, whatever the row.
            if entropyCoefficient != 0 { for j in logStdGradient.indices { logStdGradient[j] -= entropyCoefficient } }
        } else if let c = categorical {
            c.logProbBackward(logProbs: scratch.logSoftmax, actions: actions, batch: batch,
                              logProbGradient: logProbGradient, into: outGrad)
            if entropyCoefficient != 0 {
                let perRow = -entropyCoefficient / Float(batch)
                for r in 0..<batch { scratch.rowValues[r] = perRow }
                c.entropyBackward(logProbs: scratch.logSoftmax, batch: batch, entropyGradient: scratch.rowValues,
                                  into: outGrad)
            }
        }
        net.backward(outputGradient: outGrad, workspace: workspace)
    }
}

/// The value network V(o): PyTorch's default initialisation, or Baselines'
/// orthogonal one (output gain 1).
func makeValueNetwork(observationCount: Int, hidden: [Int], activation: Activation, orthoInit: Bool,
                      rng: inout Xoshiro256) -> MLP {
    var value = MLP(inputs: observationCount, hidden: hidden, outputs: 1,
                    hiddenActivation: activation, outputActivation: .identity, rng: &rng)
    if orthoInit { orthogonalInit(&value, hiddenGain: 2.0.squareRoot(), outputGain: 1, rng: &rng) }
    return value
}

/// Preallocated per-row scratch for a policy of `outputs` network outputs and batches up to `capacity`.
final class PolicyScratch: @unchecked Sendable {
    let capacity: Int
    let outputGradient: UnsafeMutablePointer<Float>
    let logSoftmax: UnsafeMutablePointer<Float>
    let rowValues: UnsafeMutablePointer<Float>
    let noise: UnsafeMutablePointer<Float>

    init(capacity: Int, outputs: Int) {
        self.capacity = capacity
        func alloc(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        outputGradient = alloc(capacity * outputs)
        logSoftmax = alloc(capacity * outputs)
        rowValues = alloc(capacity)
        noise = alloc(outputs)
    }

    deinit {
        outputGradient.deallocate(); logSoftmax.deallocate(); rowValues.deallocate(); noise.deallocate()
    }
}

/// A preallocated Float buffer that frees itself.
final class FloatBuffer: @unchecked Sendable {
    let count: Int
    let p: UnsafeMutablePointer<Float>
    init(_ count: Int) {
        self.count = count
        p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
    }
    deinit { p.deallocate() }
    subscript(i: Int) -> Float {
        get { p[i] }
        set { p[i] = newValue }
    }
}

/// Global gradient-norm clipping over the policy's and value network's
/// gradients taken as one vector (`torch.nn.utils.clip_grad_norm_`, Baselines'
/// `tf.clip_by_global_norm`): if ‖g‖ > maxNorm, g ← g · maxNorm/(‖g‖ + 1e-6).
/// In place, allocation-free. Returns the norm before clipping.
@discardableResult
func clipGlobalNorm(policy: inout StochasticPolicy, value: inout MLP, maxNorm: Float) -> Float {
    func sumSquares(_ a: [Float]) -> Double {
        a.withUnsafeBufferPointer { b in
            var s: Float = 0
            for x in b { s += x * x }
            return Double(s)
        }
    }
    func scale(_ a: inout [Float], _ k: Float) {
        a.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] *= k } }
    }
    let norm = Float((sumSquares(policy.net.gradients) + sumSquares(policy.logStdGradient)
                      + sumSquares(value.gradients)).squareRoot())
    let k = maxNorm / (norm + 1e-6)
    if k < 1 {
        scale(&policy.net.gradients, k); scale(&policy.logStdGradient, k); scale(&value.gradients, k)
    }
    return norm
}

/// One Adam step of the policy network and its log σ from their gradients.
func adamStep(policy: inout StochasticPolicy, policyAdam: inout Adam, logStdAdam: inout Adam) {
    let g = policy.net.gradients
    policyAdam.update(&policy.net.parameters, gradients: g)
    if policy.gaussian != nil {
        let gs = policy.logStdGradient
        logStdAdam.update(&policy.gaussian!.logStd, gradients: gs)
    }
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

// MARK: - Collecting rollouts from n_envs environments

/// Steps `n_envs` environments in lockstep (sequentially, in one process),
/// normalises what they return the way Baselines' `VecNormalize` does, and
/// writes each step into a `RolloutBuffer`, finishing paths as episodes end.
///
/// Observation normalisation: each step's `n_envs` observations update the
/// running mean/variance, then are mapped to clip((o − μ)/√(σ² + 1e-8), ±10);
/// the policy and the buffer only ever see normalised observations. Reward
/// normalisation divides each reward by the running standard deviation of the
/// discounted return R ← γR + r (reset at episode end), clipped to ±10.
final class RolloutCollector {
    let envCount: Int
    let observationCount: Int
    let actionFloats: Int
    let gamma: Double
    /// End a path with value 0 on a time-limit truncation too (`timeout_terminal`).
    let timeoutTerminal: Bool
    var envs: [any Env]
    /// The current normalised observation of every environment (envCount × obs): what the policy sees next.
    var observations: [Float]
    var observationStats: RunningMeanStd?
    var returnStats: RunningMeanStd?
    /// Per environment: the running discounted return for reward normalisation.
    var discountedReturns: [Double]
    /// Per environment: the unnormalised return and length of the episode under way.
    var episodeReturns: [Double]
    var episodeLengths: [Int]
    /// Draws every action sample.
    var rng: Xoshiro256

    // Scratch, allocated once.
    let rawObservations: FloatBuffer
    let finalObservation: FloatBuffer
    let actions: FloatBuffer
    let envAction: FloatBuffer
    let logProbs: FloatBuffer
    let values: FloatBuffer
    let rewards: FloatBuffer
    let bootstrap: FloatBuffer
    let policyWorkspace: MLPWorkspace
    let valueWorkspace: MLPWorkspace
    let scratch: PolicyScratch
    var rawReturns: [Double]

    init(envID: String, envCount: Int, seed: UInt64, policy: StochasticPolicy, value: MLP,
         normalizeObservations: Bool, normalizeRewards: Bool, gamma: Double, timeoutTerminal: Bool) throws {
        self.envCount = envCount
        self.timeoutTerminal = timeoutTerminal
        var made: [any Env] = []
        for _ in 0..<envCount { made.append(try EnvRegistry.make(envID)) }
        envs = made
        observationCount = made[0].observationCount
        actionFloats = policy.actionFloats
        self.gamma = gamma
        observations = [Float](repeating: 0, count: envCount * observationCount)
        observationStats = normalizeObservations ? RunningMeanStd(dimension: observationCount) : nil
        returnStats = normalizeRewards ? RunningMeanStd(dimension: 1) : nil
        discountedReturns = [Double](repeating: 0, count: envCount)
        episodeReturns = [Double](repeating: 0, count: envCount)
        episodeLengths = [Int](repeating: 0, count: envCount)
        rawReturns = [Double](repeating: 0, count: envCount)
        rng = Xoshiro256(seed: seed, stream: 3)
        rawObservations = FloatBuffer(envCount * observationCount)
        finalObservation = FloatBuffer(observationCount)
        actions = FloatBuffer(envCount * actionFloats)
        envAction = FloatBuffer(actionFloats)
        logProbs = FloatBuffer(envCount); values = FloatBuffer(envCount)
        rewards = FloatBuffer(envCount); bootstrap = FloatBuffer(1)
        policyWorkspace = policy.net.makeWorkspace(batch: envCount)
        valueWorkspace = value.makeWorkspace(batch: envCount)
        scratch = PolicyScratch(capacity: envCount, outputs: policy.outputCount)
        // Each environment draws from its own seed stream.
        for e in 0..<envCount {
            var seeder = Xoshiro256(seed: seed, stream: 100 + UInt64(e))
            envs[e].reset(seed: seeder.next(), into: row(rawObservations, e))
        }
        normalizeCurrent()
    }

    @inline(__always) func row(_ b: FloatBuffer, _ e: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: b.p + e * observationCount, count: observationCount)
    }

    /// Updates the statistics with this step's raw observations, then normalises them into `observations`.
    private func normalizeCurrent() {
        let o = observationCount
        observations.withUnsafeMutableBufferPointer { obs in
            if observationStats != nil {
                observationStats!.update(rawObservations.p, rows: envCount)
                for e in 0..<envCount { observationStats!.normalize(rawObservations.p + e * o, into: obs.baseAddress! + e * o) }
            } else {
                for i in 0..<(envCount * o) { obs[i] = rawObservations.p[i] }
            }
        }
    }

    /// One step of every environment into `buffer`. Returns true when the
    /// buffer is full and every path is finished (time to update).
    func step(policy: StochasticPolicy, value: MLP, buffer: inout RolloutBuffer,
              metrics: MetricsSink, stepsDone: Int) -> Bool {
        let o = observationCount, a = actionFloats
        // 1. Act: a ~ π(·|o) and V(o) for all environments at once.
        observations.withUnsafeBufferPointer { obs in
            policy.sample(observations: obs.baseAddress!, batch: envCount, workspace: policyWorkspace, scratch: scratch,
                          rng: &rng, actions: actions.p, logProbs: logProbs.p)
            let v = value.forward(obs.baseAddress!, batch: envCount, workspace: valueWorkspace)
            for e in 0..<envCount { values[e] = v[e] }
        }
        // 2. Step each environment with its clipped action.
        var ended: [(env: Int, terminated: Bool)] = []
        for e in 0..<envCount {
            policy.envAction(actions.p + e * a, into: UnsafeMutableBufferPointer(start: envAction.p, count: a))
            let outcome = envs[e].step(UnsafeBufferPointer(start: envAction.p, count: a), into: row(rawObservations, e))
            episodeReturns[e] += outcome.reward
            episodeLengths[e] += 1
            rawReturns[e] = outcome.reward
            if outcome.done {
                metrics.record("train/episode_return", step: stepsDone + envCount, value: episodeReturns[e])
                metrics.record("train/episode_length", step: stepsDone + envCount, value: Double(episodeLengths[e]))
                episodeReturns[e] = 0; episodeLengths[e] = 0
                ended.append((e, outcome.terminated || (timeoutTerminal && outcome.truncated)))
            }
        }
        // 3. Rewards, normalised by the running std of the discounted return.
        if returnStats != nil {
            for e in 0..<envCount { discountedReturns[e] = discountedReturns[e] * gamma + rawReturns[e] }
            returnStats!.update(discountedReturns)
            let scale = (returnStats!.variance[0] + normalizerEpsilon).squareRoot()
            for e in 0..<envCount {
                rewards[e] = min(max(Float(rawReturns[e] / scale), -normalizerClip), normalizerClip)
            }
            for (e, _) in ended { discountedReturns[e] = 0 }
        } else {
            for e in 0..<envCount { rewards[e] = Float(rawReturns[e]) }
        }
        observations.withUnsafeBufferPointer { obs in
            buffer.store(observations: obs.baseAddress!, actions: actions.p, rewards: rewards.p,
                         values: values.p, logProbs: logProbs.p)
        }
        // 4. Episodes that ended: keep the final observation for the bootstrap, then reset.
        //    Statistics are updated with the reset observations (SB3's VecNormalize),
        //    and the final one is normalised with them, without updating.
        var truncatedFinals: [(env: Int, observation: [Float])] = []
        for (e, terminated) in ended {
            if terminated {
                buffer.finishPath(env: e, lastValue: 0)      // nothing follows a terminal state
            } else {
                truncatedFinals.append((e, Array(row(rawObservations, e))))
            }
            envs[e].reset(seed: nil, into: row(rawObservations, e))
        }
        normalizeCurrent()
        for (e, final) in truncatedFinals {
            final.withUnsafeBufferPointer { f in
                if let stats = observationStats { stats.normalize(f.baseAddress!, into: finalObservation.p) }
                else { finalObservation.p.update(from: f.baseAddress!, count: o) }
            }
            let v = value.forward(finalObservation.p, batch: 1, workspace: valueWorkspace)
            buffer.finishPath(env: e, lastValue: v[0])      // time limit: bootstrap V(o′)
        }
        // 5. Rollout complete: every open path is cut, so bootstrap from V(current o).
        guard buffer.isFull else { return false }
        observations.withUnsafeBufferPointer { obs in
            let v = value.forward(obs.baseAddress!, batch: envCount, workspace: valueWorkspace)
            for e in 0..<envCount { buffer.finishPath(env: e, lastValue: v[e]) }
        }
        return true
    }

    /// Normalises one raw observation with the current statistics, without updating them.
    func normalizeFrozen(_ raw: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        if let stats = observationStats { stats.normalize(raw, into: out) }
        else { out.update(from: raw, count: observationCount) }
    }

    // MARK: - Plumbing

    func stateDict() -> StateDict {
        var s = StateDict()
        s.floats["observations"] = observations
        for e in 0..<envCount {
            let snap = envs[e].snapshot()
            s.doubles["env/\(e)/values"] = snap.values
            s.words["env/\(e)/rng"] = snap.rng.words
            s.setInteger("env/\(e)/elapsed_steps", snap.elapsedSteps)
        }
        if let stats = observationStats { s.merge(stats.stateDict(), prefix: "observation_stats") }
        if let stats = returnStats { s.merge(stats.stateDict(), prefix: "return_stats") }
        s.doubles["discounted_returns"] = discountedReturns
        s.doubles["episode_returns"] = episodeReturns
        s.integers["episode_lengths"] = episodeLengths.map(Int64.init)
        s.set("rng", rng: rng)
        return s
    }

    func load(_ s: StateDict) throws {
        observations = try s.float("observations", count: envCount * observationCount)
        for e in 0..<envCount {
            guard let words = s.words["env/\(e)/rng"], let state = Xoshiro256.State(words: words) else {
                throw StateDictError.missing("env/\(e)/rng")
            }
            try envs[e].restore(EnvSnapshot(values: try s.double("env/\(e)/values"), rng: state,
                                            elapsedSteps: try s.integer("env/\(e)/elapsed_steps")))
        }
        if observationStats != nil { try observationStats!.load(s.subset("observation_stats")) }
        if returnStats != nil { try returnStats!.load(s.subset("return_stats")) }
        discountedReturns = try s.double("discounted_returns", count: envCount)
        episodeReturns = try s.double("episode_returns", count: envCount)
        let lengths = try s.integerArray("episode_lengths")
        guard lengths.count == envCount else { throw StateDictError.wrongSize("episode_lengths", expected: envCount, got: lengths.count) }
        episodeLengths = lengths.map { Int($0) }
        rng = try s.rng("rng")
    }
}

// MARK: - Evaluation

/// Returns of the deterministic policy (Gaussian mean, most probable index) on
/// `episodes` fresh episodes of a new `envID` environment seeded with `seed`;
/// observations pass through `collector`'s normaliser frozen. Touches no training state.
func evaluateDeterministic(policy: StochasticPolicy, envID: String, collector: RolloutCollector,
                           episodes: Int, seed: UInt64) -> [Double] {
    guard episodes > 0, var env = try? EnvRegistry.make(envID) else { return [] }
    let o = env.observationCount, a = policy.actionFloats
    var raw = [Float](repeating: 0, count: o), obs = [Float](repeating: 0, count: o)
    var sampled = [Float](repeating: 0, count: a), action = [Float](repeating: 0, count: a)
    let ws = policy.net.makeWorkspace(batch: 1)
    var returns: [Double] = []
    for i in 0..<episodes {
        raw.withUnsafeMutableBufferPointer { env.reset(seed: i == 0 ? seed : nil, into: $0) }
        var total = 0.0
        while true {
            raw.withUnsafeBufferPointer { r in obs.withUnsafeMutableBufferPointer { collector.normalizeFrozen(r.baseAddress!, into: $0.baseAddress!) } }
            obs.withUnsafeBufferPointer { o in sampled.withUnsafeMutableBufferPointer { policy.mode(observation: o.baseAddress!, workspace: ws, into: $0.baseAddress!) } }
            sampled.withUnsafeBufferPointer { s in action.withUnsafeMutableBufferPointer { policy.envAction(s.baseAddress!, into: $0) } }
            let outcome = action.withUnsafeBufferPointer { act in raw.withUnsafeMutableBufferPointer { env.step(act, into: $0) } }
            total += outcome.reward
            if outcome.done { break }
        }
        returns.append(total)
    }
    return returns
}

// MARK: - Checks and checkpoint helpers

/// Hidden sizes must be positive (the MLP would stop the process otherwise).
func validateHiddenSizes(_ spec: RunSpec) throws {
    for (name, sizes) in [("actor", spec.actorHidden), ("critic", spec.criticHidden)] where sizes.contains(where: { $0 <= 0 }) {
        throw AgentError.badValue(key: name, value: sizes.map(String.init).joined(separator: ","),
                                  expected: "positive hidden sizes")
    }
}


/// The deterministic action (clipped to the bounds) for one raw observation,
/// through the frozen observation normaliser. For tests and probes; allocates.
func deterministicAction(policy: StochasticPolicy, collector: RolloutCollector, raw: [Float]) -> [Float] {
    var obs = [Float](repeating: 0, count: raw.count)
    var sampled = [Float](repeating: 0, count: policy.actionFloats)
    var action = sampled
    let ws = policy.net.makeWorkspace(batch: 1)
    raw.withUnsafeBufferPointer { r in obs.withUnsafeMutableBufferPointer { collector.normalizeFrozen(r.baseAddress!, into: $0.baseAddress!) } }
    obs.withUnsafeBufferPointer { o in sampled.withUnsafeMutableBufferPointer { policy.mode(observation: o.baseAddress!, workspace: ws, into: $0.baseAddress!) } }
    sampled.withUnsafeBufferPointer { s in action.withUnsafeMutableBufferPointer { policy.envAction(s.baseAddress!, into: $0) } }
    return action
}
