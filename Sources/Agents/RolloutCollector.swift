#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nets
import Envs

// Collecting rollouts from `n_envs` environments, and the deterministic evaluation
// that reads observations through the collector's frozen normaliser.

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
        s.setMatrix("observations", observations, width: observationCount)
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

    /// Reads and checks everything `s` holds first and returns the assignment, so
    /// the caller can commit it after its other parts load too (all or nothing).
    func prepareLoad(_ s: StateDict) throws -> () -> Void {
        let obs = try s.float("observations", count: envCount * observationCount)
        var newEnvs = envs
        for e in 0..<envCount {
            let state = try s.rngState("env/\(e)/rng")
            try newEnvs[e].restore(EnvSnapshot(values: try s.double("env/\(e)/values"), rng: state,
                                               elapsedSteps: try s.integer("env/\(e)/elapsed_steps")))
        }
        var newObservationStats = observationStats, newReturnStats = returnStats
        if newObservationStats != nil { try newObservationStats!.load(s.subset("observation_stats")) }
        if newReturnStats != nil { try newReturnStats!.load(s.subset("return_stats")) }
        let discounted = try s.double("discounted_returns", count: envCount)
        let returns = try s.double("episode_returns", count: envCount)
        let lengths = try s.integerArray("episode_lengths")
        guard lengths.count == envCount else { throw StateDictError.wrongSize("episode_lengths", expected: envCount, got: lengths.count) }
        let newRNG = try s.rng("rng")
        return { [self] in
            observations = obs; envs = newEnvs
            observationStats = newObservationStats; returnStats = newReturnStats
            discountedReturns = discounted; episodeReturns = returns
            episodeLengths = lengths.map { Int($0) }; rng = newRNG
        }
    }
}

// MARK: - Evaluation

/// Returns of the deterministic policy (Gaussian mean, most probable index) on
/// `episodes` fresh episodes of the evaluation environment `env`, the first reset
/// seeded with `seed`; observations pass through `collector`'s normaliser frozen.
/// Touches no training state.
func evaluateDeterministic(policy: StochasticPolicy, env: inout any Env, collector: RolloutCollector,
                           episodes: Int, seed: UInt64) -> [Double] {
    guard episodes > 0 else { return [] }
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
