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
                           progress: ((Progress) -> Void)? = nil,
                           stop: StopRequest = .process) throws {
        guard agent.stepsDone <= totalSteps else {
            throw TrainingError.budgetExceeded(stepsDone: agent.stepsDone, totalSteps: totalSteps)
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
        let start = monotonicSeconds()
        let startSteps = agent.stepsDone
        var lastReport = start
        while agent.stepsDone < totalSteps {
            if let signal = stop.signal {
                try save()
                throw TrainingError.interrupted(signal: signal, step: agent.stepsDone, checkpointSaved: onCheckpoint != nil)
            }
            agent.trainStep(metrics: tracker)
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
