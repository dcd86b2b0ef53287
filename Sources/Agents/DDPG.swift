import Nets
import Envs

/// Deep Deterministic Policy Gradient (Lillicrap et al. 2016), as Spinning Up's
/// `spinup/algos/pytorch/ddpg/ddpg.py`: a deterministic actor μ(o) trained to
/// maximise a learned Q(o, a), exploration by Gaussian action noise, target
/// networks tracked by Polyak averaging. The loop (acting, storing, when to
/// update) is `OffPolicyAgent`; this file is the algorithm.
public struct DDPG: OffPolicyLearner {
    // MARK: - Config

    /// Every DDPG hyper-parameter, with Spinning Up's defaults
    /// (openai/spinningup @ 038665d, `spinup/algos/pytorch/ddpg/ddpg.py`).
    public struct Config: OffPolicyConfig, Codable, Sendable, Equatable {
        /// Replay buffer capacity in transitions. Spinning Up: 1e6.
        public var replaySize = 1_000_000
        /// Discount factor γ. Spinning Up: 0.99.
        public var gamma = 0.99
        /// Polyak coefficient ρ of the target update θ′ ← ρθ′ + (1 − ρ)θ (ρ = 1 − τ). Spinning Up: 0.995.
        public var polyak = 0.995
        /// Actor learning rate (Adam). Spinning Up: 1e-3.
        public var piLr = 1e-3
        /// Critic learning rate (Adam). Spinning Up: 1e-3.
        public var qLr = 1e-3
        /// Minibatch size. Spinning Up: 100.
        public var batchSize = 100
        /// Steps of uniform random actions before the policy acts. Spinning Up: 10000.
        public var startSteps = 10_000
        /// Steps before the first update (fills the buffer). Spinning Up: 1000.
        public var updateAfter = 1_000
        /// Env steps between update rounds; each round is this many gradient steps. Spinning Up: 50.
        public var updateEvery = 50
        /// Standard deviation σ of the Gaussian exploration noise. Spinning Up: 0.1.
        public var actNoise = 0.1
        /// σ is in [−1, 1] action units and multiplied by the action limit (SB3, which
        /// acts in the rescaled space); false: absolute, environment units (Spinning Up).
        public var scaleNoiseByLimit = false
        /// Evaluation episodes (Spinning Up's num_test_episodes: 10); pipelines read it, `evaluate` takes its own count.
        public var numTestEpisodes = 10
        /// Env steps per metrics window (loss averages). Asym's choice: 1000.
        public var logEvery = 1_000
        /// Store time-outs as terminal (see `OffPolicyConfig.timeoutTerminal`). false.
        public var timeoutTerminal = false
        /// The step budget. Spinning Up: epochs 100 × steps_per_epoch 4000.
        public var totalSteps = PaperSetup.spinningUpOffPolicyBudget

        public init() {}

        enum CodingKeys: String, CodingKey {
            case replaySize = "replay_size", gamma, polyak, piLr = "pi_lr", qLr = "q_lr", batchSize = "batch_size"
            case startSteps = "start_steps", updateAfter = "update_after", updateEvery = "update_every"
            case actNoise = "act_noise", scaleNoiseByLimit = "scale_noise_by_limit"
            case numTestEpisodes = "num_test_episodes", logEvery = "log_every"
            case timeoutTerminal = "timeout_terminal", totalSteps = "total_steps"
        }
    }

    /// Defaults for `preset` on `env`.
    ///
    /// - spinup: Spinning Up's defaults everywhere.
    /// - zoo, tuned: the RL Zoo with SB3's semantics (noise in [−1, 1] action units).
    ///   Pendulum-v0: SB3 zoo v1.0 `hyperparams/ddpg.yml` (gamma 0.98, buffer 2e5,
    ///   learning_starts 1e4, N(0, 0.1) noise, train_freq 1 episode with gradient_steps
    ///   −1, i.e. 200 steps every 200, lr 1e-3, 2e4 steps); Pendulum-v1: rl-zoo3 2.9.2
    ///   (the same but train_freq 1, gradient_steps 1). HalfCheetah/Ant: rl-zoo3 2.9.2
    ///   (learning_starts 1e4, N(0, 0.1), 1e6 steps). Elsewhere SB3's library defaults
    ///   (`stable_baselines3/ddpg/ddpg.py`: lr 1e-3, buffer 1e6, learning_starts 100,
    ///   batch 256, τ 0.005, γ 0.99, train_freq 1, gradient_steps 1) with the zoo's
    ///   usual N(0, 0.1) noise (SB3's default is no noise). SB3's `learning_starts`
    ///   sets both `start_steps` and `update_after`.
    /// - paper: see `paperPreset(env:)`.
    ///   Network sizes in the zoo files ([400,300]) are not part of the config: the run spec sets them.
    public static func preset(_ preset: Preset, env: String) throws -> Config {
        var c = Config()
        switch preset {
        case .spinup: break
        case .paper: return try paperPreset(env: env)
        case .zoo, .tuned:
            c.applySB3OffPolicyDefaults()
            c.totalSteps = zooOffPolicyBudget(env: env)
            switch env {
            case "Pendulum-v0":
                c.gamma = 0.98; c.replaySize = 200_000; c.startSteps = 10_000; c.updateAfter = 10_000
                c.updateEvery = 200
            case "Pendulum-v1":
                c.gamma = 0.98; c.replaySize = 200_000; c.startSteps = 10_000; c.updateAfter = 10_000
            case _ where PaperSetup.isLocomotion(env):
                c.startSteps = 10_000; c.updateAfter = 10_000
            default: break
            }
        }
        return c
    }

