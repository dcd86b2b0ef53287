import Testing
import Nets
import Envs
@testable import Agents

@Suite("Off-policy checkpoints", .serialized)
struct OffPolicyCheckpointTests {
    /// Small, fast settings that still exercise everything: random then policy
    /// actions, updates in rounds, a metrics window straddling the checkpoint.
    static let settings: [(key: String, value: String)] = [
        ("start_steps", "150"), ("update_after", "100"), ("update_every", "25"), ("batch_size", "32"),
        ("log_every", "120"),
    ]

    static let cases: [(Algorithm, String)] = [
        (.ddpg, "Pendulum-v0"), (.td3, "Pendulum-v0"), (.sac, "Pendulum-v0"), (.sac, "Acrobot-v1"),
        (.td3, "ToyTracking-v0"),
    ]

    @Test("train N == train k, serialize, load into a fresh agent, train N − k (bit for bit)", arguments: cases)
    func exactResume(algorithm: Algorithm, env: String) throws {
        let spec = RunSpec(algorithm: algorithm, env: env, actorHidden: [8], criticHidden: [16, 16], seed: 7)
        let total = 520, k = 333   // k: inside an episode (Pendulum: step 133 of 200), after updates started
        let straight = try AgentFactory.make(spec, overrides: Self.settings)
        let straightMetrics = MemoryMetrics()
        train(straight, steps: total, metrics: straightMetrics)

        let first = try AgentFactory.make(spec, overrides: Self.settings)
        let firstMetrics = MemoryMetrics()
        train(first, steps: k, metrics: firstMetrics)
        let bytes = first.stateDict().serialized()
        let resumed = try AgentFactory.make(spec, overrides: Self.settings)
        try resumed.load(StateDict(serialized: bytes))
        #expect(resumed.stepsDone == k)
        let secondMetrics = MemoryMetrics()
        train(resumed, steps: total, metrics: secondMetrics)

        let a = straight.stateDict(), b = resumed.stateDict()
        #expect(a == b)
        #expect(a.fingerprint == b.fingerprint)
        #expect(straight.evaluate(episodes: 2, seed: 5) == resumed.evaluate(episodes: 2, seed: 5))
        // Metrics after k are the same too (the loss window straddles k).
        for name in ["loss/critic", "train/episode_return"] {
            let after = (straightMetrics.series[name] ?? []).filter { $0.step > k }.map(\.value)
            #expect(after == (secondMetrics.series[name] ?? []).map(\.value), "\(name)")
        }
    }

    @Test("evaluation leaves the training state untouched")
    func evaluationIsPure() throws {
        let spec = RunSpec(algorithm: .sac, env: "Pendulum-v0", actorHidden: [8], criticHidden: [8], seed: 1)
        let a = try AgentFactory.make(spec, overrides: Self.settings)
        let b = try AgentFactory.make(spec, overrides: Self.settings)
        train(a, steps: 200); train(b, steps: 200)
        _ = a.evaluate(episodes: 1, seed: 3)
        train(a, steps: 400); train(b, steps: 400)
        #expect(a.stateDict() == b.stateDict())
    }

    @Test("load rejects a state from another spec or config, naming the difference")
    func mismatch() throws {
        let spec = RunSpec(algorithm: .td3, env: "Pendulum-v0", actorHidden: [8], criticHidden: [8], seed: 1)
        let state = try AgentFactory.make(spec, overrides: Self.settings).stateDict()
        var other = spec
        other.actorHidden = [4]
        let wrongSpec = try AgentFactory.make(other, overrides: Self.settings)
        #expect(throws: AgentError.self) { try wrongSpec.load(state) }
        do { try wrongSpec.load(state) } catch let e as AgentError {
            guard case .checkpointMismatch(let why) = e else { Issue.record("wrong error \(e)"); return }
            #expect(why == "spec differs: actorHidden [8] (checkpoint) vs [4] (this run)", "\(why)")
        }
        let wrongConfig = try AgentFactory.make(spec, overrides: Self.settings + [("gamma", "0.9")])
        do { try wrongConfig.load(state); Issue.record("loaded a state with another config") } catch let e as AgentError {
            guard case .checkpointMismatch(let why) = e else { Issue.record("wrong error \(e)"); return }
            #expect(why == "config differs: gamma 0.99 (checkpoint) vs 0.9 (this run)", "\(why)")
        }
    }
}

