import Foundation
import Nets
import Envs

/// What the shared off-policy loop reads from an algorithm's config.
public protocol OffPolicyConfig: Codable, Sendable, Equatable {
    /// Steps of uniform random actions before the policy acts.
    var startSteps: Int { get }
    /// Environment steps before the first gradient update.
    var updateAfter: Int { get }
    /// Env steps between update rounds; each round takes this many gradient steps.
    var updateEvery: Int { get }
    var batchSize: Int { get }
    var replaySize: Int { get }
    /// Env steps per window over which losses are averaged into metrics.
    var logEvery: Int { get }
    /// Discount γ.
    var gamma: Double { get }
    /// Target-network averaging ρ.
    var polyak: Double { get }
    /// Store a time-limit truncation as terminal (d = 1), as Spinning Up did on tasks
    /// shorter than its `max_ep_len`; false bootstraps through it (the right thing).
    var timeoutTerminal: Bool { get }
    /// The preset's step budget.
    var totalSteps: Int { get }
}

/// An off-policy algorithm as the loop sees it (Spinning Up's order inside
/// each conforming file: config, networks, losses, update, act).
public protocol OffPolicyLearner {
    associatedtype Config: OffPolicyConfig
    var config: Config { get }
    init(config: Config, observationCount: Int, actionSpace: Space, actorHidden: [Int], criticHidden: [Int],
         rng: inout Xoshiro256) throws
    /// Writes the action for one observation: the deterministic policy when
    /// `explore` is false (evaluation), the exploring one otherwise.
    mutating func act(_ observation: UnsafePointer<Float>, explore: Bool, rng: inout Xoshiro256,
                      into action: UnsafeMutablePointer<Float>)
    /// One gradient step on a minibatch.
    mutating func update(_ batch: TransitionBatch, rng: inout Xoshiro256) -> UpdateInfo
    func stateDict() -> StateDict
    mutating func load(_ state: StateDict) throws
}

/// Checks a config's loop settings before anything is allocated: these are user input.
func validateLoopSettings<C: OffPolicyConfig>(_ c: C) throws {
    func positive(_ name: String, _ v: Int) throws {
        guard v > 0 else { throw AgentError.badValue(key: name, value: String(v), expected: "a positive integer") }
    }
    try positive("batch_size", c.batchSize)
    try positive("replay_size", c.replaySize)
    try positive("update_every", c.updateEvery)
    try positive("log_every", c.logEvery)
    try positive("total_steps", c.totalSteps)
    guard c.startSteps >= 0 else { throw AgentError.badValue(key: "start_steps", value: String(c.startSteps), expected: "≥ 0") }
    guard c.updateAfter >= 0 else { throw AgentError.badValue(key: "update_after", value: String(c.updateAfter), expected: "≥ 0") }
    guard (0...1).contains(c.gamma) else { throw AgentError.badValue(key: "gamma", value: String(c.gamma), expected: "a number in [0, 1]") }
    guard (0...1).contains(c.polyak) else { throw AgentError.badValue(key: "polyak", value: String(c.polyak), expected: "a number in [0, 1]") }
}

/// The off-policy training loop shared by DDPG, TD3 and SAC, with Spinning
/// Up's semantics (`spinup/algos/pytorch/ddpg/ddpg.py`, main loop):
///
/// 1. for the first `start_steps` steps act uniformly at random, then with the
///    exploring policy;
/// 2. step the environment and store (o, a, r, o′, terminated): a time-limit
///    truncation is not terminal, so its value still bootstraps, unless
///    `timeout_terminal` stores it as terminal (the `paper` preset: Spinning Up's
///    `d = False if ep_len == max_ep_len else d` with max_ep_len 1000 leaves every
///    shorter task's time-out terminal);
/// 3. on termination or truncation, report the episode and reset;
/// 4. once `t ≥ update_after` and `t % update_every == 0` (t = steps taken),
///    take `update_every` gradient steps on uniformly sampled minibatches.
///
/// Counting: t counts steps taken (1-based), so the first `start_steps` steps
/// are random and the first round falls on exactly `update_after` stored
/// transitions. Spinning Up's 0-based loop index gives one more random step
/// (`t > start_steps`) and its first round one transition later.
///
/// One call of `trainStep` is one environment step, so a run can stop and
/// checkpoint anywhere. The hot path allocates nothing: observation, action
/// and minibatch buffers are preallocated, the environment writes into them.
public final class OffPolicyAgent<Learner: OffPolicyLearner>: Agent {
    public let spec: RunSpec
    public private(set) var learner: Learner
    public let configJSON: String
    let specJSON: String
    public private(set) var stepsDone = 0
    public var budget: Int { config.totalSteps }

