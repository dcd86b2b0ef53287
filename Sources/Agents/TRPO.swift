#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nets
import Envs

/// Trust Region Policy Optimization (Schulman et al. 2015, arXiv:1502.05477)
/// as Spinning Up's `trpo` (tf1): a natural-gradient step on the surrogate
/// L(θ) = −mean π_θ(a|o)/π_old(a|o)·Â, sized so that the quadratic model of
/// the KL equals δ and shrunk by backtracking until the true mean KL ≤ δ and
/// L improves (Appendix C), then `train_v_iters` Adam steps on the value network.
///
/// The Fisher-vector products are exact through the network (Gauss–Newton form):
/// F·v = (1/N) Σ_rows Jᵀ M J v, with J·v from `MLP.jvp`, Jᵀ(·) from `MLP.backward`
/// and M the Fisher of the distribution in its output coordinates.
/// The agent around it (rollouts, evaluation, checkpoints) is `OnPolicyAgent`.
public typealias TRPO = OnPolicyAgent<TRPOAlgorithm>

/// TRPO's networks, optimiser and update; see `TRPO`.
public struct TRPOAlgorithm: OnPolicyLearner {

    /// Every hyper-parameter, with Spinning Up's TRPO defaults
    /// (openai/spinningup @ 038665d, `spinup/algos/tf1/trpo/trpo.py`).
    public struct Config: OnPolicyConfig {
        /// Steps per environment per update (Spinning Up `steps_per_epoch`: 4000).
        public var nSteps = 4000
        /// Parallel environments, stepped in lockstep. Spinning Up: 1.
        public var nEnvs = 1
        /// Discount γ. 0.99.
        public var gamma = 0.99
        /// GAE λ. Spinning Up `lam`: 0.97.
        public var gaeLambda = 0.97
        /// KL trust-region radius δ (Spinning Up `delta`; sb3-contrib `target_kl`). 0.01.
        public var delta = 0.01
        /// Damping added to the Fisher, F + d·I, for a stable CG (`damping_coeff`). 0.1.
        public var dampingCoeff = 0.1
        /// Conjugate-gradient iterations (`cg_iters`). 10.
        public var cgIters = 10
        /// Line-search trials; step k tries coeff^k of the full step (`backtrack_iters`). 10.
        public var backtrackIters = 10
        /// Line-search shrink factor (`backtrack_coeff`). 0.8.
        public var backtrackCoeff = 0.8
        /// Value network Adam learning rate (`vf_lr`). 1e-3.
        public var vfLR = 1e-3
        /// Value regression passes per update (`train_v_iters`; sb3-contrib `n_critic_updates`). 80.
        public var trainVIters = 80
        /// Value regression minibatch; 0 = the whole rollout (Spinning Up). sb3-contrib: 128.
        public var vfBatchSize = 0
        /// Adam ε of the value optimiser (PyTorch default 1e-8; SB3 1e-5).
        public var adamEpsilon = 1e-8
        /// Normalise advantages over the rollout (Spinning Up and sb3-contrib do). true.
        public var normalizeAdvantage = true
        /// Normalise observations with running mean/variance, clipped at ±10 (VecNormalize). false.
        public var normalizeObservations = false
        /// Scale rewards by the running std of the discounted return (VecNormalize). false.
        public var normalizeRewards = false
        /// Initial log σ of the Gaussian policy (Spinning Up −0.5; SB3 0).
        public var logStdInit = -0.5
        /// Hidden-layer nonlinearity of both networks (Spinning Up: tanh).
        public var activation = Activation.tanh
        /// Orthogonal initialisation (gains √2 hidden, 0.01 policy output, 1 value output).
        /// Spinning Up: false (PyTorch default); SB3: true.
        public var orthoInit = false
        /// Value-function target: `reward_to_go` (Spinning Up) or `gae` (λ-return, sb3-contrib).
        public var valueTarget = ValueTarget.rewardToGo
        /// Treat a time-limit truncation as terminal (no bootstrap), as Spinning Up did
        /// below its max_ep_len 1000; false bootstraps V(o′) through it. false.
        public var timeoutTerminal = false
        /// The step budget. Spinning Up: epochs 50 × steps_per_epoch 4000.
        public var totalSteps = PaperSetup.spinningUpOnPolicyBudget