    /// The paper's DDPG: Spinning Up's code and defaults, time-outs terminal below
    /// max_ep_len 1000 (as Spinning Up stored them), and the SB2 zoo where it has an entry.
    static func paperPreset(env: String) throws -> Config {
        var c = Config()
        c.timeoutTerminal = try PaperSetup.spinningUpTimeoutTerminal(env: env)
        switch env {
        case _ where PaperSetup.isPendulum(env):
            // SB2 rl-baselines-zoo `hyperparams/ddpg.yml` Pendulum-v0: n_timesteps 2e5,
            // memory_limit 5e4, noise_type ornstein-uhlenbeck, noise_std 0.1. Spinning Up
            // has Gaussian action noise only; σ 0.1 is kept, absolute as in Spinning Up.
            c.totalSteps = 200_000; c.replaySize = 50_000; c.actNoise = 0.1
        case _ where PaperSetup.isToy(env):
            c.applyCAPSToyDefaults()
        case _ where PaperSetup.isLocomotion(env):
            // No SB2 zoo entry for DDPG on MuJoCo: Spinning Up's defaults; budget see `PaperSetup.locomotionBudget`.
            c.totalSteps = PaperSetup.locomotionBudget
        default:
            break   // Reacher-v2: no SB2 entry; Spinning Up's defaults and budget (4e5).
        }
        return c
    }

    // MARK: - Networks

    public let config: Config
    let observationCount: Int, actionCount: Int
    let head: TanhDeterministicHead
    /// What one unit of noise σ is per action dimension: the action limit (SB3's
    /// [−1, 1] units, `scale_noise_by_limit`) or 1 (absolute, Spinning Up).
    let noiseUnit: [Float]
    /// μ_θ(o) and Q_φ(o, a), and their targets μ_θ′, Q_φ′.
    var actor: MLP, critic: MLP
    var actorTarget: MLP, criticTarget: MLP
    var piOptimizer: Adam, qOptimizer: Adam
    // Preallocated workspaces and scratch (see OffPolicyCore.swift).
    let actorWS: MLPWorkspace, criticWS: MLPWorkspace, actWS: MLPWorkspace
    let criticInput: Scratch, actions: Scratch, target: Scratch, lossGradient: Scratch, actionGradient: Scratch

    public init(config: Config, observationCount: Int, actionSpace: Space, actorHidden: [Int], criticHidden: [Int],
                rng: inout Xoshiro256) throws {
        self.config = config
        let limit = try ActorCriticBuilder.actionLimit(actionSpace, algorithm: .ddpg)
        self.observationCount = observationCount
        actionCount = limit.count
        head = TanhDeterministicHead(actionLimit: limit)
        noiseUnit = config.scaleNoiseByLimit ? limit : [Float](repeating: 1, count: limit.count)
        actor = ActorCriticBuilder.deterministicActor(observationCount: observationCount, actionCount: actionCount,
                                                      hidden: actorHidden, rng: &rng)
        critic = ActorCriticBuilder.qFunction(observationCount: observationCount, actionCount: actionCount,
                                              hidden: criticHidden, rng: &rng)
        actorTarget = actor
        criticTarget = critic
        piOptimizer = Adam(parameterCount: actor.parameterCount, learningRate: Float(config.piLr))
        qOptimizer = Adam(parameterCount: critic.parameterCount, learningRate: Float(config.qLr))
        let b = config.batchSize
        actorWS = actor.makeWorkspace(batch: b)
        criticWS = critic.makeWorkspace(batch: b)
        actWS = actor.makeWorkspace(batch: 1)
        criticInput = Scratch(b * (observationCount + actionCount))
        actions = Scratch(b * actionCount)
        target = Scratch(b)
        lossGradient = Scratch(b)
        actionGradient = Scratch(b * actionCount)
    }

    // MARK: - Losses

    /// Critic loss (Lillicrap et al. 2016, eq. 4): mean (Q(o, a) − y)² with the
    /// target y = r + γ(1 − d) Q′(o′, μ′(o′)). Leaves dL/dφ in `critic.gradients`.
    mutating func criticLoss(_ b: TransitionBatch) -> Double {
        let n = b.size, o = observationCount, a = actionCount
        // Target: y = r + γ(1 − d) Q′(o′, μ′(o′)), no gradient through it.
        let nextMu = actorTarget.forward(b.nextObservations, batch: n, workspace: actorWS)
        head.actions(netOutput: nextMu, batch: n, into: actions.pointer)
        concatenate(b.nextObservations, actions.pointer, batch: n, observationCount: o, actionCount: a, into: criticInput.pointer)
        let qNext = criticTarget.forward(criticInput.pointer, batch: n, workspace: criticWS)
        let gamma = Float(config.gamma)
        for r in 0..<n { target[r] = b.rewards[r] + gamma * (1 - b.dones[r]) * qNext[r] }
        // Q(o, a) on the stored actions.
        concatenate(b.observations, b.actions, batch: n, observationCount: o, actionCount: a, into: criticInput.pointer)
        let q = critic.forward(criticInput.pointer, batch: n, workspace: criticWS)
        let loss = meanSquaredError(q, target: target.pointer, batch: n, gradient: lossGradient.pointer)
        critic.zeroGradients()
        critic.backward(outputGradient: lossGradient.pointer, workspace: criticWS)
        return loss
    }

