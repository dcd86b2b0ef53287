#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nets
import Envs

/// Soft Actor-Critic for discrete actions (Christodoulou 2019, "Soft
/// Actor-Critic for Discrete Action Settings", arXiv 1910.07207), used by
/// `--algo sac` on a Discrete action space (Acrobot-v1).
///
/// What changes from continuous SAC: the policy is categorical (logits), each
/// Q-network maps o to one value per action, and expectations over actions
/// are computed exactly instead of by sampling:
///
///     V(o′) = Σ_a π(a|o′) [min_i Q′_i(o′, a) − α log π(a|o′)]          (eq. 3)
///     J_π  = E_o Σ_a π(a|o) [α log π(a|o) − min_i Q_i(o, a)]            (eq. 12)
///     J_α  = E_o Σ_a π(a|o) [−α (log π(a|o) + H̄)]                      (eq. 11)
///
/// No reparameterisation is needed: the policy gradient flows through π's
/// probabilities (∂J_π/∂ℓ_k = p_k (c_k − Σ_a p_a c_a), c_a = α log p_a − min Q(o, a)).
public struct DiscreteSAC: OffPolicyLearner {
    // MARK: - Config

    /// Every discrete-SAC hyper-parameter; the loop settings default as Spinning Up's SAC.
    public struct Config: OffPolicyConfig, Codable, Sendable, Equatable {
        /// Replay buffer capacity in transitions. Spinning Up: 1e6.
        public var replaySize = 1_000_000
        /// Discount factor γ. Spinning Up: 0.99.
        public var gamma = 0.99
        /// Polyak coefficient ρ of θ′ ← ρθ′ + (1 − ρ)θ. Spinning Up: 0.995.
        public var polyak = 0.995
        /// Learning rate (Adam) of actor, critics and log α. Spinning Up: 1e-3 (Christodoulou: 3e-4).
        public var lr = 1e-3
        /// Entropy temperature α (the starting value when `auto_alpha`). Spinning Up: 0.2.
        public var alpha = 0.2
        /// Tune α towards `target_entropy` (Christodoulou 2019 does). Preset: true.
        public var autoAlpha = true
        /// Target entropy H̄ in nats. Christodoulou: 0.98 · log|A| (98% of the uniform
        /// policy's entropy); the presets set it from the environment's |A|.
        public var targetEntropy = 0.98 * log(3.0)
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
        /// The step budget. Spinning Up's SAC: epochs 100 × steps_per_epoch 4000.
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

    /// Defaults for `preset` on `env`. Neither Spinning Up nor any RL Zoo has a
    /// discrete SAC, so every preset takes Christodoulou's automatic α with target
    /// entropy 0.98 · log|A| and builds the rest from the continuous SAC's:
    ///
    /// - spinup: Spinning Up's SAC loop settings (lr 1e-3, batch 100, …), α starting at 0.2.
    /// - zoo: SB3's SAC library defaults (`SAC.preset(.zoo, …)`), α starting at 1.
    /// - paper: Spinning Up's loop (the code the paper used for SAC) with
    ///   Christodoulou's own values (arXiv 1910.07207, Table 1: lr 3e-4, batch 64,
    ///   α learned from 1); time-outs terminal below max_ep_len 1000 (Acrobot: 500).
    ///   How the paper ran SAC on Acrobot is not known.
    /// - tuned: Asym's own setting for Acrobot-v1, found by us, from no library:
    ///   `start_steps=0 lr=1e-4 auto_alpha=false alpha=0.003 update_every=1
    ///   batch_size=128`. With automatic α (targets 0.2–1.07) no training episode
    ///   reached the goal within 80,000 steps in our runs: the policy stays near
    ///   uniform and random torques never swing the tip up. A small fixed α and a low
    ///   lr, acting with the policy from the first step, reach about −116 after 30,000
    ///   steps ([64,64], seed 0; the learning test in AgentsTests). Elsewhere tuned = zoo.
    public static func preset(_ preset: Preset, env: String) throws -> Config {
        guard case .discrete(let actions) = try EnvRegistry.entry(env).actionSpace else {
            throw AgentError.unsupported("discrete SAC needs a Discrete action space (\(env) has a Box)")
        }
        var c = Config()
        c.targetEntropy = 0.98 * log(Double(actions))
        c.autoAlpha = true
        switch preset {
        case .spinup: break
        case .paper:
            c.lr = 3e-4; c.batchSize = 64; c.alpha = 1
            c.timeoutTerminal = try PaperSetup.spinningUpTimeoutTerminal(env: env)
        case .zoo, .tuned:
            let z = try SAC.preset(.zoo, env: env)
            c.lr = z.lr; c.replaySize = z.replaySize; c.startSteps = z.startSteps; c.updateAfter = z.updateAfter
            c.batchSize = z.batchSize; c.polyak = z.polyak; c.gamma = z.gamma; c.updateEvery = z.updateEvery
            c.alpha = z.alpha; c.totalSteps = z.totalSteps
            if preset == .tuned && env == "Acrobot-v1" {
                c.startSteps = 0; c.updateAfter = 1000; c.updateEvery = 1; c.batchSize = 128
                c.lr = 1e-4; c.autoAlpha = false; c.alpha = 0.003
            }
        }
        return c
    }