        public init() {}

        enum CodingKeys: String, CodingKey {
            case nSteps = "n_steps", nEnvs = "n_envs", gamma, gaeLambda = "gae_lambda", delta
            case dampingCoeff = "damping_coeff", cgIters = "cg_iters", backtrackIters = "backtrack_iters"
            case backtrackCoeff = "backtrack_coeff", vfLR = "vf_lr", trainVIters = "train_v_iters"
            case vfBatchSize = "vf_batch_size", adamEpsilon = "adam_epsilon"
            case normalizeAdvantage = "normalize_advantage", normalizeObservations = "normalize_observations"
            case normalizeRewards = "normalize_rewards", logStdInit = "log_std_init", activation, orthoInit = "ortho_init"
            case valueTarget = "value_target", timeoutTerminal = "timeout_terminal", totalSteps = "total_steps"
        }

        public var rolloutSize: Int { nSteps * nEnvs }
        public var budget: Int { totalSteps }

        /// The defaults a preset starts from: Spinning Up, or the RL Zoo (sb3-contrib TRPO).
        /// paper: TRPO is not in Table 1; the toy problem (§3) ran Spinning Up's TRPO, so
        /// Spinning Up's defaults with its time-limit rule, and on the toy problem the
        /// CAPS code's budget (`PaperSetup.toyBudget`).
        public static func preset(_ preset: Preset, env: String) throws -> Config {
            _ = try EnvRegistry.entry(env)    // unknown ids fail here
            switch preset {
            case .spinup: return Config()
            case .paper:
                var c = Config()
                c.timeoutTerminal = try PaperSetup.spinningUpTimeoutTerminal(env: env)
                if PaperSetup.isToy(env) { c.totalSteps = PaperSetup.toyBudget }
                return c
            case .zoo, .tuned:
                // sb3-contrib TRPO defaults: n_steps 2048, batch_size 128 (critic), cg_max_steps 15,
                // cg_damping 0.1, shrinking 0.8 × 10, n_critic_updates 10, λ 0.95, target_kl 0.01, lr 1e-3.
                var c = Config()
                c.nSteps = 2048; c.nEnvs = 1; c.gamma = 0.99; c.gaeLambda = 0.95; c.delta = 0.01
                c.dampingCoeff = 0.1; c.cgIters = 15; c.backtrackIters = 10; c.backtrackCoeff = 0.8
                c.vfLR = 1e-3; c.trainVIters = 10; c.vfBatchSize = 128; c.adamEpsilon = 1e-5
                c.logStdInit = 0; c.valueTarget = .gae; c.orthoInit = true
                c.totalSteps = 1_000_000   // no entry: rl-zoo3's usual MuJoCo budget
                switch env {
                case "Pendulum-v0", "Pendulum-v1":
                    // rl-zoo3 2.9.2 `hyperparams/trpo.yml` Pendulum-v1 (the only Pendulum entry),
                    // 1e5 steps; its gSDE is not implemented.
                    c.nEnvs = 2; c.nSteps = 1024; c.gamma = 0.9; c.trainVIters = 15; c.totalSteps = 100_000
                case "Acrobot-v1":
                    // rl-zoo3 2.9.2 trpo.yml Acrobot-v1: normalize, n_envs 2, n_steps 1024, 1e5 steps.
                    c.normalizeObservations = true; c.normalizeRewards = true; c.nEnvs = 2; c.nSteps = 1024
                    c.totalSteps = 100_000
                case _ where PaperSetup.isToy(env): c.totalSteps = PaperSetup.toyBudget
                default: break
                }
                return c
            }
        }