    /// Actor loss (deterministic policy gradient, Silver et al. 2014): −mean Q(o, μ(o)).
    /// dL/da comes from the critic's input gradient, then flows through μ.
    /// Leaves dL/dθ in `actor.gradients` (the critic's gradients are scratch afterwards).
    mutating func actorLoss(_ b: TransitionBatch) -> Double {
        let n = b.size, o = observationCount, a = actionCount
        let mu = actor.forward(b.observations, batch: n, workspace: actorWS)
        head.actions(netOutput: mu, batch: n, into: actions.pointer)
        concatenate(b.observations, actions.pointer, batch: n, observationCount: o, actionCount: a, into: criticInput.pointer)
        let q = critic.forward(criticInput.pointer, batch: n, workspace: criticWS)
        var sum: Float = 0
        for r in 0..<n { sum += q[r]; lossGradient[r] = -1 / Float(n) }
        critic.backwardToInput(outputGradient: lossGradient.pointer, workspace: criticWS)
        actionColumns(of: criticWS.inputGradient, batch: n, observationCount: o, actionCount: a,
                      into: actionGradient.pointer, accumulate: false)
        // dL/d(tanh output) = limit · dL/da, written over `actions` (no longer needed).
        head.backward(actionGradient: actionGradient.pointer, batch: n, into: actions.pointer)
        actor.zeroGradients()
        actor.backward(outputGradient: actions.pointer, workspace: actorWS)
        return Double(-sum / Float(n))
    }

    // MARK: - Update

    /// One gradient step: critic, then actor against the updated critic, then
    /// the Polyak update of both targets (Spinning Up's `update`).
    public mutating func update(_ b: TransitionBatch, rng: inout Xoshiro256) -> UpdateInfo {
        let lossQ = criticLoss(b)
        qOptimizer.update(&critic)
        let lossPi = actorLoss(b)
        piOptimizer.update(&actor)
        polyakUpdate(target: &actorTarget, source: actor, polyak: Float(config.polyak))
        polyakUpdate(target: &criticTarget, source: critic, polyak: Float(config.polyak))
        return UpdateInfo(criticLoss: lossQ, actorLoss: lossPi, alpha: nil)
    }

    // MARK: - Act

    /// a = clip(μ(o) + σε, −limit, limit) with ε ~ N(0, 1) when exploring; μ(o) otherwise.
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
        s.set("actor", network: actor); s.set("critic", network: critic)
        s.set("actor_target", network: actorTarget); s.set("critic_target", network: criticTarget)
        s.set("optimizer/actor", adam: piOptimizer); s.set("optimizer/critic", adam: qOptimizer)
        return s
    }

    public mutating func load(_ s: StateDict) throws {
        try s.restore("actor", into: &actor); try s.restore("critic", into: &critic)
        try s.restore("actor_target", into: &actorTarget); try s.restore("critic_target", into: &criticTarget)
        try s.restore("optimizer/actor", into: &piOptimizer); try s.restore("optimizer/critic", into: &qOptimizer)
    }
}

extension DDPG.Config {
    /// SB3's off-policy library defaults (stable-baselines3 2.x `ddpg/ddpg.py`, `td3/td3.py`):
    /// lr 1e-3 (both networks), buffer 1e6, learning_starts 100, batch 256,
    /// τ 0.005, γ 0.99, train_freq 1, gradient_steps 1; noise N(0, 0.1) as the zoo's
    /// entries, in SB3's [−1, 1] action units.
    mutating func applySB3OffPolicyDefaults() {
        piLr = 1e-3; qLr = 1e-3; replaySize = 1_000_000; startSteps = 100; updateAfter = 100
        batchSize = 256; polyak = 0.995; gamma = 0.99; updateEvery = 1; actNoise = 0.1
        scaleNoiseByLimit = true
    }

    /// The toy problem in the authors' CAPS code (rl_smoothness `ddpg.py`, Spinning
    /// Up-style): start_steps 1000, 150 gradient steps at the end of every 150-step
    /// episode (update_every 150), act_noise 0.1, 100 epochs × 10 episodes; the rest
    /// (γ 0.99, ρ 0.995, lr 1e-3, batch 100, replay 1e6) are Spinning Up's defaults.
    mutating func applyCAPSToyDefaults() {
        startSteps = 1_000; updateEvery = 150; actNoise = 0.1; totalSteps = PaperSetup.toyBudget
    }
}