    // MARK: Plumbing: environments and buffers
    var env: any Env
    /// A separate instance for evaluation, so evaluating never touches training state.
    var evalEnv: any Env
    let actionSpace: Space
    let observationCount: Int
    let actionCount: Int
    var replay: ReplayBuffer
    var batch: ReplayBuffer.Batch
    var observation: [Float]
    var nextObservation: [Float]
    var action: [Float]

    /// Independent streams: random and noisy actions; minibatch indices; noise inside updates.
    var actRNG: Xoshiro256
    var replayRNG: Xoshiro256
    var updateRNG: Xoshiro256

    var episodeReturn = 0.0
    var episodeLength = 0
    var episodes = 0
    /// Gradient steps taken so far.
    public private(set) var updates = 0

    // Metric window: sums over the updates since the last report.
    var windowCriticLoss = 0.0, windowActorLoss = 0.0, windowAlpha = 0.0
    var windowUpdates = 0, windowActorUpdates = 0, windowAlphaUpdates = 0

    var config: Learner.Config { learner.config }

    public init(spec: RunSpec, config: Learner.Config) throws {
        try validateLoopSettings(config)
        self.spec = spec
        configJSON = try canonicalJSON(config)
        specJSON = try canonicalJSON(spec)
        env = try EnvRegistry.make(spec.env)
        evalEnv = try EnvRegistry.make(spec.env)
        actionSpace = env.actionSpace
        observationCount = env.observationCount
        actionCount = env.actionCount
        var initRNG = Xoshiro256(seed: spec.seed, stream: 1)
        learner = try Learner(config: config, observationCount: observationCount, actionSpace: actionSpace,
                              actorHidden: spec.actorHidden, criticHidden: spec.criticHidden, rng: &initRNG)
        actRNG = Xoshiro256(seed: spec.seed, stream: 2)
        replayRNG = Xoshiro256(seed: spec.seed, stream: 3)
        updateRNG = Xoshiro256(seed: spec.seed, stream: 4)
        replay = ReplayBuffer(capacity: config.replaySize, observationCount: observationCount, actionCount: actionCount)
        batch = ReplayBuffer.Batch(capacity: config.batchSize, observationCount: observationCount, actionCount: actionCount)
        observation = [Float](repeating: 0, count: observationCount)
        nextObservation = observation
        action = [Float](repeating: 0, count: actionCount)
        observation.withUnsafeMutableBufferPointer { env.reset(seed: spec.seed, into: $0) }
    }

    // MARK: - Algorithm: the main loop

    public func trainStep(metrics: MetricsSink) {
        // 1. Act: uniform random actions first (better exploration), then the policy.
        if stepsDone < config.startSteps {
            randomAction()
        } else {
            observation.withUnsafeBufferPointer { o in
                action.withUnsafeMutableBufferPointer { a in
                    learner.act(o.baseAddress!, explore: true, rng: &actRNG, into: a.baseAddress!)
                }
            }
        }

        // 2. Step and store. Truncation is not terminal (only `terminated` goes in as d)
        //    unless `timeout_terminal` says to store it as the paper-era code did.
        let outcome = action.withUnsafeBufferPointer { a in
            nextObservation.withUnsafeMutableBufferPointer { env.step(a, into: $0) }
        }
        observation.withUnsafeBufferPointer { o in
            action.withUnsafeBufferPointer { a in
                nextObservation.withUnsafeBufferPointer { o2 in
                    replay.append(observation: o, action: a, reward: Float(outcome.reward),
                                  nextObservation: o2,
                                  terminated: outcome.terminated || (config.timeoutTerminal && outcome.truncated))
                }
            }
        }
        episodeReturn += outcome.reward
        episodeLength += 1
        stepsDone += 1
        // Super critical, easy to overlook (Spinning Up): the next observation becomes the current one.
        swap(&observation, &nextObservation)

        // 3. End of episode: report and reset.
        if outcome.done {
            metrics.record("train/episode_return", step: stepsDone, value: episodeReturn)
            metrics.record("train/episode_length", step: stepsDone, value: Double(episodeLength))
            episodes += 1
            episodeReturn = 0
            episodeLength = 0
            observation.withUnsafeMutableBufferPointer { env.reset(seed: nil, into: $0) }
        }

        // 4. Update: `update_every` gradient steps every `update_every` env steps.
        if stepsDone >= config.updateAfter && stepsDone % config.updateEvery == 0 {
            for _ in 0..<config.updateEvery { updateOnce() }
        }

        if stepsDone % config.logEvery == 0 { reportWindow(metrics) }
    }