        public func validate() throws {
            guard nSteps > 0 else { throw badValue("n_steps", nSteps, "a positive integer") }
            guard nEnvs > 0 else { throw badValue("n_envs", nEnvs, "a positive integer") }
            guard (0...1).contains(gamma) else { throw badValue("gamma", gamma, "a number in [0, 1]") }
            guard (0...1).contains(gaeLambda) else { throw badValue("gae_lambda", gaeLambda, "a number in [0, 1]") }
            guard delta > 0 else { throw badValue("delta", delta, "a positive number") }
            guard dampingCoeff >= 0 else { throw badValue("damping_coeff", dampingCoeff, "a non-negative number") }
            guard cgIters > 0 else { throw badValue("cg_iters", cgIters, "a positive integer") }
            guard backtrackIters > 0 else { throw badValue("backtrack_iters", backtrackIters, "a positive integer") }
            guard backtrackCoeff > 0 && backtrackCoeff < 1 else { throw badValue("backtrack_coeff", backtrackCoeff, "a number in (0, 1)") }
            guard trainVIters >= 0 else { throw badValue("train_v_iters", trainVIters, "a non-negative integer") }
            guard vfBatchSize >= 0 else { throw badValue("vf_batch_size", vfBatchSize, "0 (whole rollout) or a positive integer") }
            guard adamEpsilon > 0 else { throw badValue("adam_epsilon", adamEpsilon, "a positive number") }
            guard totalSteps > 0 else { throw badValue("total_steps", totalSteps, "a positive integer") }
        }
    }

    public let config: Config
    public internal(set) var policy: StochasticPolicy
    public internal(set) var value: MLP
    var valueAdam: Adam
    public internal(set) var updates = 0
    /// Draws the value minibatch permutations (unused with whole-rollout value steps).
    var shuffleRng: Xoshiro256
    let work: TRPOScratch
    let valueWork: UpdateScratch

    public init(spec: RunSpec, config: Config, observationCount: Int, actionSpace: Space) throws {
        self.config = config
        (policy, value) = makePolicyAndValue(spec: spec, observationCount: observationCount, actionSpace: actionSpace,
                                             activation: config.activation, logStdInit: config.logStdInit,
                                             orthoInit: config.orthoInit)
        valueAdam = Adam(parameterCount: value.parameterCount, learningRate: Float(config.vfLR),
                         epsilon: Float(config.adamEpsilon))
        shuffleRng = Xoshiro256(seed: spec.seed, stream: 4)
        let n = config.rolloutSize
        work = TRPOScratch(rollout: n, policy: policy)
        let vb = config.vfBatchSize == 0 ? n : min(config.vfBatchSize, n)
        valueWork = UpdateScratch(batch: vb, rollout: n, policy: policy, value: value)
    }

    // MARK: - Algorithm

    /// The outcome of the line search.
    struct LineSearch { var accepted: Bool; var backtracks: Int; var kl: Float; var loss: Float }

    /// One TRPO update (Spinning Up `trpo.update`): natural gradient step on the
    /// policy with a backtracking line search, then value regression.
    public mutating func update(_ buffer: RolloutBuffer, step: Int, metrics: MetricsSink) {
        updates += 1
        let n = buffer.capacity, w = work
        // Advantages, normalised over the whole rollout.
        buffer.advantages.withUnsafeBufferPointer { w.advantages.p.update(from: $0.baseAddress!, count: n) }
        if config.normalizeAdvantage && n > 1 { normalizeInPlace(w.advantages.p, count: n) }

        // 1. The old policy: one forward at θ_old keeps the activations J·v and Jᵀ need.
        let lossOld = buffer.observations.withUnsafeBufferPointer { obs in
            buffer.actions.withUnsafeBufferPointer { act in
                forwardOld(observations: obs.baseAddress!, actions: act.baseAddress!, batch: n, rollout: buffer)
            }
        }
        let entropy = policy.meanEntropy(batch: n, scratch: w.policyScratch)
        // 2. g = ∇_θ L at θ_old (L = −mean r·Â; at θ_old, ∂L/∂log π = −Â·r/N).
        policy.zeroGradients()
        for r in 0..<n { w.logProbGradient[r] = -w.advantages[r] * expf(w.logProbs[r] - w.oldLogProbs[r]) / Float(n) }
        buffer.actions.withUnsafeBufferPointer { act in
            policy.backward(output: w.oldOutput.p, actions: act.baseAddress!, batch: n, logProbGradient: w.logProbGradient.p,
                            entropyCoefficient: 0, workspace: w.policyWorkspace, scratch: w.policyScratch)
        }
        let g = flatGradient()
        // 3. x ≈ (F + dI)⁻¹ g by conjugate gradient; the step that puts the quadratic KL
        //    model at δ is α = √(2δ / (xᵀ(F + dI)x)) (Schulman et al. 2015, Appendix C).
        let x = conjugateGradient(hvp: { self.fisherVectorProduct($0, batch: n) }, b: g, iterations: config.cgIters)
        let hx = fisherVectorProduct(x, batch: n)
        let alpha = Float((2 * config.delta / (dot(x, hx) + 1e-8)).squareRoot())
        // 4. Backtracking line search on θ = θ_old − α·coeff^k·x.
        let old = flatParameters()
        let search = backtrackingLineSearch(old: old, direction: x, stepSize: alpha, lossOld: lossOld, batch: n,
                                            rollout: buffer)
        // 5. Value regression.
        let valueLoss = fitValue(batch: n, rollout: buffer)

        metrics.record("loss/policy", step: step, value: Double(lossOld))
        metrics.record("loss/value", step: step, value: Double(valueLoss))
        metrics.record("train/kl", step: step, value: Double(search.kl))
        metrics.record("train/entropy", step: step, value: Double(entropy))
        metrics.record("train/backtracks", step: step, value: Double(search.backtracks))
        metrics.record("train/accepted", step: step, value: search.accepted ? 1 : 0)
    }

