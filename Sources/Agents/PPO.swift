#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nets
import Envs

/// Proximal Policy Optimization (Schulman et al. 2017, "Proximal Policy
/// Optimization Algorithms", arXiv:1707.06347) as OpenAI Baselines' `ppo2`:
/// rollouts of `n_steps` from each of `n_envs` environments, GAE(λ)
/// advantages, `n_epochs` passes of shuffled minibatches of `batch_size` rows
/// over the clipped surrogate, the (optionally clipped) value loss and an
/// entropy bonus, one Adam over policy and value with a global gradient-norm
/// clip and a linearly annealed learning rate.
///
/// The value network is a separate MLP of its own size (Baselines'
/// `value_network='copy'`), so actor and critic sizes are independent.
/// The agent around it (rollouts, evaluation, checkpoints) is `OnPolicyAgent`.
public typealias PPO = OnPolicyAgent<PPOAlgorithm>

/// PPO's networks, optimisers and update; see `PPO`.
public struct PPOAlgorithm: OnPolicyLearner {

    /// Every hyper-parameter, with Baselines' `defaults.mujoco()` (+ VecNormalize,
    /// as Baselines' `run.py` wraps MuJoCo tasks) as the defaults.
    /// `Config.preset(_:env:)` gives Spinning Up's values or the RL Zoo's entry.
    public struct Config: OnPolicyConfig {
        /// Steps per environment per rollout (Baselines `nsteps`; Spinning Up `steps_per_epoch`). Baselines: 2048.
        public var nSteps = 2048
        /// Parallel environments, stepped in lockstep (`n_envs`). Baselines MuJoCo: 1.
        public var nEnvs = 1
        /// Rows per minibatch (SB3 `batch_size`; Baselines nsteps·nenvs/nminibatches = 2048/32). 64.
        public var batchSize = 64
        /// Passes over each rollout (Baselines `noptepochs`; Spinning Up `train_pi_iters` = `train_v_iters`). 10.
        public var nEpochs = 10
        /// Discount γ. 0.99.
        public var gamma = 0.99
        /// GAE λ (Schulman et al. 2016). Baselines 0.95.
        public var gaeLambda = 0.95
        /// Clip range ε of the probability ratio (eq. 7). 0.2.
        public var clipRange = 0.2
        /// Clip range of the value prediction around its rollout value; ≤ 0 disables.
        /// Baselines' ppo2 clips the value with `cliprange` itself: 0.2.
        public var clipRangeVF = 0.2
        /// Entropy bonus coefficient c₂ (eq. 9). Baselines MuJoCo: 0.
        public var entCoef = 0.0
        /// Value loss coefficient c₁ (eq. 9). 0.5.
        public var vfCoef = 0.5
        /// The value loss is c₁·½·mean (V − R)² (Baselines ppo2 `vf_loss = .5 * mean(...)`,
        /// and SB2's PPO2); false: c₁·mean (V − R)² (SB3 `vf_coef * F.mse_loss`). true.
        public var valueLossHalf = true
        /// Global gradient-norm clip over policy and value gradients; ≤ 0 disables. 0.5.
        public var maxGradNorm = 0.5
        /// Adam learning rate (initial, when annealed). 3e-4.
        public var learningRate = 3e-4
        /// Learning rate of the value network; < 0 means `learning_rate` (one Adam, Baselines).
        /// Spinning Up trains the value function with its own `vf_lr` = 1e-3.
        public var vfLearningRate = -1.0
        /// Anneal the learning rate linearly to 0 over `total_timesteps` (Baselines `lr = 3e-4·f`). true.
        public var annealLR = true
        /// The step budget, which the annealing schedule spans (Baselines `total_timesteps`;
        /// `asym train --steps` defaults to it). Baselines `run.py --num_timesteps`: 1e6.
        public var totalTimesteps = 1_000_000
        /// Adam ε (Baselines and SB3: 1e-5; PyTorch default 1e-8).
        public var adamEpsilon = 1e-5
        /// Stop policy updates for this rollout once the approximate KL exceeds 1.5·target_kl
        /// (Spinning Up: 0.01); ≤ 0 disables (Baselines).
        public var targetKL = -1.0
        /// Normalise advantages per minibatch to mean 0, std 1 (Baselines does). true.
        public var normalizeAdvantage = true
        /// Normalise observations with running mean/variance, clipped at ±10 (VecNormalize). true.
        public var normalizeObservations = true
        /// Scale rewards by the running std of the discounted return, clipped at ±10 (VecNormalize). true.
        public var normalizeRewards = true
        /// Initial log σ of the Gaussian policy (Baselines 0; Spinning Up −0.5).
        public var logStdInit = 0.0
        /// Hidden-layer nonlinearity of both networks. Baselines and Spinning Up: tanh.
        public var activation = Activation.tanh
        /// Orthogonal initialisation (gains √2 hidden, 0.01 policy output, 1 value output).
        /// Baselines and SB3: true; Spinning Up: false (PyTorch default).
        public var orthoInit = true
        /// Value-function target: `gae` (λ-return, Baselines) or `reward_to_go` (Spinning Up).
        public var valueTarget = ValueTarget.gae
        /// Treat a time-limit truncation as terminal (no bootstrap), as Baselines' ppo2
        /// does with every `done`; false bootstraps V(o′) through it. false.
        public var timeoutTerminal = false

