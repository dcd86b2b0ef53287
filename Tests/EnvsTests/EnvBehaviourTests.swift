import Foundation
import Nets
import Testing
@testable import Envs

@Suite("Environment behaviour")
struct EnvBehaviourTests {
    @Test("the registry lists the classic environments with their real dimensions", arguments: classicIDs)
    func registry(envID: String) throws {
        let entry = try EnvRegistry.entry(envID)
        let env = try entry.make()
        #expect(env.id == envID)
        #expect(env.observationCount == entry.observationCount)
        #expect(env.actionSpace == entry.actionSpace)
        #expect(env.maxEpisodeSteps == entry.maxEpisodeSteps)
    }

    @Test("episode lengths are the references' (150, 200, 500)")
    func episodeLengths() throws {
        #expect(try EnvRegistry.entry("ToyTracking-v0").maxEpisodeSteps == 150)
        #expect(try EnvRegistry.entry("Pendulum-v0").maxEpisodeSteps == 200)
        #expect(try EnvRegistry.entry("Pendulum-v1").maxEpisodeSteps == 200)
        #expect(try EnvRegistry.entry("Acrobot-v1").maxEpisodeSteps == 500)
    }

    @Test("the time limit truncates exactly at maxEpisodeSteps, and resets", arguments: classicIDs)
    func truncation(envID: String) throws {
        var env = try EnvRegistry.make(envID)
        // A neutral action: no torque (Acrobot index 1 hangs still from near rest, never terminal).
        let action: [Float] = env.actionSpace.isDiscrete ? [1] : [0]
        for episode in 0..<2 {
            _ = env.reset(seed: UInt64(episode))
            for t in 1...env.maxEpisodeSteps {
                let (_, outcome) = env.step(action)
                #expect(!outcome.terminated, "\(envID): step \(t) terminated")
                #expect(outcome.truncated == (t == env.maxEpisodeSteps), "\(envID): step \(t)")
            }
        }
    }

    @Test("the toy's time limit is where the reference's float64 clock passes 3 s")
    func toyClock() {
        var t = 0.0
        var steps = 0
        while !(t > 3.0) { t += 0.02; steps += 1 }
        #expect(steps == ToyTracking().maxEpisodeSteps)
    }

    @Test("same seed gives the same bits; another seed does not", arguments: classicIDs)
    func seeding(envID: String) throws {
        func run(seed: UInt64) throws -> Bits {
            var env = try EnvRegistry.make(envID)
            var sampler = ActionSampler(space: env.actionSpace, seed: 99)
            var bits = Bits()
            bits.record(env.reset(seed: seed), StepOutcome(reward: 0, terminated: false, truncated: false))
            // The whole state, so goal generators that ignore the random offset still show the seed.
            bits.rewards += env.snapshot().values.map(\.bitPattern)
            for _ in 0..<700 {   // crosses at least one episode boundary everywhere
                let (obs, outcome) = env.step(sampler.next())
                bits.record(obs, outcome)
                if outcome.done { bits.record(env.reset(seed: nil), outcome) }
            }
            return bits
        }
        #expect(try run(seed: 42) == run(seed: 42))
        #expect(try run(seed: 42) != run(seed: 43))
    }

    @Test("snapshot and restore continue bit-identically", arguments: classicIDs)
    func snapshotRoundTrip(envID: String) throws {
        var env = try EnvRegistry.make(envID)
        var sampler = ActionSampler(space: env.actionSpace, seed: 5)
        _ = env.reset(seed: 7)
        for _ in 0..<37 { _ = env.step(sampler.next()) }
        let snapshot = env.snapshot()
        let samplerAtSnapshot = sampler

        func continueRun(_ env: inout any Env, _ sampler: inout ActionSampler) -> Bits {
            var bits = Bits()
            for _ in 0..<600 {   // through a reset, so the restored generator is exercised too
                let (obs, outcome) = env.step(sampler.next())
                bits.record(obs, outcome)
                if outcome.done { bits.record(env.reset(seed: nil), outcome) }
            }
            return bits
        }
        let original = continueRun(&env, &sampler)

        var fresh = try EnvRegistry.make(envID)
        _ = fresh.reset(seed: 12345)          // a different state, to be overwritten
        try fresh.restore(snapshot)
        var sampler2 = samplerAtSnapshot
        #expect(continueRun(&fresh, &sampler2) == original)
        #expect(fresh.snapshot() == env.snapshot())
    }

    @Test("restoring a snapshot of the wrong size throws", arguments: classicIDs)
    func snapshotMismatch(envID: String) throws {
        var env = try EnvRegistry.make(envID)
        var snapshot = env.snapshot()
        snapshot.values.append(1)
        #expect(throws: EnvError.self) { try env.restore(snapshot) }
    }