    /// Forward at θ_old over the rollout: keeps the outputs (μ or logits), log σ
    /// and log-softmax of the old distribution, and returns the surrogate loss
    /// L(θ_old) = −mean r·Â (r = π/π_old, ≈ 1 up to rounding against the acting-time log π).
    func forwardOld(observations: UnsafePointer<Float>, actions: UnsafePointer<Float>, batch n: Int,
                    rollout buffer: RolloutBuffer) -> Float {
        let w = work, k = policy.outputCount
        let out = policy.net.forward(observations, batch: n, workspace: w.policyWorkspace)
        w.oldOutput.p.update(from: out, count: n * k)
        if let g = policy.gaussian { w.oldLogStd = g.logStd }
        policy.logProbs(output: out, actions: actions, batch: n, scratch: w.policyScratch, into: w.logProbs.p)
        if policy.categorical != nil { w.oldLogSoftmax.p.update(from: w.policyScratch.logSoftmax, count: n * k) }
        buffer.logProbs.withUnsafeBufferPointer { w.oldLogProbs.p.update(from: $0.baseAddress!, count: n) }
        var loss: Float = 0
        for r in 0..<n { loss -= expf(w.logProbs[r] - w.oldLogProbs[r]) * w.advantages[r] }
        return loss / Float(n)
    }

    /// (F + dI)·v at θ_old, F = (1/N) Σ_rows Jᵀ M J over the rows of the last `forwardOld`.
    /// M in output coordinates: Gaussian μ → 1/σ² (diagonal), log σ → 2 (and no
    /// cross terms; log σ's Jacobian is the identity for every row, so its block is 2·v);
    /// categorical logits → diag(p) − ppᵀ.
    mutating func fisherVectorProduct(_ v: [Float], batch n: Int) -> [Float] {
        let w = work, k = policy.outputCount, p = policy.net.parameterCount
        var out = [Float](repeating: 0, count: v.count)
        let jv = v.withUnsafeBufferPointer { policy.net.jvp(direction: $0.baseAddress!, workspace: w.policyWorkspace) }
        let u = w.policyScratch.outputGradient, invN = 1 / Float(n)
        if let g = policy.gaussian {
            for j in 0..<k {
                let m = g.fisherDiagonal(j).mean * invN
                for r in 0..<n { u[r * k + j] = jv[r * k + j] * m }
            }
        } else {
            let lsm = w.oldLogSoftmax.p
            for r in 0..<n {
                var pu: Float = 0
                for j in 0..<k { pu += expf(lsm[r * k + j]) * jv[r * k + j] }
                for j in 0..<k {
                    let pj = expf(lsm[r * k + j])
                    u[r * k + j] = (pj * jv[r * k + j] - pj * pu) * invN      // (diag p − ppᵀ)·Jv
                }
            }
        }
        policy.net.zeroGradients()
        policy.net.backward(outputGradient: u, workspace: w.policyWorkspace)
        let d = Float(config.dampingCoeff)
        policy.net.gradients.withUnsafeBufferPointer { gr in
            for i in 0..<p { out[i] = gr[i] + d * v[i] }
        }
        if let g = policy.gaussian {
            for j in 0..<g.actionCount { out[p + j] = g.fisherDiagonal(j).logStd * v[p + j] + d * v[p + j] }
        }
        return out
    }

