import Testing
import Nets
import Envs
@testable import Agents

/// The library side of the fault-injection suite: what `Training.run` does
/// when asked to stop, when a metric turns non-finite, and when resumed past
/// its budget; and the checks that refuse oversized runs before allocating.
@Suite("Training stops")
struct TrainingStopTests {
    static let spec = RunSpec(algorithm: .td3, env: "Pendulum-v0", actorHidden: [4], criticHidden: [8], seed: 1)
    static let settings: [(key: String, value: String)] = [("start_steps", "50"), ("update_after", "50"), ("batch_size", "16")]

    @Test("a stop request saves the current step and throws interrupted; resuming ends like an uninterrupted run")
    func stopRequest() throws {
        let straight = try AgentFactory.make(Self.spec, overrides: Self.settings)
        try Training.run(straight, totalSteps: 300, metrics: NullMetrics(), stop: StopRequest())

        let stop = StopRequest()
        let agent = try AgentFactory.make(Self.spec, overrides: Self.settings)
        var saved: [StateDict] = []
        final class StopAt: MetricsSink {   // asks to stop from inside the run, at its first episode end
            let stop: StopRequest
            init(_ stop: StopRequest) { self.stop = stop }
            func record(_ name: String, step: Int, value: Double) { if name == "train/episode_return" { stop.request(signal: 15) } }
        }
        #expect(throws: TrainingError.interrupted(signal: 15, step: 200, checkpointSaved: true)) {
            try Training.run(agent, totalSteps: 300, metrics: StopAt(stop), onCheckpoint: { saved.append($0) }, stop: stop)
        }
        #expect(saved.count == 1)
        let resumed = try AgentFactory.make(Self.spec, overrides: Self.settings)
        try resumed.load(saved[0])
        try Training.run(resumed, totalSteps: 300, metrics: NullMetrics(), stop: StopRequest())
        #expect(resumed.stateDict() == straight.stateDict())
    }

    @Test("a non-finite metric stops the run at its step, and nothing after it is saved")
    func divergence() throws {
        let agent = try AgentFactory.make(Self.spec, overrides: Self.settings + [("q_lr", "1e30"), ("log_every", "10")])
        var savedSteps: [Int] = []
        do {
            try Training.run(agent, totalSteps: 1000, metrics: NullMetrics(), checkpointEvery: 25,
                             onCheckpoint: { savedSteps.append(Int($0.integers["steps_done"]![0])) }, stop: StopRequest())
            Issue.record("a run with q_lr=1e30 finished as if it had not diverged")
        } catch TrainingError.diverged(let step, let quantity, let value) {
            #expect(!value.isFinite)
            #expect(quantity.hasPrefix("loss/") || quantity.hasPrefix("learner/"), "\(quantity)")
            #expect(step <= 100, "the first update rounds (from step 50) diverge")
            #expect(savedSteps.contains(25))
            #expect(savedSteps.allSatisfy { $0 < step }, "saved \(savedSteps) at or after the divergence at \(step)")
        }
    }

    @Test("resuming past the budget is an error naming both counts")
    func budget() throws {
        let agent = try AgentFactory.make(Self.spec, overrides: Self.settings)
        try Training.run(agent, totalSteps: 120, metrics: NullMetrics(), stop: StopRequest())
        #expect(throws: TrainingError.budgetExceeded(stepsDone: 120, totalSteps: 100)) {
            try Training.run(agent, totalSteps: 100, metrics: NullMetrics(), stop: StopRequest())
        }
    }

    @Test("sizes that do not fit in memory or overflow are refused before allocating")
    func oversized() throws {
        #expect(throws: SizeError.self) { try AgentFactory.make(Self.spec, overrides: [("replay_size", "1e15")]) }
        let huge = RunSpec(algorithm: .ppo, env: "Pendulum-v0", actorHidden: [Int.max / 2, 4], criticHidden: [8], seed: 1)
        #expect(throws: SizeError.self) { try AgentFactory.make(huge) }
    }
}
