#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nets
import Envs

// The stochastic policy π(a|o) PPO and TRPO share (Spinning Up's `core.py` actor),
// the value network, their initialisation, and the per-row scratch they use.

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
public struct StochasticPolicy: Sendable, Equatable {
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

/// One Adam step of the policy network and its log σ from their gradients.
func adamStep(policy: inout StochasticPolicy, policyAdam: inout Adam, logStdAdam: inout Adam) {
    let g = policy.net.gradients
    policyAdam.update(&policy.net.parameters, gradients: g)
    if policy.gaussian != nil {
        let gs = policy.logStdGradient
        logStdAdam.update(&policy.gaussian!.logStd, gradients: gs)
    }
}