    /// Tries θ_old − α·coeff^k·x for k = 0, 1, …; accepts the first step whose mean
    /// KL(old ‖ new) ≤ δ and whose surrogate loss does not exceed L(θ_old)
    /// (Spinning Up); if none passes, keeps θ_old.
    mutating func backtrackingLineSearch(old: [Float], direction x: [Float], stepSize alpha: Float, lossOld: Float,
                                         batch n: Int, rollout buffer: RolloutBuffer) -> LineSearch {
        var coefficient: Float = 1
        for k in 0..<config.backtrackIters {
            setFlatParameters(old, minus: x, times: alpha * coefficient)
            let (kl, loss) = evaluateCandidate(batch: n, rollout: buffer)
            if kl <= Float(config.delta) && loss <= lossOld {
                return LineSearch(accepted: true, backtracks: k, kl: kl, loss: loss)
            }
            coefficient *= Float(config.backtrackCoeff)
        }
        setFlatParameters(old, minus: x, times: 0)
        return LineSearch(accepted: false, backtracks: config.backtrackIters, kl: 0, loss: lossOld)
    }

    /// Mean KL(old ‖ θ) and L(θ) over the rollout at the current parameters.
    func evaluateCandidate(batch n: Int, rollout buffer: RolloutBuffer) -> (kl: Float, loss: Float) {
        let w = work
        var kl: Float = 0, loss: Float = 0
        buffer.observations.withUnsafeBufferPointer { obs in
            buffer.actions.withUnsafeBufferPointer { act in
                let out = policy.net.forward(obs.baseAddress!, batch: n, workspace: w.policyWorkspace)
                policy.logProbs(output: out, actions: act.baseAddress!, batch: n, scratch: w.policyScratch, into: w.logProbs.p)
                if let g = policy.gaussian {
                    g.kl(oldMean: w.oldOutput.p, oldLogStd: w.oldLogStd, mean: out, batch: n, into: w.rowKL.p)
                } else if let c = policy.categorical {
                    c.kl(oldLogProbs: w.oldLogSoftmax.p, logProbs: w.policyScratch.logSoftmax, batch: n, into: w.rowKL.p)
                }
            }
        }
        for r in 0..<n {
            kl += w.rowKL[r]
            loss -= expf(w.logProbs[r] - w.oldLogProbs[r]) * w.advantages[r]
        }
        return (kl / Float(n), loss / Float(n))
    }

    /// `train_v_iters` passes of Adam on mean (V(o) − R)² (whole rollout, or
    /// shuffled minibatches of `vf_batch_size`). Returns the loss before fitting.
    mutating func fitValue(batch n: Int, rollout buffer: RolloutBuffer) -> Float {
        let vw = valueWork, bs = vw.observations.count / max(buffer.observationCount, 1)
        var lossBefore: Float = 0
        for pass in 0..<max(config.trainVIters, 1) {
            if bs >= n { for i in 0..<n { vw.indices[i] = i } }    // whole rollout, in order
            else { shuffleIndices(vw.indices, count: n, rng: &shuffleRng) }
            var start = 0
            while start < n {
                let m = min(bs, n - start)
                vw.gather(from: buffer, rows: vw.indices + start, count: m, valueTarget: config.valueTarget,
                          normalizeAdvantage: false)
                value.zeroGradients()
                let v = value.forward(vw.observations.p, batch: m, workspace: vw.valueWorkspace)
                var loss: Float = 0
                for r in 0..<m {
                    let d = v[r] - vw.targets[r]
                    loss += d * d
                    vw.valueGradient[r] = 2 * d / Float(m)
                }
                if pass == 0 && start == 0 { lossBefore = loss / Float(m) }
                if config.trainVIters == 0 { return lossBefore }
                value.backward(outputGradient: vw.valueGradient.p, workspace: vw.valueWorkspace)
                let gradients = value.gradients
                valueAdam.update(&value.parameters, gradients: gradients)
                start += m
            }
        }
        return lossBefore
    }