    // MARK: - Networks

    public let config: Config
    let observationCount: Int, actionCount: Int
    let head: CategoricalHead
    /// π_θ (logits), Q_φ1, Q_φ2 (o → one value per action) and the critics' targets.
    var actor: MLP, critic1: MLP, critic2: MLP
    var critic1Target: MLP, critic2Target: MLP
    var piOptimizer: Adam, q1Optimizer: Adam, q2Optimizer: Adam
    var logAlpha: [Float]
    var alphaOptimizer: Adam
    var alphaGradient: [Float] = [0]
    let actorWS: MLPWorkspace, critic1WS: MLPWorkspace, critic2WS: MLPWorkspace, actWS: MLPWorkspace
    let logProbs: Scratch, target: Scratch, q1Gradient: Scratch, q2Gradient: Scratch, logitGradient: Scratch

    public init(config: Config, observationCount: Int, actionSpace: Space, actorHidden: [Int], criticHidden: [Int],
                rng: inout Xoshiro256) throws {
        guard case .discrete(let n) = actionSpace else {
            throw AgentError.unsupported("discrete SAC needs a Discrete action space")
        }
        guard config.alpha > 0 else {
            throw AgentError.badValue(key: "alpha", value: String(config.alpha), expected: "a positive number")
        }
        self.config = config
        self.observationCount = observationCount
        actionCount = n
        head = CategoricalHead(actionCount: n)
        actor = MLP(inputs: observationCount, hidden: actorHidden, outputs: n, rng: &rng)
        critic1 = MLP(inputs: observationCount, hidden: criticHidden, outputs: n, rng: &rng)
        critic2 = MLP(inputs: observationCount, hidden: criticHidden, outputs: n, rng: &rng)
        critic1Target = critic1; critic2Target = critic2
        let lr = Float(config.lr)
        piOptimizer = Adam(parameterCount: actor.parameterCount, learningRate: lr)
        q1Optimizer = Adam(parameterCount: critic1.parameterCount, learningRate: lr)
        q2Optimizer = Adam(parameterCount: critic2.parameterCount, learningRate: lr)
        logAlpha = [Float(log(config.alpha))]
        alphaOptimizer = Adam(parameterCount: 1, learningRate: lr)
        let b = config.batchSize
        actorWS = actor.makeWorkspace(batch: b)
        critic1WS = critic1.makeWorkspace(batch: b)
        critic2WS = critic2.makeWorkspace(batch: b)
        actWS = actor.makeWorkspace(batch: 1)
        logProbs = Scratch(b * n); target = Scratch(b)
        q1Gradient = Scratch(b * n); q2Gradient = Scratch(b * n); logitGradient = Scratch(b * n)
    }

    // MARK: - Losses

    /// Critic loss: mean (Q1(o, a) − y)² + mean (Q2(o, a) − y)² on the stored
    /// actions, y = r + γ(1 − d) V(o′) with V the exact soft value (eq. 3).
    mutating func criticLoss(_ b: TransitionBatch, alpha: Float) -> Double {
        let n = b.size, k = actionCount
        let logits = actor.forward(b.nextObservations, batch: n, workspace: actorWS)
        head.logSoftmax(logits: logits, batch: n, into: logProbs.pointer)
        let q1Next = critic1Target.forward(b.nextObservations, batch: n, workspace: critic1WS)
        let q2Next = critic2Target.forward(b.nextObservations, batch: n, workspace: critic2WS)
        let gamma = Float(config.gamma)
        for r in 0..<n {
            var v: Float = 0
            for j in 0..<k {
                let lp = logProbs[r * k + j]
                v += expf(lp) * (min(q1Next[r * k + j], q2Next[r * k + j]) - alpha * lp)
            }
            target[r] = b.rewards[r] + gamma * (1 - b.dones[r]) * v
        }
        let q1 = critic1.forward(b.observations, batch: n, workspace: critic1WS)
        let q2 = critic2.forward(b.observations, batch: n, workspace: critic2WS)
        var loss: Float = 0
        let scale = 2 / Float(n)
        for r in 0..<n {
            let a = min(max(Int(b.actions[r]), 0), k - 1)
            for j in 0..<k { q1Gradient[r * k + j] = 0; q2Gradient[r * k + j] = 0 }
            let d1 = q1[r * k + a] - target[r], d2 = q2[r * k + a] - target[r]
            loss += d1 * d1 + d2 * d2
            // Only the taken action's output gets a gradient.
            q1Gradient[r * k + a] = scale * d1
            q2Gradient[r * k + a] = scale * d2
        }
        critic1.zeroGradients(); critic1.backward(outputGradient: q1Gradient.pointer, workspace: critic1WS)
        critic2.zeroGradients(); critic2.backward(outputGradient: q2Gradient.pointer, workspace: critic2WS)
        return Double(loss / Float(n))
    }

