import Testing
@testable import Agents
import Envs
import Nets

// MARK: - Shared helpers for the on-policy tests

/// Mean |clip(a) − o| of the deterministic policy over a grid of toy observations
/// with |o| < 1, where a = o is reachable within the action bounds and optimal.
func trackingError(_ action: ([Float]) -> [Float]) -> Double {
    var total = 0.0, count = 0
    var o: Float = -0.95
    while o <= 0.951 {
        total += Double(abs(action([o])[0] - o))
        count += 1
        o += 0.05
    }
    return total / Double(count)
}

func train(_ agent: any Agent, steps: Int, metrics: MetricsSink = NullMetrics()) {
    while agent.stepsDone < steps { agent.trainStep(metrics: metrics) }
}

func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(max(x.count, 1)) }

/// Trains k steps, round-trips the state through bytes into a fresh agent,
/// trains to n, and returns both final states' bytes (to compare with an uninterrupted run).
func resumed(_ make: () throws -> any Agent, k: Int, n: Int) throws -> (straight: [UInt8], resumed: [UInt8]) {
    let a = try make()
    train(a, steps: n)
    let b = try make()
    train(b, steps: k)
    let bytes = b.stateDict().serialized()
    let c = try make()
    try c.load(StateDict(serialized: bytes))
    train(c, steps: n)
    return (a.stateDict().serialized(), c.stateDict().serialized())
}

@Suite("PPO")
struct PPOTests {
    @Test("learns the toy tracking task: the mean action approaches a = o")
    func toyTracking() throws {
        let spec = RunSpec(algorithm: .ppo, env: "ToyTracking-v0", actorHidden: [], criticHidden: [16, 16], seed: 1, preset: .zoo)
        let agent = try PPO(spec: spec, config: .preset(.zoo, env: spec.env))
        let before = trackingError(agent.deterministicAction)
        train(agent, steps: 30_000)
        let after = trackingError(agent.deterministicAction)
        print("PPO toy: mean |a − o| \(before) → \(after)")
        #expect(after < 0.5 * before)
    }

    @Test("Acrobot-v1 (zoo preset) gets well past the random policy's −500")
    func acrobot() throws {
        let spec = RunSpec(algorithm: .ppo, env: "Acrobot-v1", actorHidden: [16, 16], criticHidden: [16, 16], seed: 2, preset: .zoo)
        let agent = try PPO(spec: spec, config: .preset(.zoo, env: spec.env))
        let before = mean(agent.evaluate(episodes: 5, seed: 77))
        train(agent, steps: 100_000)
        let after = mean(agent.evaluate(episodes: 10, seed: 77))
        print("PPO Acrobot: eval \(before) → \(after)")
        #expect(after > -300)
    }

    @Test("Pendulum-v1 (zoo preset) improves measurably")
    func pendulum() throws {
        let spec = RunSpec(algorithm: .ppo, env: "Pendulum-v1", actorHidden: [16, 16], criticHidden: [16, 16], seed: 3, preset: .zoo)
        let agent = try PPO(spec: spec, config: .preset(.zoo, env: spec.env))
        let before = mean(agent.evaluate(episodes: 10, seed: 78))
        train(agent, steps: 100_000)
        let after = mean(agent.evaluate(episodes: 10, seed: 78))
        print("PPO Pendulum: eval \(before) → \(after)")
        #expect(after > before + 300)
    }
}