@Suite("ReplayBuffer")
struct ReplayBufferTests {
    func fill(_ buffer: inout ReplayBuffer, _ values: Range<Int>) {
        for v in values {
            let o: [Float] = [Float(v), -Float(v)], a: [Float] = [Float(v)], o2: [Float] = [Float(v) + 0.5, 0]
            o.withUnsafeBufferPointer { op in a.withUnsafeBufferPointer { ap in o2.withUnsafeBufferPointer { np in
                buffer.append(observation: op, action: ap, reward: Float(v), nextObservation: np, terminated: v % 3 == 0)
            }}}
        }
    }

    @Test("sampling never returns an unwritten slot")
    func neverUnwritten() {
        var buffer = ReplayBuffer(capacity: 100, observationCount: 2, actionCount: 1)
        fill(&buffer, 1..<8)       // values 1…7; unwritten slots hold 0
        var batch = ReplayBuffer.Batch(capacity: 64, observationCount: 2, actionCount: 1)
        var rng = Xoshiro256(seed: 0)
        var seen = Set<Float>()
        for _ in 0..<50 {
            buffer.sample(size: 64, rng: &rng, into: &batch)
            for r in 0..<64 {
                #expect(batch.rewards[r] >= 1 && batch.rewards[r] <= 7)
                #expect(batch.observations[2 * r] == batch.rewards[r])
                #expect(batch.actions[r] == batch.rewards[r])
                #expect(batch.nextObservations[2 * r] == batch.rewards[r] + 0.5)
                #expect(batch.dones[r] == (Int(batch.rewards[r]) % 3 == 0 ? 1 : 0))
                seen.insert(batch.rewards[r])
            }
        }
        #expect(seen == Set((1...7).map(Float.init)))
    }

    @Test("wraps FIFO: once full, the oldest transition is overwritten")
    func fifo() {
        var buffer = ReplayBuffer(capacity: 5, observationCount: 2, actionCount: 1)
        fill(&buffer, 0..<8)
        #expect(buffer.count == 5)
        #expect(buffer.writeIndex == 3)
        // Slots 0, 1, 2 hold 5, 6, 7; slots 3, 4 still hold 3, 4.
        #expect(buffer.rewards == [5, 6, 7, 3, 4])
    }

    @Test("state round trip restores contents, count and write index")
    func roundTrip() throws {
        var buffer = ReplayBuffer(capacity: 6, observationCount: 2, actionCount: 1)
        fill(&buffer, 0..<9)
        var copy = ReplayBuffer(capacity: 6, observationCount: 2, actionCount: 1)
        try copy.load(StateDict(serialized: buffer.stateDict().serialized()))
        #expect(copy == buffer)
        var wrong = ReplayBuffer(capacity: 7, observationCount: 2, actionCount: 1)
        #expect(throws: StateDictError.self) { try wrong.load(buffer.stateDict()) }
    }
}

@Suite("Off-policy configs")
struct OffPolicyConfigTests {
    @Test("an unknown --set key is an error naming it", arguments: [Algorithm.ddpg, .td3, .sac])
    func unknownKey(algorithm: Algorithm) {
        let spec = RunSpec(algorithm: algorithm, env: "Pendulum-v0", actorHidden: [4], criticHidden: [4], seed: 0)
        do {
            _ = try AgentFactory.make(spec, overrides: [("gama", "0.9")])
            Issue.record("accepted an unknown key")
        } catch let e as AgentError {
            guard case .unknownKey(let key, _, let known) = e else { Issue.record("wrong error \(e)"); return }
            #expect(key == "gama")
            #expect(known.contains("gamma") && known.contains("start_steps"))
            #expect(e.description.contains("'gama'"))
        } catch { Issue.record("wrong error \(error)") }
    }