        public init() {}

        enum CodingKeys: String, CodingKey {
            case nSteps = "n_steps", nEnvs = "n_envs", batchSize = "batch_size", nEpochs = "n_epochs"
            case gamma, gaeLambda = "gae_lambda", clipRange = "clip_range", clipRangeVF = "clip_range_vf"
            case entCoef = "ent_coef", vfCoef = "vf_coef", maxGradNorm = "max_grad_norm"
            case learningRate = "learning_rate", vfLearningRate = "vf_learning_rate", annealLR = "anneal_lr"
            case totalTimesteps = "total_timesteps", adamEpsilon = "adam_epsilon", targetKL = "target_kl"
            case normalizeAdvantage = "normalize_advantage", normalizeObservations = "normalize_observations"
            case normalizeRewards = "normalize_rewards", logStdInit = "log_std_init", activation, orthoInit = "ortho_init"
            case valueTarget = "value_target", valueLossHalf = "value_loss_half", timeoutTerminal = "timeout_terminal"
        }

        /// Rows per rollout.
        public var rolloutSize: Int { nSteps * nEnvs }
        public var budget: Int { totalTimesteps }

        /// The defaults a preset starts from.
        public static func preset(_ preset: Preset, env: String) throws -> Config {
            var c = Config()
            _ = try EnvRegistry.entry(env)    // unknown ids fail here
            switch preset {
            case .paper:
                return try paperEntry(env: env)
            case .spinup:
                // Spinning Up `ppo` (openai/spinningup @ 038665d): full-batch steps,
                // 80 policy iterations with KL early stopping and 80 value iterations,
                // separate learning rates, no clipping of gradients or values, no normalisation.
                c.nSteps = 4000; c.nEnvs = 1; c.batchSize = 4000; c.nEpochs = 80
                c.gamma = 0.99; c.gaeLambda = 0.97; c.clipRange = 0.2; c.clipRangeVF = -1
                c.entCoef = 0; c.vfCoef = 2          // c₁·½·mean(V − R)² = Spinning Up's mean(V − R)²
                c.maxGradNorm = -1; c.learningRate = 3e-4; c.vfLearningRate = 1e-3; c.annealLR = false
                c.adamEpsilon = 1e-8; c.targetKL = 0.01
                c.normalizeObservations = false; c.normalizeRewards = false
                c.logStdInit = -0.5; c.valueTarget = .rewardToGo; c.orthoInit = false
                c.totalTimesteps = PaperSetup.spinningUpOnPolicyBudget
            case .zoo, .tuned:
                c = zooEntry(env: env) ?? c   // no entry: Baselines' MuJoCo defaults
            }
            return c
        }

