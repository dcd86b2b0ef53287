import Nets
import Envs

/// Twin Delayed DDPG (Fujimoto et al. 2018), as Spinning Up's
/// `spinup/algos/pytorch/td3/td3.py`: DDPG plus three fixes against Q
/// over-estimation: clipped double-Q learning (two critics, the smaller
/// target), delayed policy and target updates, and target policy smoothing.
public struct TD3: OffPolicyLearner {
    // MARK: - Config

    /// Every TD3 hyper-parameter, with Spinning Up's defaults
    /// (openai/spinningup @ 038665d, `spinup/algos/pytorch/td3/td3.py`).
    public struct Config: OffPolicyConfig, Codable, Sendable, Equatable {
        /// Replay buffer capacity in transitions. Spinning Up: 1e6.
        public var replaySize = 1_000_000
        /// Discount factor γ. Spinning Up: 0.99.
        public var gamma = 0.99
        /// Polyak coefficient ρ of θ′ ← ρθ′ + (1 − ρ)θ (ρ = 1 − τ). Spinning Up: 0.995.
        public var polyak = 0.995
        /// Actor learning rate (Adam). Spinning Up: 1e-3.
        public var piLr = 1e-3
        /// Critic learning rate (Adam), both critics. Spinning Up: 1e-3.
        public var qLr = 1e-3
        /// Minibatch size. Spinning Up: 100.
        public var batchSize = 100
        /// Steps of uniform random actions before the policy acts. Spinning Up: 10000.
        public var startSteps = 10_000
        /// Steps before the first update. Spinning Up: 1000.
        public var updateAfter = 1_000
        /// Env steps between update rounds; each round is this many gradient steps. Spinning Up: 50.
        public var updateEvery = 50
        /// Standard deviation of the Gaussian exploration noise. Spinning Up: 0.1.
        public var actNoise = 0.1
        /// `act_noise`, `target_noise` and `noise_clip` are in [−1, 1] action units,
        /// multiplied by the action limit (SB3); false: absolute (Spinning Up).
        public var scaleNoiseByLimit = false
        /// Standard deviation σ̃ of the target policy smoothing noise. Spinning Up and Fujimoto et al.: 0.2.
        public var targetNoise = 0.2
        /// Bound c of the smoothing noise, clip(ε, −c, c). Spinning Up and Fujimoto et al.: 0.5.
        public var noiseClip = 0.5
        /// Critic updates per actor and target update, d. Spinning Up and Fujimoto et al.: 2.
        public var policyDelay = 2
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
            case replaySize = "replay_size", gamma, polyak, piLr = "pi_lr", qLr = "q_lr", batchSize = "batch_size"
            case startSteps = "start_steps", updateAfter = "update_after", updateEvery = "update_every"
            case actNoise = "act_noise", targetNoise = "target_noise", noiseClip = "noise_clip"
            case scaleNoiseByLimit = "scale_noise_by_limit"
            case policyDelay = "policy_delay", numTestEpisodes = "num_test_episodes", logEvery = "log_every"
            case timeoutTerminal = "timeout_terminal", totalSteps = "total_steps"
        }
    }

    /// Defaults for `preset` on `env`.
    ///
    /// - spinup: Spinning Up's defaults.
    /// - zoo, tuned: the zoo entries are DDPG's (the SB3 zoo lists DDPG and TD3 together,
    ///   `hyperparams/td3.yml` = `ddpg.yml`; see `DDPG.preset`), plus SB3's TD3 defaults
    ///   policy_delay 2, target_policy_noise 0.2, target_noise_clip 0.5, all noise in
    ///   SB3's [−1, 1] action units.
    /// - paper: see `paperPreset(env:)`.
    public static func preset(_ preset: Preset, env: String) throws -> Config {
        var c = Config()
        switch preset {
        case .spinup: break
        case .paper: return try paperPreset(env: env)
        case .zoo, .tuned:
            let d = try DDPG.preset(.zoo, env: env)
            c.replaySize = d.replaySize; c.gamma = d.gamma; c.polyak = d.polyak; c.piLr = d.piLr; c.qLr = d.qLr
            c.batchSize = d.batchSize; c.startSteps = d.startSteps; c.updateAfter = d.updateAfter
            c.updateEvery = d.updateEvery; c.actNoise = d.actNoise; c.scaleNoiseByLimit = d.scaleNoiseByLimit
            c.totalSteps = d.totalSteps
            c.targetNoise = 0.2; c.noiseClip = 0.5; c.policyDelay = 2
        }
        return c
    }

    /// The paper's TD3: Spinning Up's code and defaults (noise absolute), time-outs
    /// terminal below max_ep_len 1000, and the SB2 zoo (`hyperparams/td3.yml`) where
    /// it has an entry. SB2's `learning_starts` (random actions and no updates before
    /// it, `stable_baselines/td3/td3.py`) sets both `start_steps` and `update_after`.
    static func paperPreset(env: String) throws -> Config {
        var c = Config()
        c.timeoutTerminal = try PaperSetup.spinningUpTimeoutTerminal(env: env)
        switch env {
        case _ where PaperSetup.isPendulum(env):
            // SB2 zoo td3.yml Pendulum-v0: n_timesteps 1e5, noise normal 0.1, learning_starts 1000.
            c.totalSteps = 100_000; c.actNoise = 0.1; c.startSteps = 1_000; c.updateAfter = 1_000
        case _ where env.hasPrefix("HalfCheetah"):
            // SB2 zoo td3.yml HalfCheetah-v2: 1e6 steps, γ 0.99, buffer 1e6, noise normal 0.1,
            // learning_starts 1e4, batch 100, lr 1e-3, train_freq = gradient_steps = 1000
            // (Spinning Up's update_every is both). Its TimeFeatureWrapper is not reproduced.
            c.totalSteps = 1_000_000; c.gamma = 0.99; c.replaySize = 1_000_000; c.actNoise = 0.1
            c.startSteps = 10_000; c.updateAfter = 10_000; c.batchSize = 100; c.piLr = 1e-3; c.qLr = 1e-3
            c.updateEvery = 1_000
        case _ where PaperSetup.isToy(env):
            var d = DDPG.Config(); d.applyCAPSToyDefaults()
            c.startSteps = d.startSteps; c.updateEvery = d.updateEvery; c.actNoise = d.actNoise; c.totalSteps = d.totalSteps
        case _ where PaperSetup.isLocomotion(env):
            // Ant-v2: the SB2 zoo has AntBulletEnv-v0 only (another simulator): Spinning Up's defaults.
            c.totalSteps = PaperSetup.locomotionBudget
        default:
            break   // Reacher-v2: only ReacherBulletEnv-v0 in the SB2 zoo: Spinning Up's defaults and budget.
        }
        return c
    }

    // MARK: - Networks

    public let config: Config
    let observationCount: Int, actionCount: Int
    let head: TanhDeterministicHead
    /// One unit of noise per action dimension: the limit (`scale_noise_by_limit`) or 1.
    let noiseUnit: [Float]
    /// μ_θ, Q_φ1, Q_φ2 and their targets.
    var actor: MLP, critic1: MLP, critic2: MLP
    var actorTarget: MLP, critic1Target: MLP, critic2Target: MLP
    var piOptimizer: Adam, q1Optimizer: Adam, q2Optimizer: Adam
    /// Gradient steps taken: the actor moves when it is a multiple of `policy_delay`.
    var updateCount = 0
    let actorWS: MLPWorkspace, critic1WS: MLPWorkspace, critic2WS: MLPWorkspace, actWS: MLPWorkspace
    let criticInput: Scratch, actions: Scratch, target: Scratch, lossGradient: Scratch, actionGradient: Scratch

    public init(config: Config, observationCount: Int, actionSpace: Space, actorHidden: [Int], criticHidden: [Int],
                rng: inout Xoshiro256) throws {
        guard config.policyDelay > 0 else {
            throw AgentError.badValue(key: "policy_delay", value: String(config.policyDelay), expected: "a positive integer")
        }
        self.config = config
        let limit = try ActorCriticBuilder.actionLimit(actionSpace, algorithm: .td3)
        self.observationCount = observationCount
        actionCount = limit.count
        head = TanhDeterministicHead(actionLimit: limit)
        noiseUnit = config.scaleNoiseByLimit ? limit : [Float](repeating: 1, count: limit.count)
        actor = ActorCriticBuilder.deterministicActor(observationCount: observationCount, actionCount: actionCount,
                                                      hidden: actorHidden, rng: &rng)
        critic1 = ActorCriticBuilder.qFunction(observationCount: observationCount, actionCount: actionCount,
                                               hidden: criticHidden, rng: &rng)
        critic2 = ActorCriticBuilder.qFunction(observationCount: observationCount, actionCount: actionCount,
                                               hidden: criticHidden, rng: &rng)
        actorTarget = actor; critic1Target = critic1; critic2Target = critic2
        piOptimizer = Adam(parameterCount: actor.parameterCount, learningRate: Float(config.piLr))
        q1Optimizer = Adam(parameterCount: critic1.parameterCount, learningRate: Float(config.qLr))
        q2Optimizer = Adam(parameterCount: critic2.parameterCount, learningRate: Float(config.qLr))
        let b = config.batchSize
        actorWS = actor.makeWorkspace(batch: b)
        critic1WS = critic1.makeWorkspace(batch: b)
        critic2WS = critic2.makeWorkspace(batch: b)
        actWS = actor.makeWorkspace(batch: 1)
        criticInput = Scratch(b * (observationCount + actionCount))
        actions = Scratch(b * actionCount)
        target = Scratch(b)
        lossGradient = Scratch(b)
        actionGradient = Scratch(b * actionCount)
    }

    // MARK: - Losses

    /// Critic loss: mean (Q1(o, a) − y)² + mean (Q2(o, a) − y)² with the
    /// clipped double-Q target (Fujimoto et al. 2018, eq. 10 and 14):
    /// y = r + γ(1 − d) min_i Q′_i(o′, ã), ã = clip(μ′(o′) + clip(ε, −c, c), −limit, limit), ε ~ N(0, σ̃²).
    /// Leaves the gradients in both critics.
    mutating func criticLoss(_ b: TransitionBatch, rng: inout Xoshiro256) -> Double {
        let n = b.size, o = observationCount, a = actionCount
        // Target policy smoothing.
        let nextMu = actorTarget.forward(b.nextObservations, batch: n, workspace: actorWS)
        head.actions(netOutput: nextMu, batch: n, into: actions.pointer)
        let sigma = Float(config.targetNoise), c = Float(config.noiseClip)
        for r in 0..<n {
            for j in 0..<a {
                let unit = noiseUnit[j]
                actions[r * a + j] += min(max(sigma * unit * Float(rng.normal()), -c * unit), c * unit)
            }
        }
        clip(actions.pointer, batch: n, limit: head.actionLimit)
        // Clipped double-Q target.
        concatenate(b.nextObservations, actions.pointer, batch: n, observationCount: o, actionCount: a, into: criticInput.pointer)
        let q1Next = critic1Target.forward(criticInput.pointer, batch: n, workspace: critic1WS)
        let q2Next = critic2Target.forward(criticInput.pointer, batch: n, workspace: critic2WS)
        let gamma = Float(config.gamma)
        for r in 0..<n { target[r] = b.rewards[r] + gamma * (1 - b.dones[r]) * min(q1Next[r], q2Next[r]) }
        // Both critics regress on the same target.
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

    /// Actor loss: −mean Q1(o, μ(o)) (the first critic only, as in the paper).
    mutating func actorLoss(_ b: TransitionBatch) -> Double {
        let n = b.size, o = observationCount, a = actionCount
        let mu = actor.forward(b.observations, batch: n, workspace: actorWS)
        head.actions(netOutput: mu, batch: n, into: actions.pointer)
        concatenate(b.observations, actions.pointer, batch: n, observationCount: o, actionCount: a, into: criticInput.pointer)
        let q = critic1.forward(criticInput.pointer, batch: n, workspace: critic1WS)
        var sum: Float = 0
        for r in 0..<n { sum += q[r]; lossGradient[r] = -1 / Float(n) }
        critic1.backwardToInput(outputGradient: lossGradient.pointer, workspace: critic1WS)
        actionColumns(of: critic1WS.inputGradient, batch: n, observationCount: o, actionCount: a,
                      into: actionGradient.pointer, accumulate: false)
        // dL/d(tanh output) = limit · dL/da, written over `actions` (no longer needed).
        head.backward(actionGradient: actionGradient.pointer, batch: n, into: actions.pointer)
        actor.zeroGradients()
        actor.backward(outputGradient: actions.pointer, workspace: actorWS)
        return Double(-sum / Float(n))
    }

    // MARK: - Update

    /// One gradient step: both critics; every `policy_delay`-th step also the
    /// actor and the Polyak update of all three targets.
    ///
    /// The delay counts gradient steps over the whole run (as the TD3 paper,
    /// SB3 and CleanRL do). Spinning Up counts `j` within one round of
    /// `update_every` steps, which with `update_every = 1` would update the
    /// actor on every step; this is the one place we depart from it.
    public mutating func update(_ b: TransitionBatch, rng: inout Xoshiro256) -> UpdateInfo {
        let lossQ = criticLoss(b, rng: &rng)
        q1Optimizer.update(&critic1)
        q2Optimizer.update(&critic2)
        var lossPi: Double? = nil
        if updateCount % config.policyDelay == 0 {
            lossPi = actorLoss(b)
            piOptimizer.update(&actor)
            let rho = Float(config.polyak)
            polyakUpdate(target: &actorTarget, source: actor, polyak: rho)
            polyakUpdate(target: &critic1Target, source: critic1, polyak: rho)
            polyakUpdate(target: &critic2Target, source: critic2, polyak: rho)
        }
        updateCount += 1
        return UpdateInfo(criticLoss: lossQ, actorLoss: lossPi, alpha: nil)
    }

    // MARK: - Act

    /// a = clip(μ(o) + σε, −limit, limit) when exploring; μ(o) otherwise.
    public mutating func act(_ observation: UnsafePointer<Float>, explore: Bool, rng: inout Xoshiro256,
                             into action: UnsafeMutablePointer<Float>) {
        let out = actor.forward(observation, batch: 1, workspace: actWS)
        head.actions(netOutput: out, batch: 1, into: action)
        guard explore else { return }
        let sigma = Float(config.actNoise)
        for j in 0..<actionCount { action[j] += sigma * noiseUnit[j] * Float(rng.normal()) }
        clip(action, batch: 1, limit: head.actionLimit)
    }

    // MARK: - Plumbing: checkpoint

    public func stateDict() -> StateDict {
        var s = StateDict()
        s.set("actor", network: actor); s.set("critic1", network: critic1); s.set("critic2", network: critic2)
        s.set("actor_target", network: actorTarget)
        s.set("critic1_target", network: critic1Target); s.set("critic2_target", network: critic2Target)
        s.set("optimizer/actor", adam: piOptimizer)
        s.set("optimizer/critic1", adam: q1Optimizer); s.set("optimizer/critic2", adam: q2Optimizer)
        s.setInteger("update_count", updateCount)
        return s
    }

    public mutating func load(_ s: StateDict) throws {
        try s.restore("actor", into: &actor); try s.restore("critic1", into: &critic1); try s.restore("critic2", into: &critic2)
        try s.restore("actor_target", into: &actorTarget)
        try s.restore("critic1_target", into: &critic1Target); try s.restore("critic2_target", into: &critic2Target)
        try s.restore("optimizer/actor", into: &piOptimizer)
        try s.restore("optimizer/critic1", into: &q1Optimizer); try s.restore("optimizer/critic2", into: &q2Optimizer)
        updateCount = try s.integer("update_count")
    }
}
