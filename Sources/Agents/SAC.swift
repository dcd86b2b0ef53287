#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nets
import Envs

/// Soft Actor-Critic (Haarnoja et al. 2018), as Spinning Up's
/// `spinup/algos/pytorch/sac/sac.py`: a squashed-Gaussian policy maximising
/// Q − α log π, twin critics with the clipped double-Q soft target, Polyak
/// targets. The temperature α is fixed (Spinning Up) or tuned automatically
/// towards a target entropy (Haarnoja et al. 2018b, "SAC Algorithms and
/// Applications", §5; SB3's `ent_coef='auto'`). Discrete actions: `DiscreteSAC`.
public struct SAC: OffPolicyLearner {
    // MARK: - Config

    /// Every SAC hyper-parameter, with Spinning Up's defaults
    /// (openai/spinningup @ 038665d, `spinup/algos/pytorch/sac/sac.py`).
    public struct Config: OffPolicyConfig, Codable, Sendable, Equatable {
        /// Replay buffer capacity in transitions. Spinning Up: 1e6.
        public var replaySize = 1_000_000
        /// Discount factor γ. Spinning Up: 0.99.
        public var gamma = 0.99
        /// Polyak coefficient ρ of θ′ ← ρθ′ + (1 − ρ)θ (ρ = 1 − τ). Spinning Up: 0.995.
        public var polyak = 0.995
        /// Learning rate (Adam) of actor, critics and, when tuned, log α. Spinning Up: 1e-3.
        public var lr = 1e-3
        /// Entropy temperature α (the starting value when `auto_alpha`). Spinning Up: 0.2 (SB3 'auto' starts at 1.0).
        public var alpha = 0.2
        /// Tune α by gradient descent on log α towards `target_entropy`. Spinning Up: false; SB3: true.
        public var autoAlpha = false
        /// Target entropy H̄ for `auto_alpha`. SB3 'auto': −|A| (−dim of the action space).
        public var targetEntropy = -1.0
        /// Minibatch size. Spinning Up: 100.
        public var batchSize = 100
        /// Steps of uniform random actions before the policy acts. Spinning Up: 10000.
        public var startSteps = 10_000
        /// Steps before the first update. Spinning Up: 1000.
        public var updateAfter = 1_000
        /// Env steps between update rounds; each round is this many gradient steps. Spinning Up: 50.
        public var updateEvery = 50
        /// Evaluation episodes (Spinning Up's num_test_episodes: 10).
        public var numTestEpisodes = 10
        /// Env steps per metrics window. Asym's choice: 1000.
        public var logEvery = 1_000
        /// Store time-outs as terminal (see `OffPolicyConfig.timeoutTerminal`). false.
        public var timeoutTerminal = false
        /// The step budget. Spinning Up: epochs 100 × steps_per_epoch 4000.
        public var totalSteps = PaperSetup.spinningUpOffPolicyBudget

        public init() {}

        enum CodingKeys: String, CodingKey {
            case replaySize = "replay_size", gamma, polyak, lr, alpha, autoAlpha = "auto_alpha"
            case targetEntropy = "target_entropy", batchSize = "batch_size"
            case startSteps = "start_steps", updateAfter = "update_after", updateEvery = "update_every"
            case numTestEpisodes = "num_test_episodes", logEvery = "log_every"
            case timeoutTerminal = "timeout_terminal", totalSteps = "total_steps"
        }
    }