        /// The paper's PPO: OpenAI Baselines' ppo2 (openai/baselines @ ea25b9e) with
        /// its semantics — ½ value loss clipped with `cliprange`, one Adam, global
        /// gradient clip 0.5, advantages normalised per minibatch, orthogonal init,
        /// log σ 0, every `done` terminal (`timeout_terminal`) — and the SB2 zoo's
        /// `hyperparams/ppo2.yml` where it has an entry. Keys an entry leaves out take
        /// ppo2 `learn()`'s defaults (lr 3e-4 constant, vf_coef 0.5, max_grad_norm 0.5,
        /// cliprange 0.2), on MuJoCo `defaults.mujoco()` and VecNormalize (`run.py`).
        /// The SB2 zoo's `nminibatches` k is `batch_size` = n_envs·n_steps/k.
        /// The toy problem (§3 of the paper) ran Spinning Up's PPO: the spinup preset.
        static func paperEntry(env: String) throws -> Config {
            if PaperSetup.isToy(env) {
                var c = try preset(.spinup, env: env)
                c.totalTimesteps = PaperSetup.toyBudget
                c.timeoutTerminal = try PaperSetup.spinningUpTimeoutTerminal(env: env)
                return c
            }
            var c = Config()      // defaults.mujoco() + VecNormalize
            c.timeoutTerminal = true
            switch env {
            case _ where PaperSetup.isPendulum(env):
                // SB2 zoo ppo2.yml Pendulum-v0: n_envs 8, n_timesteps 2e6, n_steps 2048,
                // nminibatches 32, lam 0.95, gamma 0.99, noptepochs 10, ent_coef 0,
                // learning_rate 3e-4 (constant), cliprange 0.2; no `normalize`.
                c.nEnvs = 8; c.nSteps = 2048; c.batchSize = 2048 * 8 / 32; c.gaeLambda = 0.95; c.gamma = 0.99
                c.nEpochs = 10; c.entCoef = 0; c.learningRate = 3e-4; c.annealLR = false
                c.clipRange = 0.2; c.clipRangeVF = 0.2
                c.normalizeObservations = false; c.normalizeRewards = false; c.totalTimesteps = 2_000_000
            case "Acrobot-v1":
                // SB2 zoo ppo2.yml Acrobot-v1: normalize, n_envs 16, n_timesteps 1e6, n_steps 256,
                // nminibatches 8, lam 0.94, gamma 0.99, noptepochs 4, ent_coef 0; lr: ppo2's 3e-4 constant.
                c.normalizeObservations = true; c.normalizeRewards = true
                c.nEnvs = 16; c.nSteps = 256; c.batchSize = 256 * 16 / 8; c.gaeLambda = 0.94; c.gamma = 0.99
                c.nEpochs = 4; c.entCoef = 0; c.learningRate = 3e-4; c.annealLR = false
                c.totalTimesteps = 1_000_000
            case _ where env.hasPrefix("HalfCheetah"):
                // SB2 zoo ppo2.yml HalfCheetah-v2: normalize, n_envs 1, n_timesteps 2e6, n_steps 2048,
                // nminibatches 32, lam 0.95, gamma 0.99, noptepochs 10, ent_coef 0,
                // learning_rate lin_3e-4, cliprange 0.2, cliprange_vf -1 (no value clipping).
                c.normalizeObservations = true; c.normalizeRewards = true
                c.nEnvs = 1; c.nSteps = 2048; c.batchSize = 64; c.gaeLambda = 0.95; c.gamma = 0.99
                c.nEpochs = 10; c.entCoef = 0; c.learningRate = 3e-4; c.annealLR = true; c.clipRange = 0.2
                c.clipRangeVF = -1; c.totalTimesteps = 2_000_000
            default:
                // Reacher-v2, Ant-v2: the SB2 zoo has only the Bullet versions: Baselines'
                // defaults.mujoco() + VecNormalize, run.py's 1e6 steps.
                c.totalTimesteps = PaperSetup.baselinesBudget
            }
            return c
        }