    // MARK: - Plumbing

    /// The policy's gradient as one vector: network parameters, then log σ.
    func flatGradient() -> [Float] { policy.net.gradients + policy.logStdGradient }
    func flatParameters() -> [Float] { policy.net.parameters + (policy.gaussian?.logStd ?? []) }

    /// θ ← base − scale·direction over the flat (network, log σ) vector.
    mutating func setFlatParameters(_ base: [Float], minus direction: [Float], times scale: Float) {
        let p = policy.net.parameterCount
        policy.net.parameters.withUnsafeMutableBufferPointer { params in
            for i in 0..<p { params[i] = base[i] - scale * direction[i] }
        }
        if policy.gaussian != nil {
            for j in 0..<policy.gaussian!.actionCount { policy.gaussian!.logStd[j] = base[p + j] - scale * direction[p + j] }
        }
    }

    public func stateDict() -> StateDict {
        var s = StateDict()
        s.setNetworks(policy: policy, value: value)
        s.set("optimizer/value", adam: valueAdam)
        s.setInteger("counters/updates", updates)
        s.set("rng/shuffle", rng: shuffleRng)
        return s
    }

    public mutating func load(_ s: StateDict) throws {
        try s.restoreNetworks(policy: &policy, value: &value)
        try s.restore("optimizer/value", into: &valueAdam)
        updates = try s.integer("counters/updates")
        shuffleRng = try s.rng("rng/shuffle")
    }
}

/// Solves A·x = b for symmetric positive-definite A given only products A·p
/// (Hestenes & Stiefel 1952; Spinning Up's `cg`), starting from x = 0:
///     α = rᵀr / pᵀAp,  x ← x + αp,  r ← r − αAp,  p ← r + (r′ᵀr′ / rᵀr)·p.
/// Dot products accumulate in Double.
func conjugateGradient(hvp: ([Float]) -> [Float], b: [Float], iterations: Int) -> [Float] {
    var x = [Float](repeating: 0, count: b.count)
    var r = b, p = b
    var rr = dot(r, r)
    for _ in 0..<iterations {
        let z = hvp(p)
        let alpha = rr / (dot(p, z) + 1e-8)
        let a = Float(alpha)
        for i in x.indices { x[i] += a * p[i]; r[i] -= a * z[i] }
        let rrNew = dot(r, r)
        if rrNew == 0 { break }
        let beta = Float(rrNew / rr)
        for i in p.indices { p[i] = r[i] + beta * p[i] }
        rr = rrNew
    }
    return x
}

func dot(_ a: [Float], _ b: [Float]) -> Double {
    var s = 0.0
    for i in a.indices { s += Double(a[i]) * Double(b[i]) }
    return s
}

/// TRPO's whole-rollout buffers and workspace, allocated once.
final class TRPOScratch: @unchecked Sendable {
    let advantages, logProbs, oldLogProbs, logProbGradient, rowKL: FloatBuffer
    let oldOutput, oldLogSoftmax: FloatBuffer
    var oldLogStd: [Float] = []
    let policyWorkspace: MLPWorkspace
    let policyScratch: PolicyScratch

    init(rollout n: Int, policy: StochasticPolicy) {
        advantages = FloatBuffer(n); logProbs = FloatBuffer(n); oldLogProbs = FloatBuffer(n)
        logProbGradient = FloatBuffer(n); rowKL = FloatBuffer(n)
        oldOutput = FloatBuffer(n * policy.outputCount); oldLogSoftmax = FloatBuffer(n * policy.outputCount)
        policyWorkspace = policy.net.makeWorkspace(batch: n)
        policyScratch = PolicyScratch(capacity: n, outputs: policy.outputCount)
    }
}