    /// Actor loss (eq. 12) with its exact gradient w.r.t. the logits:
    /// ∂/∂ℓ_k Σ_a p_a c_a = p_k (c_k − Σ_a p_a c_a) (the α·Σ p ∂log p term sums to zero).
    /// Returns the loss and the mean policy entropy (for the temperature loss).
    mutating func actorLoss(_ b: TransitionBatch, alpha: Float) -> (loss: Double, entropy: Double) {
        let n = b.size, k = actionCount
        let logits = actor.forward(b.observations, batch: n, workspace: actorWS)
        head.logSoftmax(logits: logits, batch: n, into: logProbs.pointer)
        let q1 = critic1.forward(b.observations, batch: n, workspace: critic1WS)
        let q2 = critic2.forward(b.observations, batch: n, workspace: critic2WS)
        var loss: Float = 0, entropy: Float = 0
        let inv = 1 / Float(n)
        for r in 0..<n {
            var f: Float = 0, h: Float = 0
            for j in 0..<k {
                let lp = logProbs[r * k + j], p = expf(lp)
                let c = alpha * lp - min(q1[r * k + j], q2[r * k + j])
                logitGradient[r * k + j] = c          // c_k for now
                f += p * c
                h -= p * lp
            }
            for j in 0..<k {
                let p = expf(logProbs[r * k + j])
                logitGradient[r * k + j] = inv * p * (logitGradient[r * k + j] - f)
            }
            loss += f
            entropy += h
        }
        actor.zeroGradients()
        actor.backward(outputGradient: logitGradient.pointer, workspace: actorWS)
        return (Double(loss * inv), Double(entropy * inv))
    }

    /// Temperature loss (eq. 11 on log α): J = −log α · mean Σ_a p_a (log p_a + H̄),
    /// gradient mean H(π(·|o)) − H̄: α falls while the policy is more random than the target.
    mutating func temperatureStep(meanEntropy: Double) {
        alphaGradient[0] = Float(meanEntropy - config.targetEntropy)
        alphaOptimizer.update(&logAlpha, gradients: alphaGradient)
    }

    // MARK: - Update

    /// Critics, actor (against the updated critics), α, then the Polyak update of the target critics.
    public mutating func update(_ b: TransitionBatch, rng: inout Xoshiro256) -> UpdateInfo {
        let alpha = expf(logAlpha[0])
        let lossQ = criticLoss(b, alpha: alpha)
        q1Optimizer.update(&critic1)
        q2Optimizer.update(&critic2)
        let (lossPi, entropy) = actorLoss(b, alpha: alpha)
        piOptimizer.update(&actor)
        if config.autoAlpha { temperatureStep(meanEntropy: entropy) }
        let rho = Float(config.polyak)
        polyakUpdate(target: &critic1Target, source: critic1, polyak: rho)
        polyakUpdate(target: &critic2Target, source: critic2, polyak: rho)
        return UpdateInfo(criticLoss: lossQ, actorLoss: lossPi, alpha: Double(alpha))
    }

    // MARK: - Act

    /// a ~ π(·|o) when exploring; the most probable action otherwise. The action
    /// travels as one Float holding the index.
    public mutating func act(_ observation: UnsafePointer<Float>, explore: Bool, rng: inout Xoshiro256,
                             into action: UnsafeMutablePointer<Float>) {
        let logits = actor.forward(observation, batch: 1, workspace: actWS)
        if explore {
            head.logSoftmax(logits: logits, batch: 1, into: logProbs.pointer)
            action[0] = Float(head.sample(logProbs: logProbs.pointer, rng: &rng))
        } else {
            action[0] = Float(head.mode(logits: logits))
        }
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