        /// Stable-Baselines3's PPO defaults, on which the SB3 zoo entries build.
        static var sb3: Config {
            var c = Config()
            c.nSteps = 2048; c.nEnvs = 1; c.batchSize = 64; c.nEpochs = 10; c.gamma = 0.99; c.gaeLambda = 0.95
            c.clipRange = 0.2; c.clipRangeVF = -1; c.entCoef = 0; c.vfCoef = 0.5; c.maxGradNorm = 0.5
            c.learningRate = 3e-4; c.annealLR = false; c.adamEpsilon = 1e-5
            c.normalizeObservations = false; c.normalizeRewards = false; c.logStdInit = 0
            c.valueLossHalf = false          // SB3: vf_coef · F.mse_loss
            return c
        }

        /// The RL Zoo's entry for `env`, or nil: SB3 zoo v1.0 (DLR-RM/rl-baselines3-zoo
        /// tag v1.0, `hyperparams/ppo.yml`), rl-zoo3 2.9.2 (`rl_zoo3/hyperparams/ppo.yml`) or
        /// the SB2 rl-baselines-zoo (`hyperparams/ppo2.yml`), as each case says.
        static func zooEntry(env: String) -> Config? {
            var c = sb3
            switch env {
            case "Pendulum-v0":
                // SB3 zoo v1.0 (2021), the paper's era. gSDE-free.
                c.nEnvs = 8; c.nSteps = 2048; c.batchSize = 64; c.gaeLambda = 0.95; c.gamma = 0.99
                c.nEpochs = 10; c.entCoef = 0; c.learningRate = 3e-4; c.clipRange = 0.2
                c.totalTimesteps = 2_000_000
            case "Pendulum-v1":
                // rl-zoo3 2.9.2; its use_sde/sde_sample_freq are not implemented (plain Gaussian).
                c.nEnvs = 4; c.nSteps = 1024; c.gaeLambda = 0.95; c.gamma = 0.9; c.nEpochs = 10
                c.entCoef = 0; c.learningRate = 1e-3; c.clipRange = 0.2
                c.totalTimesteps = 100_000
            case "Acrobot-v1":
                // SB3 zoo v1.0 = rl-zoo3: normalize (observations and rewards).
                c.normalizeObservations = true; c.normalizeRewards = true
                c.nEnvs = 16; c.nSteps = 256; c.gaeLambda = 0.94; c.gamma = 0.99; c.nEpochs = 4; c.entCoef = 0
                c.totalTimesteps = 1_000_000
            case _ where env.hasPrefix("HalfCheetah"):
                // SB2 rl-baselines-zoo HalfCheetah-v2 (PPO2): nminibatches 32 of 2048 → 64 rows,
                // lin_3e-4, cliprange_vf -1 (off); SB2 PPO2's vf_coef 0.5, max_grad_norm 0.5.
                c.normalizeObservations = true; c.normalizeRewards = true
                c.nEnvs = 1; c.nSteps = 2048; c.batchSize = 64; c.gaeLambda = 0.95; c.gamma = 0.99
                c.nEpochs = 10; c.entCoef = 0; c.learningRate = 3e-4; c.annealLR = true; c.clipRange = 0.2
                c.clipRangeVF = -1; c.totalTimesteps = 2_000_000
                c.valueLossHalf = true        // SB2's PPO2 keeps Baselines' ½
            case _ where env.hasPrefix("Reacher"):
                // rl-zoo3 Reacher-v2.
                c.normalizeObservations = true; c.normalizeRewards = true
                c.nEnvs = 1; c.batchSize = 32; c.nSteps = 512; c.gamma = 0.9; c.learningRate = 1.04019e-4
                c.entCoef = 7.52585e-8; c.clipRange = 0.3; c.nEpochs = 5; c.gaeLambda = 1.0
                c.maxGradNorm = 0.9; c.vfCoef = 0.950368; c.totalTimesteps = 1_000_000
            case _ where env.hasPrefix("Ant"):
                // rl-zoo3 Ant-v4: normalize, everything else SB3's defaults.
                c.normalizeObservations = true; c.normalizeRewards = true; c.totalTimesteps = 1_000_000
            default:
                return nil
            }
            return c
        }

