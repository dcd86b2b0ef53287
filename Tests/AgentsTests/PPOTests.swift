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

/// Trains k steps, round-trips the state through bytes into a fresh agent,
/// trains to n, and returns both final states' bytes (to compare with an uninterrupted run).
func resumeRoundTrip(_ make: () throws -> any Agent, k: Int, n: Int) throws -> (straight: [UInt8], resumed: [UInt8]) {
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

@Suite("PPO", .serialized)
struct PPOTests {
    @Test("learns the toy tracking task: the mean action approaches a = o")
    func toyTracking() throws {
        let spec = RunSpec(algorithm: .ppo, env: "ToyTracking-v0", actorHidden: [], criticHidden: [16, 16], seed: 1, preset: .zoo)
        let agent = try PPO(spec: spec, config: try .preset(.zoo, env: spec.env))   // no zoo entry: Baselines' MuJoCo defaults
        let before = trackingError(agent.deterministicAction)
        let returnBefore = mean(agent.evaluate(episodes: 5, seed: 76))
        train(agent, steps: 200_000)
        let after = trackingError(agent.deterministicAction)
        let returnAfter = mean(agent.evaluate(episodes: 5, seed: 76))
        print("PPO toy: mean |a − o| \(before) → \(after); eval return \(returnBefore) → \(returnAfter)")
        // |a − o| cannot reach 0: the observation lags the goal by one step, so the
        // return-optimal linear policy over-reacts (a ≈ 1.7·o measured), leaving |a − o| ≈ 0.2
        // on this grid. The orthogonally initialised actor starts at a ≈ 0 (|a − o| ≈ 0.4).
        #expect(after < 0.6 * before)                   // measured 0.39 → 0.15 (seed 1)
        #expect(returnAfter > 0.5 * returnBefore)      // returns are negative; measured in the test log
    }

    @Test("Acrobot-v1 (zoo preset) gets well past the random policy's −500")
    func acrobot() throws {
        let spec = RunSpec(algorithm: .ppo, env: "Acrobot-v1", actorHidden: [16, 16], criticHidden: [16, 16], seed: 2, preset: .zoo)
        let agent = try PPO(spec: spec, config: try .preset(.zoo, env: spec.env))
        let before = mean(agent.evaluate(episodes: 5, seed: 77))
        let metrics = MemoryMetrics()
        train(agent, steps: 100_000, metrics: metrics)
        let after = mean(agent.evaluate(episodes: 10, seed: 77))
        print("PPO Acrobot: eval \(before) → \(after)")
        for name in ["loss/policy", "loss/value", "train/kl", "train/entropy", "train/clip_fraction",
                     "train/episode_return", "train/episode_length"] {
            #expect(metrics.series[name] != nil, "no \(name)")
        }
        #expect(after > -200)             // measured −396 → −98 (seed 2)
    }

    @Test("Pendulum-v1 (zoo preset) improves measurably")
    func pendulum() throws {
        let spec = RunSpec(algorithm: .ppo, env: "Pendulum-v1", actorHidden: [16, 16], criticHidden: [16, 16], seed: 3, preset: .zoo)
        let agent = try PPO(spec: spec, config: try .preset(.zoo, env: spec.env))
        let before = mean(agent.evaluate(episodes: 10, seed: 78))
        train(agent, steps: 100_000)
        let after = mean(agent.evaluate(episodes: 10, seed: 78))
        print("PPO Pendulum: eval \(before) → \(after)")
        #expect(after > before + 500)     // measured −1275 → −188 (seed 3)
    }
}

@Suite("PPO checkpoints", .serialized)
struct PPOCheckpointTests {
    @Test("resuming mid-rollout from serialized bytes equals an uninterrupted run", arguments: ["Pendulum-v1", "Acrobot-v1"])
    func exactResume(env: String) throws {
        var config = PPO.Config()
        config.nSteps = 64; config.nEnvs = 2; config.batchSize = 24; config.nEpochs = 2
        config.totalTimesteps = 600; config.entCoef = 0.01
        let spec = RunSpec(algorithm: .ppo, env: env, actorHidden: [8], criticHidden: [8, 8], seed: 12)
        // 128 rows per rollout: k = 300 is mid third rollout; Pendulum truncates at 200.
        let (straight, resumed) = try resumeRoundTrip({ try PPO(spec: spec, config: config) }, k: 300, n: 600)
        #expect(straight == resumed)
    }

    @Test("load refuses a state from a different spec")
    func mismatch() throws {
        var config = PPO.Config(); config.nSteps = 16
        let a = try PPO(spec: RunSpec(algorithm: .ppo, env: "Pendulum-v1", actorHidden: [4], criticHidden: [4], seed: 1), config: config)
        let b = try PPO(spec: RunSpec(algorithm: .ppo, env: "Pendulum-v1", actorHidden: [4], criticHidden: [4], seed: 2), config: config)
        // The one mismatch style of every agent: the differing fields, checkpoint vs this run.
        #expect(throws: AgentError.checkpointMismatch("spec differs: seed 1 (checkpoint) vs 2 (this run)")) {
            try b.load(a.stateDict())
        }
        // All or nothing: a failed load leaves the agent as it was.
        let before = b.stateDict().serialized()
        var broken = a.stateDict()
        broken.texts["spec"] = b.stateDict().texts["spec"]
        broken.floats["collector/observations"] = [1]          // wrong size: fails after the learner loaded
        #expect(throws: (any Error).self) { try b.load(broken) }
        #expect(b.stateDict().serialized() == before)
    }

    @Test("the factory builds PPO and TRPO from presets and overrides")
    func factory() throws {
        let spec = RunSpec(algorithm: .ppo, env: "Acrobot-v1", actorHidden: [8, 8], criticHidden: [64, 64], seed: 0, preset: .zoo)
        let agent = try AgentFactory.make(spec, overrides: [("n_steps", "32"), ("clip_range", "0.1")])
        #expect(agent.configJSON.contains("\"n_steps\":32"))
        #expect(agent.configJSON.contains("\"n_envs\":16"))
        #expect(throws: AgentError.self) { _ = try AgentFactory.make(spec, overrides: [("gama", "0.9")]) }
        var trpo = spec; trpo.algorithm = .trpo
        #expect(try AgentFactory.make(trpo, overrides: [("delta", "0.02")]).configJSON.contains("\"delta\":0.02"))
    }
}