    /// Samples a minibatch and takes one gradient step.
    func updateOnce() {
        replay.sample(size: config.batchSize, rng: &replayRNG, into: &batch)
        let info = batch.observations.withUnsafeBufferPointer { o in
            batch.actions.withUnsafeBufferPointer { a in
                batch.rewards.withUnsafeBufferPointer { r in
                    batch.nextObservations.withUnsafeBufferPointer { o2 in
                        batch.dones.withUnsafeBufferPointer { d in
                            learner.update(TransitionBatch(size: batch.size, observations: o.baseAddress!,
                                                           actions: a.baseAddress!, rewards: r.baseAddress!,
                                                           nextObservations: o2.baseAddress!, dones: d.baseAddress!),
                                           rng: &updateRNG)
                        }
                    }
                }
            }
        }
#if ASYM_INTERNAL_CHECKS
        // A non-finite loss is no internal error but a diverged run (a learning rate
        // too large): Training.run's divergence watch stops it with a message.
        precondition(batch.size == config.batchSize, "minibatch of \(batch.size) rows, expected \(config.batchSize)")
#endif
        updates += 1
        windowUpdates += 1
        windowCriticLoss += info.criticLoss
        if let l = info.actorLoss { windowActorLoss += l; windowActorUpdates += 1 }
        if let a = info.alpha { windowAlpha += a; windowAlphaUpdates += 1 }
    }

    // MARK: - Plumbing

    /// Spinning Up's `env.action_space.sample()`: uniform in the box, or a uniform index.
    func randomAction() {
        switch actionSpace {
        case .box(let low, let high):
            for j in 0..<actionCount { action[j] = Float(actRNG.uniform(Double(low[j]), Double(high[j]))) }
        case .discrete(let n):
            action[0] = Float(actRNG.index(below: n))
        }
    }

    /// Losses averaged over the updates of the window just ended.
    func reportWindow(_ metrics: MetricsSink) {
        if windowUpdates > 0 {
            metrics.record("loss/critic", step: stepsDone, value: windowCriticLoss / Double(windowUpdates))
        }
        if windowActorUpdates > 0 {
            metrics.record("loss/actor", step: stepsDone, value: windowActorLoss / Double(windowActorUpdates))
        }
        if windowAlphaUpdates > 0 {
            metrics.record("train/alpha", step: stepsDone, value: windowAlpha / Double(windowAlphaUpdates))
        }
        windowCriticLoss = 0; windowActorLoss = 0; windowAlpha = 0
        windowUpdates = 0; windowActorUpdates = 0; windowAlphaUpdates = 0
    }

    /// Returns of the deterministic policy over `episodes` episodes of the
    /// evaluation environment, the first reset seeded with `seed`. Uses its own
    /// environment and buffers: the training state and generators are untouched.
    public func evaluate(episodes: Int, seed: UInt64) -> [Double] {
        var returns: [Double] = []
        var obs = [Float](repeating: 0, count: observationCount)
        var next = obs
        var act = [Float](repeating: 0, count: actionCount)
        var unusedRNG = Xoshiro256(seed: seed)   // the deterministic policy draws nothing
        for e in 0..<episodes {
            obs.withUnsafeMutableBufferPointer { evalEnv.reset(seed: e == 0 ? seed : nil, into: $0) }
            var total = 0.0
            while true {
                obs.withUnsafeBufferPointer { o in
                    act.withUnsafeMutableBufferPointer { a in
                        learner.act(o.baseAddress!, explore: false, rng: &unusedRNG, into: a.baseAddress!)
                    }
                }
                let outcome = act.withUnsafeBufferPointer { a in
                    next.withUnsafeMutableBufferPointer { evalEnv.step(a, into: $0) }
                }
                total += outcome.reward
                swap(&obs, &next)
                if outcome.done { break }
            }
            returns.append(total)
        }
        return returns
    }