    // MARK: - Rewards follow their formulas

    @Test("Pendulum reward is -(angleNormalize(θ)² + 0.1θ̇² + 0.001u²) with the clipped torque",
          arguments: Pendulum.Version.allCases)
    func pendulumReward(version: Pendulum.Version) throws {
        var env = Pendulum(version: version)
        _ = env.reset(seed: 3)
        var sampler = ActionSampler(space: env.actionSpace, seed: 4)
        var clipped = 0
        for _ in 0..<200 {
            let before = env.snapshot().values
            let action = sampler.next()
            let u = Double(min(max(action[0], -2), 2))
            if abs(action[0]) > 2 { clipped += 1 }
            // Wrap the angle into [-π, π) independently of the implementation under test.
            var angle = before[0]
            while angle >= .pi { angle -= 2 * .pi }
            while angle < -.pi { angle += 2 * .pi }
            let expected = -(angle * angle + 0.1 * before[1] * before[1] + 0.001 * u * u)
            let (_, outcome) = env.step(action)
            #expect(abs(outcome.reward - expected) < 1e-12)
        }
        #expect(clipped > 0)
    }

    @Test("Pendulum-v0 updates θ with the unclipped velocity, v1 with the clipped one")
    func pendulumClipOrder() throws {
        let start = EnvSnapshot(values: [0.3, 7.9], rng: Xoshiro256(seed: 0).state, elapsedSteps: 0)
        var v0 = Pendulum(version: .v0), v1 = Pendulum(version: .v1)
        try v0.restore(start)
        try v1.restore(start)
        _ = v0.step([2])
        _ = v1.step([2])
        // θ̇' = 7.9 + (15 sin 0.3 + 6)·0.05 ≈ 8.52 > 8.
        let unclipped = 7.9 + (15 * sin(0.3) + 3 * 2) * 0.05
        #expect(abs(v0.snapshot().values[0] - (0.3 + unclipped * 0.05)) < 1e-12)
        #expect(abs(v1.snapshot().values[0] - (0.3 + 8 * 0.05)) < 1e-12)
        #expect(v0.snapshot().values[1] == 8 && v1.snapshot().values[1] == 8)
    }

    @Test("Toy reward is -|g - s| = -|observation|, and moves are clipped to ±1")
    func toyReward() throws {
        var env = ToyTracking()
        _ = env.reset(seed: 11)
        var sampler = ActionSampler(space: env.actionSpace, seed: 12)
        for _ in 0..<150 {
            let before = env.snapshot().values[2]
            let action = sampler.next()
            let (obs, outcome) = env.step(action)
            // The observation is the same error rounded to Float32.
            #expect(abs(outcome.reward + abs(Double(obs[0]))) <= 1e-6 * max(1, abs(outcome.reward)))
            let moved = env.snapshot().values[2] - before
            #expect(abs(moved - Double(min(max(action[0], -1), 1))) < 1e-12)
        }
    }

    @Test("Toy: the first observation is 0 and the observation lags the goal by one step")
    func toyStepOrder() throws {
        var env = ToyTracking(id: "step", goal: .step(from: -0.5, to: 0.5, atTime: 1.5))
        #expect(env.reset(seed: 1) == [0])
        var clock = 0.0            // the time at which each step reads the goal
        for k in 1...150 {
            let (obs, _) = env.step([0])
            // With no moves the state stays at goal(0) = -5, so obs = goal(t_{k-1}) + 5.
            #expect(obs == [clock < 1.5 ? 0 : 10], "step \(k) read the goal at t = \(clock)")
            clock += 0.02
        }
    }

    @Test("Acrobot reward is -1, and 0 exactly on the terminal step")
    func acrobotReward() throws {
        var env = Acrobot()
        // Both links pointing up: −cos θ1 − cos(θ1 + θ2) = 2 > 1.
        let up = EnvSnapshot(values: [Double.pi, 0, 0, 0], rng: Xoshiro256(seed: 0).state, elapsedSteps: 0)
        try env.restore(up)
        let (_, terminal) = env.step([1])
        #expect(terminal.terminated && terminal.reward == 0)
        _ = env.reset(seed: 0)
        let (_, ordinary) = env.step([1])
        #expect(!ordinary.terminated && ordinary.reward == -1)
    }

    @Test("Acrobot reset draws each coordinate in [-0.1, 0.1] as Float32")
    func acrobotReset() {
        var env = Acrobot()
        for seed in 0..<50 {
            _ = env.reset(seed: UInt64(seed))
            for v in env.snapshot().values {
                #expect(abs(v) <= 0.1 && Double(Float(v)) == v)
            }
        }
    }
}