@Suite("Orthogonal initialisation")
struct OrthogonalInitTests {
    @Test("every layer is gain × a matrix with orthonormal columns or rows, biases zero")
    func orthonormal() {
        var rng = Xoshiro256(seed: 4)
        var net = MLP(inputs: 3, hidden: [8, 2], outputs: 5, rng: &rng)
        orthogonalInit(&net, hiddenGain: 2.0.squareRoot(), outputGain: 0.01, rng: &rng)
        for l in 0..<net.layerCount {
            let fanIn = net.widths[l], fanOut = net.widths[l + 1], w = net.layerRange(l).lowerBound
            let gain = l == net.layerCount - 1 ? 0.01 : 2.0.squareRoot()
            func weight(_ i: Int, _ j: Int) -> Double { Double(net.parameters[w + i * fanOut + j]) / gain }
            // Gram matrix of the shorter side's vectors must be the identity.
            let (vectors, length) = fanIn >= fanOut ? (fanOut, fanIn) : (fanIn, fanOut)
            for a in 0..<vectors { for b in 0..<vectors {
                var d = 0.0
                for i in 0..<length { d += fanIn >= fanOut ? weight(i, a) * weight(i, b) : weight(a, i) * weight(b, i) }
                #expect(abs(d - (a == b ? 1 : 0)) < 1e-5, "layer \(l): ⟨\(a), \(b)⟩ = \(d)")
            } }
            for j in 0..<fanOut { #expect(net.parameters[w + fanIn * fanOut + j] == 0) }
        }
    }
}