    /// Defaults for `preset` on `env`.
    ///
    /// - spinup: Spinning Up's defaults (fixed α = 0.2); target_entropy −|A| (unused unless auto_alpha).
    /// - zoo, tuned: SB3's SAC library defaults (`stable_baselines3/sac/sac.py`: lr 3e-4,
    ///   buffer 1e6, learning_starts 100, batch 256, τ 0.005, γ 0.99, train_freq 1,
    ///   gradient_steps 1, ent_coef 'auto' starting at α = 1, target entropy −|A|),
    ///   overridden per environment: Pendulum-v0, SB3 zoo v1.0 `hyperparams/sac.yml`:
    ///   lr 1e-3, train_freq 1 episode with gradient_steps −1 (200 every 200), 2e4 steps;
    ///   Pendulum-v1, rl-zoo3 2.9.2: lr 1e-3; HalfCheetah/Ant, rl-zoo3 2.9.2:
    ///   learning_starts 1e4, 1e6 steps. Not reproduced: v1.0's gSDE exploration.
    /// - paper: see `paperPreset(env:)`.
    ///   For discrete action spaces (no zoo entry exists) see `DiscreteSAC.preset`.
    public static func preset(_ preset: Preset, env: String) throws -> Config {
        var c = Config()
        c.targetEntropy = -Double(try EnvRegistry.entry(env).actionSpace.flatCount)
        switch preset {
        case .spinup: break
        case .paper: return try paperPreset(env: env, targetEntropy: c.targetEntropy)
        case .zoo, .tuned:
            c.lr = 3e-4; c.replaySize = 1_000_000; c.startSteps = 100; c.updateAfter = 100; c.batchSize = 256
            c.polyak = 0.995; c.gamma = 0.99; c.updateEvery = 1; c.alpha = 1; c.autoAlpha = true
            c.totalSteps = zooOffPolicyBudget(env: env)
            switch env {
            case "Pendulum-v0": c.lr = 1e-3; c.updateEvery = 200
            case "Pendulum-v1": c.lr = 1e-3
            case _ where PaperSetup.isLocomotion(env): c.startSteps = 10_000; c.updateAfter = 10_000
            default: break
            }
        }
        return c
    }

    /// The paper's SAC: Spinning Up's code and defaults, time-outs terminal below
    /// max_ep_len 1000, and the SB2 zoo (`hyperparams/sac.yml`) where it has an entry.
    /// `ent_coef: auto` is not taken: Spinning Up's SAC has no α tuning, so the code the
    /// paper names could not have used it; α stays Spinning Up's fixed 0.2.
    static func paperPreset(env: String, targetEntropy: Double) throws -> Config {
        var c = Config()
        c.targetEntropy = targetEntropy
        c.timeoutTerminal = try PaperSetup.spinningUpTimeoutTerminal(env: env)
        switch env {
        case _ where PaperSetup.isPendulum(env):
            // SB2 zoo sac.yml Pendulum-v0: n_timesteps 6e4, learning_starts 1000 (random
            // actions and no updates before it: start_steps = update_after = 1000).
            c.totalSteps = 60_000; c.startSteps = 1_000; c.updateAfter = 1_000
        case _ where env.hasPrefix("HalfCheetah"):
            // SB2 zoo sac.yml HalfCheetah-v2: 1e6 steps, lr 3e-4, buffer 1e6, batch 256,
            // train_freq 1, gradient_steps 1, learning_starts 1e4 ([256,256] is the run spec's).
            c.totalSteps = 1_000_000; c.lr = 3e-4; c.replaySize = 1_000_000; c.batchSize = 256
            c.updateEvery = 1; c.startSteps = 10_000; c.updateAfter = 10_000
        case _ where PaperSetup.isToy(env):
            var d = DDPG.Config(); d.applyCAPSToyDefaults()
            c.startSteps = d.startSteps; c.updateEvery = d.updateEvery; c.totalSteps = d.totalSteps
        case _ where PaperSetup.isLocomotion(env):
            // Ant-v2: only AntBulletEnv-v0 in the SB2 zoo: Spinning Up's defaults.
            c.totalSteps = PaperSetup.locomotionBudget
        default:
            break   // Reacher-v2: only ReacherBulletEnv-v0 in the SB2 zoo: Spinning Up's defaults and budget.
        }
        return c
    }

    // MARK: - Networks