        /// Rejects values the algorithm cannot run with, naming the key.
        public func validate() throws {
            guard nSteps > 0 else { throw badValue("n_steps", nSteps, "a positive integer") }
            guard nEnvs > 0 else { throw badValue("n_envs", nEnvs, "a positive integer") }
            guard batchSize > 0 else { throw badValue("batch_size", batchSize, "a positive integer") }
            guard nEpochs >= 0 else { throw badValue("n_epochs", nEpochs, "a non-negative integer") }
            guard (0...1).contains(gamma) else { throw badValue("gamma", gamma, "a number in [0, 1]") }
            guard (0...1).contains(gaeLambda) else { throw badValue("gae_lambda", gaeLambda, "a number in [0, 1]") }
            guard clipRange > 0 else { throw badValue("clip_range", clipRange, "a positive number") }
            guard learningRate >= 0 else { throw badValue("learning_rate", learningRate, "a non-negative number") }
            guard totalTimesteps > 0 else { throw badValue("total_timesteps", totalTimesteps, "a positive integer") }
            guard adamEpsilon > 0 else { throw badValue("adam_epsilon", adamEpsilon, "a positive number") }
        }
    }

    public let config: Config

    // Networks and optimisers. Three Adams with one learning rate are one Adam
    // over the concatenated parameters (Adam is elementwise); `vf_learning_rate`
    // may give the value network its own rate (Spinning Up).
    public internal(set) var policy: StochasticPolicy
    public internal(set) var value: MLP
    var policyAdam: Adam
    var logStdAdam: Adam
    var valueAdam: Adam
    /// Updates done (Baselines' `update` − 1): drives the learning-rate schedule.
    public internal(set) var updates = 0
    /// Draws the minibatch permutations.
    var shuffleRng: Xoshiro256
    let work: UpdateScratch

    public init(spec: RunSpec, config: Config, observationCount: Int, actionSpace: Space) throws {
        self.config = config
        (policy, value) = makePolicyAndValue(spec: spec, observationCount: observationCount, actionSpace: actionSpace,
                                             activation: config.activation, logStdInit: config.logStdInit,
                                             orthoInit: config.orthoInit)
        let lr = Float(config.learningRate), vlr = Float(config.vfLearningRate < 0 ? config.learningRate : config.vfLearningRate)
        let eps = Float(config.adamEpsilon)
        policyAdam = Adam(parameterCount: policy.net.parameterCount, learningRate: lr, epsilon: eps)
        logStdAdam = Adam(parameterCount: policy.logStdGradient.count, learningRate: lr, epsilon: eps)
        valueAdam = Adam(parameterCount: value.parameterCount, learningRate: vlr, epsilon: eps)
        shuffleRng = Xoshiro256(seed: spec.seed, stream: 4)
        work = UpdateScratch(batch: min(config.batchSize, config.rolloutSize), rollout: config.rolloutSize,
                             policy: policy, value: value)
    }

    // MARK: - Algorithm

    /// What one minibatch step reports.
    struct PolicyDiagnostics { var loss: Float = 0, kl: Float = 0, clipFraction: Float = 0, entropy: Float = 0 }

