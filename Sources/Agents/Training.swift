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
    public static func run(_ agent: any Agent, totalSteps: Int, metrics: MetricsSink,
                           checkpointEvery: Int? = nil,
                           onCheckpoint: ((StateDict) throws -> Void)? = nil,
                           progress: ((Progress) -> Void)? = nil) throws {
        let tracker = ReturnTracker(forwardingTo: metrics)
        let start = monotonicSeconds()
        let startSteps = agent.stepsDone
        var lastReport = start
        while agent.stepsDone < totalSteps {
            agent.trainStep(metrics: tracker)
            if let every = checkpointEvery, every > 0, agent.stepsDone % every == 0, agent.stepsDone < totalSteps {
                try onCheckpoint?(agent.stateDict())
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
        try onCheckpoint?(agent.stateDict())
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