    public let config: Config
    let observationCount: Int, actionCount: Int
    let head: SquashedGaussianHead
    /// π_θ (outputs μ and log σ), Q_φ1, Q_φ2, and the critics' targets (SAC has no target actor).
    var actor: MLP, critic1: MLP, critic2: MLP
    var critic1Target: MLP, critic2Target: MLP
    var piOptimizer: Adam, q1Optimizer: Adam, q2Optimizer: Adam
    /// log α (optimised when `auto_alpha`: log keeps α positive) and its optimizer.
    var logAlpha: [Float]
    var alphaOptimizer: Adam
    var alphaGradient: [Float] = [0]
    let actorWS: MLPWorkspace, critic1WS: MLPWorkspace, critic2WS: MLPWorkspace, actWS: MLPWorkspace
    let criticInput: Scratch, actions: Scratch, noise: Scratch, squashed: Scratch, logProb: Scratch
    let target: Scratch, lossGradient: Scratch, lossGradient2: Scratch, actionGradient: Scratch, netGradient: Scratch
    let logProbGradient: Scratch

    public init(config: Config, observationCount: Int, actionSpace: Space, actorHidden: [Int], criticHidden: [Int],
                rng: inout Xoshiro256) throws {
        guard config.alpha > 0 else {
            throw AgentError.badValue(key: "alpha", value: String(config.alpha), expected: "a positive number")
        }
        self.config = config
        let limit = try ActorCriticBuilder.actionLimit(actionSpace, algorithm: .sac)
        self.observationCount = observationCount
        actionCount = limit.count
        head = SquashedGaussianHead(actionLimit: limit)
        // Spinning Up's actor: a ReLU trunk with two linear heads (μ, log σ); one
        // output layer of width 2A is the same function.
        actor = MLP(inputs: observationCount, hidden: actorHidden, outputs: head.netOutputCount,
                    hiddenActivation: .relu, outputActivation: .identity, rng: &rng)
        critic1 = ActorCriticBuilder.qFunction(observationCount: observationCount, actionCount: actionCount,
                                               hidden: criticHidden, rng: &rng)
        critic2 = ActorCriticBuilder.qFunction(observationCount: observationCount, actionCount: actionCount,
                                               hidden: criticHidden, rng: &rng)
        critic1Target = critic1; critic2Target = critic2
        let lr = Float(config.lr)
        piOptimizer = Adam(parameterCount: actor.parameterCount, learningRate: lr)
        q1Optimizer = Adam(parameterCount: critic1.parameterCount, learningRate: lr)
        q2Optimizer = Adam(parameterCount: critic2.parameterCount, learningRate: lr)
        logAlpha = [Float(log(config.alpha))]
        alphaOptimizer = Adam(parameterCount: 1, learningRate: lr)
        let b = config.batchSize, a = actionCount
        actorWS = actor.makeWorkspace(batch: b)
        critic1WS = critic1.makeWorkspace(batch: b)
        critic2WS = critic2.makeWorkspace(batch: b)
        actWS = actor.makeWorkspace(batch: 1)
        criticInput = Scratch(b * (observationCount + a))
        actions = Scratch(b * a); noise = Scratch(b * a); squashed = Scratch(b * a); logProb = Scratch(b)
        target = Scratch(b); lossGradient = Scratch(b); lossGradient2 = Scratch(b)
        actionGradient = Scratch(b * a); netGradient = Scratch(b * 2 * a); logProbGradient = Scratch(b)
    }

    // MARK: - Losses

    /// Samples a ~ π(·|o) by reparameterisation (a = limit·tanh(μ + σε)) for a
    /// batch, keeping μ, σ, ε and tanh(u) for the backward pass.
    mutating func samplePolicy(_ observations: UnsafePointer<Float>, batch n: Int, rng: inout Xoshiro256) {
        let out = actor.forward(observations, batch: n, workspace: actorWS)
        for k in 0..<(n * actionCount) { noise[k] = Float(rng.normal()) }
        head.sample(netOutput: out, noise: noise.pointer, batch: n, actions: actions.pointer,
                    logProb: logProb.pointer, squashed: squashed.pointer)
    }