    /// `n_epochs` passes of shuffled minibatches over the rollout (Baselines `ppo2.learn`'s inner loops).
    public mutating func update(_ buffer: RolloutBuffer, step: Int, metrics: MetricsSink) {
        // Linear annealing: lr·f with f = 1 − (update − 1)/n_updates (Baselines).
        let nUpdates = max(config.totalTimesteps / config.rolloutSize, 1)
        let fraction = config.annealLR ? max(1 - Double(updates) / Double(nUpdates), 0) : 1
        updates += 1
        let lr = Float(config.learningRate * fraction)
        let vlr = Float((config.vfLearningRate < 0 ? config.learningRate : config.vfLearningRate) * fraction)
        policyAdam.learningRate = lr; logStdAdam.learningRate = lr; valueAdam.learningRate = vlr

        let n = buffer.capacity, bs = min(config.batchSize, n)
        var policyActive = true
        var sums = PolicyDiagnostics(), valueLossSum: Float = 0, policySteps = 0, valueSteps = 0
        for _ in 0..<config.nEpochs {
            shuffleIndices(work.indices, count: n, rng: &shuffleRng)
            var start = 0
            while start < n {
                let m = min(bs, n - start)
                work.gather(from: buffer, rows: work.indices + start, count: m, valueTarget: config.valueTarget,
                            normalizeAdvantage: config.normalizeAdvantage)
                policy.zeroGradients(); value.zeroGradients()
                if policyActive {
                    let d = policyLoss(batch: m)
                    // Spinning Up's early stop: no more policy steps once KL > 1.5·target.
                    if config.targetKL > 0 && Double(d.kl) > 1.5 * config.targetKL {
                        policyActive = false
                        policy.zeroGradients()
                    } else {
                        sums.loss += d.loss; sums.kl += d.kl; sums.clipFraction += d.clipFraction
                        sums.entropy += d.entropy; policySteps += 1
                    }
                }
                valueLossSum += valueLoss(batch: m); valueSteps += 1
                if config.maxGradNorm > 0 {
                    clipGlobalNorm(policy: &policy, value: &value, maxNorm: Float(config.maxGradNorm))
                }
                if policyActive { adamStep(policy: &policy, policyAdam: &policyAdam, logStdAdam: &logStdAdam) }
                let valueGradients = value.gradients
                valueAdam.update(&value.parameters, gradients: valueGradients)
                start += m
            }
        }
        if policySteps > 0 {
            let k = Double(policySteps)
            metrics.record("loss/policy", step: step, value: Double(sums.loss) / k)
            metrics.record("train/kl", step: step, value: Double(sums.kl) / k)
            metrics.record("train/clip_fraction", step: step, value: Double(sums.clipFraction) / k)
            metrics.record("train/entropy", step: step, value: Double(sums.entropy) / k)
        }
        if valueSteps > 0 { metrics.record("loss/value", step: step, value: Double(valueLossSum) / Double(valueSteps)) }
        metrics.record("train/learning_rate", step: step, value: Double(lr))
        metrics.record("train/policy_steps", step: step, value: Double(policySteps))
    }

