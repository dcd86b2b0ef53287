import Nets

/// Drives an agent to a step budget, with checkpoints and progress.
public enum Training {
    /// Progress of a run, reported about once a second.
    public struct Progress: Sendable {
        public var steps: Int
        public var totalSteps: Int
        public var stepsPerSecond: Double
        public var lastReturn: Double?
        public var etaSeconds: Double? {
            stepsPerSecond > 0 ? Double(totalSteps - steps) / stepsPerSecond : nil
        }
    }

    /// Periodic deterministic evaluation during training (the curves of the paper's
    /// Figures 2, 4 and A.1): every `every` environment steps, `episodes` episodes
    /// of the deterministic policy on the agent's evaluation environment, recorded
    /// as `eval/return_mean` and `eval/return_std` at that step. The evaluation
    /// environment is the agent's own (never the training one) and its episodes are
    /// seeded from a stream of their own, so training is not disturbed: the same
    /// run with and without evaluation ends with the same weights.
    public struct Evaluation: Sendable, Equatable {
        public var every: Int
        public var episodes: Int
        /// Seeds the first episode of every evaluation (the same episodes each time,
        /// so points of a curve differ by the policy only).
        public var seed: UInt64
        public init(every: Int, episodes: Int, seed: UInt64) {
            self.every = every; self.episodes = episodes; self.seed = seed
        }
        /// `every`/`episodes` with the seed drawn from stream 9 of the run's seed
        /// (streams 1–4 and 100+ belong to training).
        public init(every: Int, episodes: Int, for spec: RunSpec) {
            var stream = Xoshiro256(seed: spec.seed, stream: 9)
            self.init(every: every, episodes: episodes, seed: stream.next())
        }
    }

    /// Trains until `agent.stepsDone == totalSteps`. Every `checkpointEvery`
    /// steps (and at the end) `onCheckpoint` receives the complete state;
    /// checkpoints fall on multiples of `checkpointEvery`, so an interrupted
    /// run resumes from the last one and ends where an uninterrupted one does.
    ///
    /// Stops early with a `TrainingError`: `.diverged` when a metric turns
    /// non-finite (no checkpoint is written after it, so the last one saved
    /// stays the last good one) or a state about to be saved holds a
    /// non-finite value; `.interrupted` when `stop` is set, after saving a
    /// checkpoint of the current step; `.budgetExceeded` when the agent
    /// already has more than `totalSteps` steps.
    public static func run(_ agent: any Agent, totalSteps: Int, metrics: MetricsSink,
                           checkpointEvery: Int? = nil,
                           onCheckpoint: ((StateDict) throws -> Void)? = nil,
                           evaluation: Evaluation? = nil,
                           progress: ((Progress) -> Void)? = nil,
                           stop: StopRequest = .process) throws {
        guard agent.stepsDone <= totalSteps else {
            throw TrainingError.budgetExceeded(stepsDone: agent.stepsDone, totalSteps: totalSteps)
        }
        if let e = evaluation, e.every <= 0 || e.episodes <= 0 {
            throw AgentError.badValue(key: "eval_every/eval_episodes", value: "\(e.every)/\(e.episodes)",
                                      expected: "positive integers")
        }
        let watch = DivergenceWatch(forwardingTo: metrics)
        let tracker = ReturnTracker(forwardingTo: watch)
        /// Saves only finite states: a diverged state never replaces the last good checkpoint.
        func save() throws {
            guard let onCheckpoint else { return }
            let state = agent.stateDict()
            if let bad = firstNonFinite(state) {
                throw TrainingError.diverged(step: agent.stepsDone, quantity: bad.name, value: bad.value)
            }
            try onCheckpoint(state)
        }
        // Evaluations fall when stepsDone crosses a multiple of `every` (on-policy
        // agents advance n_envs steps at a time), counted from the step count so a
        // resumed run evaluates where an uninterrupted one does.
        var evaluationsDone = evaluation.map { agent.stepsDone / $0.every } ?? 0
        let start = monotonicSeconds()
        let startSteps = agent.stepsDone
        var lastReport = start
        while agent.stepsDone < totalSteps {
            if let signal = stop.signal {
                try save()
                throw TrainingError.interrupted(signal: signal, step: agent.stepsDone, checkpointSaved: onCheckpoint != nil)
            }
            agent.trainStep(metrics: tracker)
            if let e = evaluation, agent.stepsDone / e.every > evaluationsDone {
                evaluationsDone = agent.stepsDone / e.every
                let returns = agent.evaluate(episodes: e.episodes, seed: e.seed)
                let (mean, std) = periodicEvaluationStatistics(returns)
                tracker.record("eval/return_mean", step: agent.stepsDone, value: mean)
                tracker.record("eval/return_std", step: agent.stepsDone, value: std)
            }
            if let bad = watch.first {
                throw TrainingError.diverged(step: bad.step, quantity: bad.name, value: bad.value)
            }
            if let every = checkpointEvery, every > 0, agent.stepsDone % every == 0, agent.stepsDone < totalSteps {
                try save()
            }
            // Wall-clock figures about once a second (checking the clock every
            // 64 steps keeps the check off the hot path).
            if agent.stepsDone & 63 == 0 {
                let t = monotonicSeconds()
                if t - lastReport >= 1 {
                    lastReport = t
                    let rate = Double(agent.stepsDone - startSteps) / (t - start)
                    metrics.record("perf/steps_per_second", step: agent.stepsDone, value: rate)
                    progress?(Progress(steps: agent.stepsDone, totalSteps: totalSteps, stepsPerSecond: rate,
                                       lastReturn: tracker.lastReturn))
                }
            }
        }
        let elapsed = monotonicSeconds() - start
        let rate = elapsed > 0 ? Double(agent.stepsDone - startSteps) / elapsed : 0
        metrics.record("perf/steps_per_second", step: agent.stepsDone, value: rate)
        try save()
        progress?(Progress(steps: agent.stepsDone, totalSteps: totalSteps, stepsPerSecond: rate,
                           lastReturn: tracker.lastReturn))
    }
}

/// Mean and population standard deviation (ddof 0, numpy's default) of `values`; (0, 0) when empty.
func periodicEvaluationStatistics(_ values: [Double]) -> (mean: Double, std: Double) {
    guard !values.isEmpty else { return (0, 0) }
    let n = Double(values.count)
    let mean = values.reduce(0, +) / n
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
    return (mean, variance.squareRoot())
}

/// Remembers the last episode return on its way to the real sink.
final class ReturnTracker: MetricsSink {
    let next: MetricsSink
    var lastReturn: Double?
    init(forwardingTo next: MetricsSink) { self.next = next }
    func record(_ name: String, step: Int, value: Double) {
        if name == "train/episode_return" { lastReturn = value }
        next.record(name, step: step, value: value)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic wall time in seconds (for rates only: never part of a result).
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
