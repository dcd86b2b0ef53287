import Nets
import Envs

/// What the on-policy shell reads from an algorithm's config.
public protocol OnPolicyConfig: Codable, Sendable, Equatable {
    /// Steps per environment per rollout.
    var nSteps: Int { get }
    /// Parallel environments, stepped in lockstep.
    var nEnvs: Int { get }
    /// Discount γ and GAE λ of the rollout buffer.
    var gamma: Double { get }
    var gaeLambda: Double { get }
    var normalizeObservations: Bool { get }
    var normalizeRewards: Bool { get }
    /// End a path with value 0 on a time-limit truncation (Baselines' ppo2; Spinning Up below max_ep_len).
    var timeoutTerminal: Bool { get }
    /// The preset's step budget.
    var budget: Int { get }
    /// Rejects values the algorithm cannot run with, naming the key.
    func validate() throws
}

/// An on-policy algorithm as the shell sees it: it owns the policy π, the value
/// network V and its optimisers, and turns one full rollout into an update.
public protocol OnPolicyLearner {
    associatedtype Config: OnPolicyConfig
    var config: Config { get }
    var policy: StochasticPolicy { get }
    var value: MLP { get }
    /// Updates done so far (one per full rollout).
    var updates: Int { get }
    init(spec: RunSpec, config: Config, observationCount: Int, actionSpace: Space) throws
    /// One update from a full rollout whose paths are all finished.
    mutating func update(_ buffer: RolloutBuffer, step: Int, metrics: MetricsSink)
    func stateDict() -> StateDict
    mutating func load(_ state: StateDict) throws
}

/// The one agent shell of PPO and TRPO, as `OffPolicyAgent` is for DDPG, TD3 and
/// SAC: `n_envs` environments step into a `RolloutBuffer` through the
/// `RolloutCollector`; when the rollout is full the learner updates and the
/// buffer starts over. Evaluation runs on an environment of its own, built
/// with the agent (so it cannot fail later), through the frozen normaliser.
public final class OnPolicyAgent<Learner: OnPolicyLearner>: Agent {
    public typealias Config = Learner.Config
    public let spec: RunSpec
    public let configJSON: String
    let specJSON: String
    public private(set) var stepsDone = 0
    public var budget: Int { config.budget }
    public var config: Config { learner.config }

    var learner: Learner
    var buffer: RolloutBuffer
    let collector: RolloutCollector
    var evalEnv: any Env

    public init(spec: RunSpec, config: Config) throws {
        try config.validate()
        try validateHiddenSizes(spec)
        let entry = try EnvRegistry.entry(spec.env)
        self.spec = spec
        configJSON = try canonicalJSON(config)
        specJSON = try canonicalJSON(spec)
        learner = try Learner(spec: spec, config: config, observationCount: entry.observationCount,
                              actionSpace: entry.actionSpace)
        buffer = RolloutBuffer(stepsPerEnv: config.nSteps, envCount: config.nEnvs,
                               observationCount: entry.observationCount, actionCount: learner.policy.actionFloats,
                               gamma: config.gamma, lambda: config.gaeLambda)
        collector = try RolloutCollector(envID: spec.env, envCount: config.nEnvs, seed: spec.seed,
                                         policy: learner.policy, value: learner.value,
                                         normalizeObservations: config.normalizeObservations,
                                         normalizeRewards: config.normalizeRewards, gamma: config.gamma,
                                         timeoutTerminal: config.timeoutTerminal)
        evalEnv = try EnvRegistry.make(spec.env)
    }

    /// One step of every environment; when that fills the rollout, the update runs.
    public func trainStep(metrics: MetricsSink) {
        let full = collector.step(policy: learner.policy, value: learner.value, buffer: &buffer,
                                  metrics: metrics, stepsDone: stepsDone)
        stepsDone += config.nEnvs
        if full {
            learner.update(buffer, step: stepsDone, metrics: metrics)
            buffer.reset()
        }
    }

    public func evaluate(episodes: Int, seed: UInt64) -> [Double] {
        evaluateDeterministic(policy: learner.policy, env: &evalEnv, collector: collector, episodes: episodes, seed: seed)
    }

    /// The deterministic action for a raw observation (tests and probes).
    func deterministicAction(_ raw: [Float]) -> [Float] {
        Agents.deterministicAction(policy: learner.policy, collector: collector, raw: raw)
    }

    public func stateDict() -> StateDict {
        var s = StateDict()
        s.setIdentity(specJSON: specJSON, configJSON: configJSON)
        s.merge(learner.stateDict(), prefix: "learner")
        s.merge(buffer.stateDict(), prefix: "rollout")
        s.merge(collector.stateDict(), prefix: "collector")
        s.setInteger("counters/steps", stepsDone)
        return s
    }

    public func policyState() -> StateDict {
        var s = StateDict()
        s.merge(learner.stateDict(), prefix: "learner")
        if let stats = collector.observationStats { s.merge(stats.stateDict(), prefix: "observation_stats") }
        return s
    }

    public func loadPolicy(_ s: StateDict) throws {
        var newLearner = learner
        try newLearner.load(s.subset("learner"))
        if collector.observationStats != nil {
            var stats = collector.observationStats!
            try stats.load(s.subset("observation_stats"))
            collector.observationStats = stats
        }
        learner = newLearner
    }

    /// Restores into copies first, so a failure leaves this agent unchanged.
    public func load(_ s: StateDict) throws {
        try s.checkIdentity(specJSON: specJSON, configJSON: configJSON)
        var newLearner = learner
        try newLearner.load(s.subset("learner"))
        var newBuffer = buffer
        try newBuffer.load(s.subset("rollout"))
        let restoreCollector = try collector.prepareLoad(s.subset("collector"))
        let steps = try s.integer("counters/steps")
        try checkOnPolicyCounters(steps: steps, updates: newLearner.updates, rowsPerEnv: newBuffer.t,
                                  envCount: config.nEnvs, rolloutSize: config.nSteps * config.nEnvs)
        learner = newLearner
        buffer = newBuffer
        restoreCollector()
        stepsDone = steps
    }
}