    /// Clipped surrogate (Schulman et al. 2017, eq. 7), minus the entropy bonus (eq. 9):
    ///     L = mean max(−Â·r, −Â·clip(r, 1 − ε, 1 + ε)) − c₂·H,  r = π(a|o)/π_old(a|o).
    /// Accumulates ∂L/∂θ into the policy's gradients.
    mutating func policyLoss(batch m: Int) -> PolicyDiagnostics {
        let w = work
        let out = policy.net.forward(w.observations.p, batch: m, workspace: w.policyWorkspace)
        policy.logProbs(output: out, actions: w.actions.p, batch: m, scratch: w.policyScratch, into: w.logProbs.p)
        let eps = Float(config.clipRange), invM = 1 / Float(m)
        var loss: Float = 0, kl: Float = 0, clipped = 0
        for r in 0..<m {
            let a = w.advantages[r], logRatio = w.logProbs[r] - w.oldLogProbs[r]
            let ratio = expf(logRatio)
            let surrogate = -a * ratio, clippedSurrogate = -a * min(max(ratio, 1 - eps), 1 + eps)
            loss += max(surrogate, clippedSurrogate)
            // The max passes the gradient of the unclipped term only where it is the larger.
            w.logProbGradient[r] = surrogate >= clippedSurrogate ? surrogate * invM : 0
            kl -= logRatio                                     // Spinning Up's approx KL: mean(log π_old − log π)
            if abs(ratio - 1) > eps { clipped += 1 }
        }
        let entropy = policy.meanEntropy(batch: m, scratch: w.policyScratch)
        if config.targetKL > 0 && Double(kl * invM) > 1.5 * config.targetKL {
            return PolicyDiagnostics(loss: loss * invM, kl: kl * invM, clipFraction: Float(clipped) * invM, entropy: entropy)
        }
        policy.backward(output: out, actions: w.actions.p, batch: m, logProbGradient: w.logProbGradient.p,
                        entropyCoefficient: Float(config.entCoef), workspace: w.policyWorkspace, scratch: w.policyScratch)
        return PolicyDiagnostics(loss: loss * invM - Float(config.entCoef) * entropy, kl: kl * invM,
                                 clipFraction: Float(clipped) * invM, entropy: entropy)
    }

    /// Value loss ½·mean max((V − R)², (V_clip − R)²), V_clip = V_old + clip(V − V_old, ±ε_vf)
    /// (Baselines ppo2), or ½·mean (V − R)² without value clipping; without the ½ when
    /// `value_loss_half` is off (SB3); scaled by c₁ in the gradient. Accumulates into
    /// the value network's gradients; returns the loss before c₁.
    mutating func valueLoss(batch m: Int) -> Float {
        let w = work
        let v = value.forward(w.observations.p, batch: m, workspace: w.valueWorkspace)
        let half: Float = config.valueLossHalf ? 0.5 : 1
        let c = Float(config.clipRangeVF), scale = 2 * half * Float(config.vfCoef) / Float(m)
        var loss: Float = 0
        for r in 0..<m {
            let target = w.targets[r], vOld = w.oldValues[r]
            let diff = v[r] - target
            if c > 0 {
                let change = v[r] - vOld
                let clippedDiff = vOld + min(max(change, -c), c) - target
                if diff * diff >= clippedDiff * clippedDiff {
                    loss += diff * diff; w.valueGradient[r] = scale * diff
                } else {
                    loss += clippedDiff * clippedDiff
                    w.valueGradient[r] = abs(change) < c ? scale * clippedDiff : 0
                }
            } else {
                loss += diff * diff; w.valueGradient[r] = scale * diff
            }
        }
        value.backward(outputGradient: w.valueGradient.p, workspace: w.valueWorkspace)
        return half * loss / Float(m)
    }

    // MARK: - Plumbing

    public func stateDict() -> StateDict {
        var s = StateDict()
        s.setNetworks(policy: policy, value: value)
        s.set("optimizer/policy", adam: policyAdam)
        s.set("optimizer/log_std", adam: logStdAdam)
        s.set("optimizer/value", adam: valueAdam)
        s.setInteger("counters/updates", updates)
        s.set("rng/shuffle", rng: shuffleRng)
        return s
    }

    public mutating func load(_ s: StateDict) throws {
        try s.restoreNetworks(policy: &policy, value: &value)
        try s.restore("optimizer/policy", into: &policyAdam)
        try s.restore("optimizer/log_std", into: &logStdAdam)
        try s.restore("optimizer/value", into: &valueAdam)
        updates = try s.integer("counters/updates")
        shuffleRng = try s.rng("rng/shuffle")
    }
}