    /// The deterministic action for one observation (allocates; for tests and tools).
    public func policyAction(_ observation: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: actionCount)
        var unusedRNG = Xoshiro256(seed: 0)
        observation.withUnsafeBufferPointer { o in
            out.withUnsafeMutableBufferPointer { a in
                learner.act(o.baseAddress!, explore: false, rng: &unusedRNG, into: a.baseAddress!)
            }
        }
        return out
    }

    // MARK: - Checkpoint

    public func stateDict() -> StateDict {
        var s = StateDict()
        s.setIdentity(specJSON: specJSON, configJSON: configJSON)
        s.merge(learner.stateDict(), prefix: "learner")
        s.merge(replay.stateDict(), prefix: "replay")
        s.set("rng/act", rng: actRNG)
        s.set("rng/replay", rng: replayRNG)
        s.set("rng/update", rng: updateRNG)
        let snap = env.snapshot()
        s.doubles["env/values"] = snap.values
        s.words["env/rng"] = snap.rng.words
        s.setInteger("env/elapsed_steps", snap.elapsedSteps)
        s.floats["observation"] = observation
        s.setInteger("steps_done", stepsDone)
        s.setInteger("updates", updates)
        s.setInteger("episodes", episodes)
        s.setInteger("episode_length", episodeLength)
        s.doubles["episode_return"] = [episodeReturn]
        s.doubles["window/sums"] = [windowCriticLoss, windowActorLoss, windowAlpha]
        s.integers["window/counts"] = [Int64(windowUpdates), Int64(windowActorUpdates), Int64(windowAlphaUpdates)]
        return s
    }

    public func policyState() -> StateDict {
        var s = StateDict()
        s.merge(learner.stateDict(), prefix: "learner")
        return s
    }

    public func loadPolicy(_ s: StateDict) throws {
        var newLearner = learner
        try newLearner.load(s.subset("learner"))
        learner = newLearner
    }

    public func load(_ s: StateDict) throws {
        try s.checkIdentity(specJSON: specJSON, configJSON: configJSON)
        // Restore into copies first, so a failure leaves this agent unchanged.
        var newLearner = learner
        try newLearner.load(s.subset("learner"))
        var newReplay = replay
        try newReplay.load(s.subset("replay"))
        let envRNG = try s.rngState("env/rng")
        var newEnv = env
        try newEnv.restore(EnvSnapshot(values: try s.double("env/values"), rng: envRNG,
                                       elapsedSteps: try s.integer("env/elapsed_steps")))
        let obs = try s.float("observation", count: observationCount)
        let sums = try s.double("window/sums", count: 3)
        let counts = try s.integerArray("window/counts")
        guard counts.count == 3 else { throw StateDictError.wrongSize("window/counts", expected: 3, got: counts.count) }
        let a = try s.rng("rng/act"), r = try s.rng("rng/replay"), u = try s.rng("rng/update")
        let steps = try s.integer("steps_done"), ups = try s.integer("updates")
        let eps = try s.integer("episodes"), len = try s.integer("episode_length")
        let ret = try s.double("episode_return", count: 1)[0]
        try checkOffPolicyCounters(steps: steps, episodes: eps, episodeLength: len, replay: newReplay)

        learner = newLearner
        replay = newReplay
        env = newEnv
        observation = obs
        actRNG = a; replayRNG = r; updateRNG = u
        stepsDone = steps; updates = ups; episodes = eps; episodeLength = len; episodeReturn = ret
        (windowCriticLoss, windowActorLoss, windowAlpha) = (sums[0], sums[1], sums[2])
        (windowUpdates, windowActorUpdates, windowAlphaUpdates) = (Int(counts[0]), Int(counts[1]), Int(counts[2]))
    }
}

extension StateDict {
    /// Stores the spec and config as texts so `load` can refuse a state from another run.
    mutating func setIdentity(specJSON: String, configJSON: String) {
        texts["spec"] = specJSON
        texts["config"] = configJSON
    }

    /// The one mismatch check of every agent's `load`: the saved spec and config
    /// must equal this run's, else the error names the fields that differ.
    func checkIdentity(specJSON: String, configJSON: String) throws {
        let savedSpec = try text("spec"), savedConfig = try text("config")
        guard savedSpec == specJSON else {
            throw AgentError.checkpointMismatch("spec differs: " + jsonDifferences(saved: savedSpec, current: specJSON))
        }
        guard savedConfig == configJSON else {
            throw AgentError.checkpointMismatch("config differs: " + jsonDifferences(saved: savedConfig, current: configJSON))
        }
    }
}

/// The top-level fields where two canonical JSON objects differ, as
/// "gamma 0.99 (checkpoint) vs 0.9 (this run)", for checkpoint mismatch errors.
func jsonDifferences(saved: String, current: String) -> String {
    guard let a = try? JSONSerialization.jsonObject(with: Data(saved.utf8)) as? [String: Any],
          let b = try? JSONSerialization.jsonObject(with: Data(current.utf8)) as? [String: Any] else {
        return "checkpoint \(saved) vs this run \(current)"
    }
    func text(_ v: Any?) -> String {
        guard let v else { return "absent" }
        guard let data = try? JSONSerialization.data(withJSONObject: [v], options: [.sortedKeys]) else { return "\(v)" }
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
    let keys = Set(a.keys).union(b.keys).sorted()
    let differing = keys.filter { text(a[$0]) != text(b[$0]) }
    return differing.map { "\($0) \(text(a[$0])) (checkpoint) vs \(text(b[$0])) (this run)" }.joined(separator: ", ")
}