    /// Critic loss: mean (Q1(o, a) − y)² + mean (Q2(o, a) − y)² with the soft
    /// clipped double-Q target (Haarnoja et al. 2018; Spinning Up's `compute_loss_q`):
    /// y = r + γ(1 − d)(min_i Q′_i(o′, ã′) − α log π(ã′|o′)), ã′ ~ π(·|o′).
    mutating func criticLoss(_ b: TransitionBatch, alpha: Float, rng: inout Xoshiro256) -> Double {
        let n = b.size, o = observationCount, a = actionCount
        samplePolicy(b.nextObservations, batch: n, rng: &rng)
        concatenate(b.nextObservations, actions.pointer, batch: n, observationCount: o, actionCount: a, into: criticInput.pointer)
        let q1Next = critic1Target.forward(criticInput.pointer, batch: n, workspace: critic1WS)
        let q2Next = critic2Target.forward(criticInput.pointer, batch: n, workspace: critic2WS)
        let gamma = Float(config.gamma)
        for r in 0..<n {
            target[r] = b.rewards[r] + gamma * (1 - b.dones[r]) * (min(q1Next[r], q2Next[r]) - alpha * logProb[r])
        }
        concatenate(b.observations, b.actions, batch: n, observationCount: o, actionCount: a, into: criticInput.pointer)
        let q1 = critic1.forward(criticInput.pointer, batch: n, workspace: critic1WS)
        var loss = meanSquaredError(q1, target: target.pointer, batch: n, gradient: lossGradient.pointer)
        critic1.zeroGradients()
        critic1.backward(outputGradient: lossGradient.pointer, workspace: critic1WS)
        let q2 = critic2.forward(criticInput.pointer, batch: n, workspace: critic2WS)
        loss += meanSquaredError(q2, target: target.pointer, batch: n, gradient: lossGradient.pointer)
        critic2.zeroGradients()
        critic2.backward(outputGradient: lossGradient.pointer, workspace: critic2WS)
        return loss
    }

    /// Actor loss (Spinning Up's `compute_loss_pi`): mean(α log π(ã|o) − min_i Q_i(o, ã)),
    /// ã ~ π(·|o) reparameterised. The gradient reaches θ through log π directly
    /// and through ã via dQ/da from the critic that attains the minimum.
    /// Returns the loss and the mean log π (for the temperature loss).
    mutating func actorLoss(_ b: TransitionBatch, alpha: Float, rng: inout Xoshiro256) -> (loss: Double, meanLogProb: Double) {
        let n = b.size, o = observationCount, a = actionCount
        samplePolicy(b.observations, batch: n, rng: &rng)
        concatenate(b.observations, actions.pointer, batch: n, observationCount: o, actionCount: a, into: criticInput.pointer)
        let q1 = critic1.forward(criticInput.pointer, batch: n, workspace: critic1WS)
        let q2 = critic2.forward(criticInput.pointer, batch: n, workspace: critic2WS)
        var loss: Float = 0, sumLogProb: Float = 0
        let inv = 1 / Float(n)
        for r in 0..<n {
            let useFirst = q1[r] <= q2[r]
            loss += alpha * logProb[r] - (useFirst ? q1[r] : q2[r])
            sumLogProb += logProb[r]
            // d/dQ_i of −min(Q1, Q2)/B goes to the smaller one.
            lossGradient[r] = useFirst ? -inv : 0
            lossGradient2[r] = useFirst ? 0 : -inv
            logProbGradient[r] = alpha * inv
        }
        critic1.backwardToInput(outputGradient: lossGradient.pointer, workspace: critic1WS)
        actionColumns(of: critic1WS.inputGradient, batch: n, observationCount: o, actionCount: a,
                      into: actionGradient.pointer, accumulate: false)
        critic2.backwardToInput(outputGradient: lossGradient2.pointer, workspace: critic2WS)
        actionColumns(of: critic2WS.inputGradient, batch: n, observationCount: o, actionCount: a,
                      into: actionGradient.pointer, accumulate: true)
        head.backward(netOutput: actorWS.output, noise: noise.pointer, squashed: squashed.pointer, batch: n,
                      actionGradient: actionGradient.pointer, logProbGradient: logProbGradient.pointer,
                      into: netGradient.pointer)
        actor.zeroGradients()
        actor.backward(outputGradient: netGradient.pointer, workspace: actorWS)
        return (Double(loss * inv), Double(sumLogProb * inv))
    }