    @Test("overrides land on the snake_case fields; bad values are errors")
    func overrides() throws {
        let c = try applyOverrides([("policy_delay", "3"), ("target_noise", "0.1"), ("pi_lr", "3e-4")],
                                   to: try TD3.preset(.spinup, env: "Pendulum-v0"), algorithm: .td3)
        #expect(c.policyDelay == 3 && c.targetNoise == 0.1 && c.piLr == 3e-4)
        #expect(throws: AgentError.self) {
            try applyOverrides([("auto_alpha", "maybe")], to: SAC.Config(), algorithm: .sac)
        }
        let spec = RunSpec(algorithm: .ddpg, env: "Pendulum-v0", actorHidden: [4], criticHidden: [4], seed: 0)
        #expect(throws: AgentError.self) { try AgentFactory.make(spec, overrides: [("batch_size", "0")]) }
        let acrobot = RunSpec(algorithm: .td3, env: "Acrobot-v1", actorHidden: [4], criticHidden: [4], seed: 0)
        #expect(throws: AgentError.self) { try AgentFactory.make(acrobot) }
    }

    @Test("spinup presets are Spinning Up's defaults (openai/spinningup @ 038665d)")
    func spinup() throws {
        let d = try DDPG.preset(.spinup, env: "Pendulum-v0")
        #expect(d.replaySize == 1_000_000 && d.gamma == 0.99 && d.polyak == 0.995 && d.piLr == 1e-3 && d.qLr == 1e-3)
        #expect(d.batchSize == 100 && d.startSteps == 10_000 && d.updateAfter == 1000 && d.updateEvery == 50)
        #expect(d.actNoise == 0.1 && d.numTestEpisodes == 10)
        let t = try TD3.preset(.spinup, env: "Pendulum-v0")
        #expect(t.targetNoise == 0.2 && t.noiseClip == 0.5 && t.policyDelay == 2)
        let s = try SAC.preset(.spinup, env: "Pendulum-v0")
        #expect(s.lr == 1e-3 && s.alpha == 0.2 && !s.autoAlpha && s.batchSize == 100)
    }

    @Test("zoo presets follow the RL Zoo entries (SB3 zoo v1.0, rl-zoo3 2.9.2)")
    func zoo() throws {
        // SB3 zoo v1.0 DDPG/TD3 Pendulum-v0: gamma 0.98, buffer 2e5, learning_starts 1e4,
        // N(0.1) noise, train_freq 1 episode with gradient_steps −1, lr 1e-3.
        for c in [try DDPG.preset(.zoo, env: "Pendulum-v0")] {
            #expect(c.gamma == 0.98 && c.replaySize == 200_000 && c.startSteps == 10_000 && c.updateAfter == 10_000)
            #expect(c.actNoise == 0.1 && c.updateEvery == 200 && c.piLr == 1e-3 && c.qLr == 1e-3)
        }
        let t = try TD3.preset(.zoo, env: "Pendulum-v1")   // rl-zoo3 2.9.2: train_freq 1, gradient_steps 1
        #expect(t.gamma == 0.98 && t.replaySize == 200_000 && t.updateEvery == 1 && t.policyDelay == 2)
        // SAC Pendulum-v0 (SB3 zoo v1.0): lr 1e-3 over SB3's defaults, auto entropy with target −|A|.
        let s = try SAC.preset(.zoo, env: "Pendulum-v0")
        #expect(s.lr == 1e-3 && s.autoAlpha && s.targetEntropy == -1 && s.batchSize == 256 && s.startSteps == 100)
        // Elsewhere SB3's SAC library defaults: lr 3e-4, batch 256, learning_starts 100.
        let toy = try SAC.preset(.zoo, env: "ToyTracking-v0")
        #expect(toy.lr == 3e-4 && toy.batchSize == 256 && toy.updateAfter == 100 && toy.gamma == 0.99)
    }
}