    /// Temperature loss (Haarnoja et al. 2018b, eq. 18, on log α as SB3):
    /// J(log α) = −log α · mean(log π(ã|o) + H̄); its gradient is −mean(log π + H̄).
    mutating func temperatureStep(meanLogProb: Double) {
        alphaGradient[0] = Float(-(meanLogProb + config.targetEntropy))
        alphaOptimizer.update(&logAlpha, gradients: alphaGradient)
    }

    // MARK: - Update

    /// One gradient step: critics, actor against the updated critics, α (when
    /// tuned), then the Polyak update of the target critics. α is read once at
    /// the start, so this step's losses all use the same temperature (as SB3).
    public mutating func update(_ b: TransitionBatch, rng: inout Xoshiro256) -> UpdateInfo {
        let alpha = expf(logAlpha[0])
        let lossQ = criticLoss(b, alpha: alpha, rng: &rng)
        q1Optimizer.update(&critic1)
        q2Optimizer.update(&critic2)
        let (lossPi, meanLogProb) = actorLoss(b, alpha: alpha, rng: &rng)
        piOptimizer.update(&actor)
        if config.autoAlpha { temperatureStep(meanLogProb: meanLogProb) }
        let rho = Float(config.polyak)
        polyakUpdate(target: &critic1Target, source: critic1, polyak: rho)
        polyakUpdate(target: &critic2Target, source: critic2, polyak: rho)
        return UpdateInfo(criticLoss: lossQ, actorLoss: lossPi, alpha: Double(alpha))
    }

    // MARK: - Act

    /// a ~ π(·|o) when exploring; the deterministic limit·tanh(μ(o)) otherwise.
    public mutating func act(_ observation: UnsafePointer<Float>, explore: Bool, rng: inout Xoshiro256,
                             into action: UnsafeMutablePointer<Float>) {
        let out = actor.forward(observation, batch: 1, workspace: actWS)
        if explore {
            for j in 0..<actionCount { noise[j] = Float(rng.normal()) }
        }
        // `logProb`/`squashed` rows 0 are scratch here; an update overwrites them before use.
        head.sample(netOutput: out, noise: explore ? UnsafePointer(noise.pointer) : nil, batch: 1,
                    actions: action, logProb: logProb.pointer, squashed: squashed.pointer)
    }

    // MARK: - Plumbing: checkpoint

    public func stateDict() -> StateDict {
        var s = StateDict()
        s.set("actor", network: actor); s.set("critic1", network: critic1); s.set("critic2", network: critic2)
        s.set("critic1_target", network: critic1Target); s.set("critic2_target", network: critic2Target)
        s.set("optimizer/actor", adam: piOptimizer)
        s.set("optimizer/critic1", adam: q1Optimizer); s.set("optimizer/critic2", adam: q2Optimizer)
        s.floats["log_alpha"] = logAlpha
        s.set("optimizer/log_alpha", adam: alphaOptimizer)
        return s
    }

    public mutating func load(_ s: StateDict) throws {
        try s.restore("actor", into: &actor); try s.restore("critic1", into: &critic1); try s.restore("critic2", into: &critic2)
        try s.restore("critic1_target", into: &critic1Target); try s.restore("critic2_target", into: &critic2Target)
        try s.restore("optimizer/actor", into: &piOptimizer)
        try s.restore("optimizer/critic1", into: &q1Optimizer); try s.restore("optimizer/critic2", into: &q2Optimizer)
        logAlpha = try s.float("log_alpha", count: 1)
        try s.restore("optimizer/log_alpha", into: &alphaOptimizer)
    }
}
