import Foundation
import Testing
@testable import Agents
import Envs
import Nets

/// One row of the paper preset: what `--preset paper` must give for (algorithm, env).
private struct PaperRow: CustomStringConvertible {
    let algorithm: Algorithm, env: String
    let budget: Int, timeoutTerminal: Bool
    /// snake_case key → expected value, read off the config's canonical JSON.
    let values: [String: Double]
    var description: String { "\(algorithm.rawValue) \(env)" }
}

/// The paper preset per row of Table 1 and the toy problem (Mysore et al. 2021), with
/// the sources the presets cite: the SB2 rl-baselines-zoo (araffin/rl-baselines-zoo
/// @ ff84f39) `hyperparams/{ddpg,td3,sac,ppo2}.yml`, Spinning Up's defaults, Baselines'
/// ppo2 `learn()`/`defaults.mujoco()`, the CAPS toy code.
private let paperTable: [PaperRow] = [
    // Pendulum-v0: SB2 zoo entries for all four.
    PaperRow(algorithm: .ddpg, env: "Pendulum-v0", budget: 200_000, timeoutTerminal: true,
             values: ["replay_size": 50_000, "act_noise": 0.1, "start_steps": 10_000, "update_after": 1000,
                      "update_every": 50, "gamma": 0.99, "scale_noise_by_limit": 0]),
    PaperRow(algorithm: .td3, env: "Pendulum-v0", budget: 100_000, timeoutTerminal: true,
             values: ["act_noise": 0.1, "start_steps": 1000, "update_after": 1000, "replay_size": 1_000_000,
                      "target_noise": 0.2, "noise_clip": 0.5, "policy_delay": 2, "scale_noise_by_limit": 0]),
    PaperRow(algorithm: .sac, env: "Pendulum-v0", budget: 60_000, timeoutTerminal: true,
             values: ["start_steps": 1000, "update_after": 1000, "lr": 1e-3, "alpha": 0.2, "auto_alpha": 0]),
    PaperRow(algorithm: .ppo, env: "Pendulum-v0", budget: 2_000_000, timeoutTerminal: true,
             values: ["n_envs": 8, "n_steps": 2048, "batch_size": 512, "gae_lambda": 0.95, "n_epochs": 10,
                      "learning_rate": 3e-4, "anneal_lr": 0, "clip_range": 0.2, "clip_range_vf": 0.2,
                      "normalize_observations": 0, "value_loss_half": 1, "vf_coef": 0.5, "max_grad_norm": 0.5]),
    // Reacher-v2: no SB2 entry (only ReacherBulletEnv): library defaults.
    PaperRow(algorithm: .ddpg, env: "Reacher-v2", budget: 400_000, timeoutTerminal: true,
             values: ["replay_size": 1_000_000, "start_steps": 10_000, "act_noise": 0.1]),
    PaperRow(algorithm: .td3, env: "Reacher-v2", budget: 400_000, timeoutTerminal: true,
             values: ["start_steps": 10_000, "update_every": 50]),
    PaperRow(algorithm: .sac, env: "Reacher-v2", budget: 400_000, timeoutTerminal: true,
             values: ["lr": 1e-3, "alpha": 0.2, "batch_size": 100]),
    PaperRow(algorithm: .ppo, env: "Reacher-v2", budget: 1_000_000, timeoutTerminal: true,
             values: ["n_steps": 2048, "batch_size": 64, "n_epochs": 10, "anneal_lr": 1, "normalize_observations": 1,
                      "normalize_rewards": 1, "value_loss_half": 1]),
    // Ant-v2: no SB2 entry (only AntBulletEnv).
    PaperRow(algorithm: .ddpg, env: "Ant-v2", budget: 1_000_000, timeoutTerminal: false,
             values: ["start_steps": 10_000, "update_every": 50]),
    PaperRow(algorithm: .td3, env: "Ant-v2", budget: 1_000_000, timeoutTerminal: false,
             values: ["start_steps": 10_000, "update_every": 50, "act_noise": 0.1]),
    PaperRow(algorithm: .sac, env: "Ant-v2", budget: 1_000_000, timeoutTerminal: false,
             values: ["lr": 1e-3, "alpha": 0.2]),
    PaperRow(algorithm: .ppo, env: "Ant-v2", budget: 1_000_000, timeoutTerminal: true,
             values: ["n_steps": 2048, "batch_size": 64, "normalize_observations": 1]),
    // HalfCheetah-v2: SB2 entries for TD3, SAC, PPO2; DDPG none.
    PaperRow(algorithm: .ddpg, env: "HalfCheetah-v2", budget: 1_000_000, timeoutTerminal: false,
             values: ["start_steps": 10_000, "update_every": 50]),
    PaperRow(algorithm: .td3, env: "HalfCheetah-v2", budget: 1_000_000, timeoutTerminal: false,
             values: ["start_steps": 10_000, "update_after": 10_000, "update_every": 1000, "batch_size": 100,
                      "pi_lr": 1e-3, "q_lr": 1e-3, "act_noise": 0.1, "replay_size": 1_000_000]),
    PaperRow(algorithm: .sac, env: "HalfCheetah-v2", budget: 1_000_000, timeoutTerminal: false,
             values: ["lr": 3e-4, "batch_size": 256, "update_every": 1, "start_steps": 10_000, "update_after": 10_000,
                      "alpha": 0.2, "auto_alpha": 0]),
    PaperRow(algorithm: .ppo, env: "HalfCheetah-v2", budget: 2_000_000, timeoutTerminal: true,
             values: ["n_steps": 2048, "batch_size": 64, "anneal_lr": 1, "clip_range_vf": -1,
                      "normalize_observations": 1, "value_loss_half": 1]),
    // Acrobot-v1: discrete SAC (no entry anywhere: Christodoulou's values), PPO2 entry.
    PaperRow(algorithm: .sac, env: "Acrobot-v1", budget: 400_000, timeoutTerminal: true,
             values: ["lr": 3e-4, "batch_size": 64, "auto_alpha": 1, "alpha": 1, "target_entropy": 0.98 * log(3.0)]),
    PaperRow(algorithm: .ppo, env: "Acrobot-v1", budget: 1_000_000, timeoutTerminal: true,
             values: ["n_envs": 16, "n_steps": 256, "batch_size": 512, "gae_lambda": 0.94, "n_epochs": 4,
                      "normalize_observations": 1, "normalize_rewards": 1, "anneal_lr": 0]),
    // The toy problem: the CAPS code's Spinning Up-style trainers.
    PaperRow(algorithm: .ddpg, env: "ToyTracking-v0", budget: 150_000, timeoutTerminal: true,
             values: ["start_steps": 1000, "update_every": 150, "act_noise": 0.1]),
    PaperRow(algorithm: .td3, env: "ToyTracking-v0", budget: 150_000, timeoutTerminal: true,
             values: ["start_steps": 1000, "update_every": 150]),
    PaperRow(algorithm: .sac, env: "ToyTracking-v0", budget: 150_000, timeoutTerminal: true,
             values: ["start_steps": 1000, "update_every": 150]),
    PaperRow(algorithm: .ppo, env: "ToyTracking-v0", budget: 150_000, timeoutTerminal: true,
             values: ["n_steps": 4000, "n_epochs": 80, "target_kl": 0.01, "normalize_observations": 0]),
    PaperRow(algorithm: .trpo, env: "ToyTracking-v0", budget: 150_000, timeoutTerminal: true,
             values: ["n_steps": 4000, "delta": 0.01]),
]

/// The config's fields as numbers (booleans 1/0).
private func fields(_ json: String) throws -> [String: Double] {
    guard case .object(let o) = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else { return [:] }
    var out: [String: Double] = [:]
    for (k, v) in o {
        switch v {
        case .number(let d): out[k] = d
        case .bool(let b): out[k] = b ? 1 : 0
        default: break
        }
    }
    return out
}

@Suite("Presets")
struct PresetTests {
    @Test("the paper preset's values per row of Table 1 and the toy problem", arguments: paperTable)
    fileprivate func paperRow(_ row: PaperRow) throws {
        let spec = RunSpec(algorithm: row.algorithm, env: row.env, actorHidden: [4], criticHidden: [4], seed: 0, preset: .paper)
        let agent = try AgentFactory.make(spec)
        #expect(agent.budget == row.budget)
        let f = try fields(agent.configJSON)
        #expect(f["timeout_terminal"] == (row.timeoutTerminal ? 1 : 0))
        for (key, expected) in row.values {
            #expect(f[key].map { abs($0 - expected) <= 1e-12 * max(1, abs(expected)) } == true,
                    "\(row) \(key): \(f[key].map(String.init(describing:)) ?? "absent") ≠ \(expected)")
        }
    }

    @Test("only the paper preset stores time-outs as terminal", arguments: [Preset.spinup, .zoo, .tuned])
    func otherPresetsBootstrap(_ preset: Preset) throws {
        for algo in Algorithm.allCases {
            let spec = RunSpec(algorithm: algo, env: algo == .sac ? "Acrobot-v1" : "Pendulum-v0",
                               actorHidden: [4], criticHidden: [4], seed: 0, preset: preset)
            let f = try fields(AgentFactory.make(spec).configJSON)
            #expect(f["timeout_terminal"] == 0, "\(algo)")
        }
    }

    @Test("zoo budgets per environment; --steps defaults to them")
    func zooBudgets() throws {
        func budget(_ a: Algorithm, _ env: String, _ p: Preset = .zoo) throws -> Int {
            try AgentFactory.make(RunSpec(algorithm: a, env: env, actorHidden: [4], criticHidden: [4], seed: 0, preset: p)).budget
        }
        let expected: [(Algorithm, String, Preset, Int)] = [
            (.td3, "Pendulum-v0", .zoo, 20_000), (.sac, "Pendulum-v0", .zoo, 20_000),
            (.ddpg, "HalfCheetah-v2", .zoo, 1_000_000), (.ppo, "Acrobot-v1", .zoo, 1_000_000),
            (.trpo, "Acrobot-v1", .zoo, 100_000), (.ddpg, "Pendulum-v0", .spinup, 400_000),
            (.ppo, "Pendulum-v0", .spinup, 200_000),
        ]
        for (a, env, p, steps) in expected {
            let b = try budget(a, env, p)
            #expect(b == steps, "\(a) \(env) \(p)")
        }
    }

    @Test("exploration noise: absolute in spinup and paper, × action limit (2 on Pendulum) in zoo",
          arguments: [Algorithm.ddpg, .td3])
    func noiseScaling(_ algo: Algorithm) throws {
        func noise(_ preset: Preset) throws -> Float {
            let spec = RunSpec(algorithm: algo, env: "Pendulum-v0", actorHidden: [4], criticHidden: [4], seed: 3, preset: preset)
            // Small σ so nothing is clipped at the bounds.
            let agent = try AgentFactory.make(spec, overrides: [("act_noise", "0.01")])
            let o: [Float] = [1, 0, 0.5]
            var rng = Xoshiro256(seed: 11)
            var explored: [Float] = [0], mode: [Float] = [0]
            func act<L: OffPolicyLearner>(_ a: OffPolicyAgent<L>) {
                var learner = a.learner
                o.withUnsafeBufferPointer { ob in
                    explored.withUnsafeMutableBufferPointer { learner.act(ob.baseAddress!, explore: true, rng: &rng, into: $0.baseAddress!) }
                    mode.withUnsafeMutableBufferPointer { learner.act(ob.baseAddress!, explore: false, rng: &rng, into: $0.baseAddress!) }
                }
            }
            if let a = agent as? OffPolicyAgent<DDPG> { act(a) } else if let a = agent as? OffPolicyAgent<TD3> { act(a) }
            return explored[0] - mode[0]
        }
        let spinup = try noise(.spinup), paper = try noise(.paper), zoo = try noise(.zoo)
        #expect(spinup != 0)
        #expect(paper == spinup)
        #expect(abs(zoo - 2 * spinup) <= 1e-6 * abs(spinup) + 1e-7, "zoo \(zoo) vs 2 × spinup \(spinup)")
    }

    @Test("TD3's target smoothing noise and its clip follow the same units")
    func targetNoiseUnits() throws {
        for (preset, unit) in [(Preset.spinup, Float(1)), (.paper, 1), (.zoo, 2)] {
            let spec = RunSpec(algorithm: .td3, env: "Pendulum-v0", actorHidden: [4], criticHidden: [4], seed: 0, preset: preset)
            let agent = try #require(try AgentFactory.make(spec) as? OffPolicyAgent<TD3>)
            #expect(agent.learner.noiseUnit == [unit], "\(preset)")
        }
    }

    @Test("PPO value loss: Baselines' ½ in spinup, paper and SB2-derived zoo rows; SB3's vf_coef·mse elsewhere in zoo")
    func valueLossHalf() throws {
        func half(_ p: Preset, _ env: String) throws -> Bool { try PPO.Config.preset(p, env: env).valueLossHalf }
        let expected: [(Preset, String, Bool)] = [
            (.spinup, "Pendulum-v0", true), (.paper, "Pendulum-v0", true), (.paper, "Reacher-v2", true),
            (.zoo, "Pendulum-v0", false), (.zoo, "Reacher-v2", false), (.zoo, "Acrobot-v1", false),
            (.zoo, "HalfCheetah-v2", true),             // SB2 rl-baselines-zoo ppo2.yml entry
        ]
        for (p, env, h) in expected {
            let got = try half(p, env)
            #expect(got == h, "\(p) \(env)")
        }
        // And it does what it says: without the ½ the loss and its gradient double.
        func lossAndGradient(_ halfLoss: Bool) throws -> (Float, [Float]) {
            var config = PPO.Config(); config.nSteps = 8; config.clipRangeVF = -1; config.valueLossHalf = halfLoss
            let agent = try PPO(spec: RunSpec(algorithm: .ppo, env: "Pendulum-v0", actorHidden: [4], criticHidden: [4], seed: 2),
                                config: config)
            var learner = agent.learner
            let w = learner.work
            for r in 0..<4 {
                for j in 0..<3 { w.observations[r * 3 + j] = Float(r) * 0.3 - Float(j) * 0.2 }
                w.targets[r] = Float(r) - 1.5
            }
            learner.value.zeroGradients()
            let loss = learner.valueLoss(batch: 4)
            return (loss, learner.value.gradients)
        }
        let (l1, g1) = try lossAndGradient(true), (l2, g2) = try lossAndGradient(false)
        #expect(abs(l2 - 2 * l1) <= 1e-5 * abs(l2))
        for i in g1.indices { #expect(abs(g2[i] - 2 * g1[i]) <= 1e-5 * max(abs(g2[i]), 1e-6)) }
    }

    @Test("timeout_terminal stores Pendulum's 200-step time-outs as terminal; off, nothing is terminal",
          arguments: [false, true])
    func offPolicyTimeoutDones(_ timeoutTerminal: Bool) throws {
        let spec = RunSpec(algorithm: .td3, env: "Pendulum-v0", actorHidden: [4], criticHidden: [4], seed: 0)
        let agent = try #require(try AgentFactory.make(spec, overrides: [("timeout_terminal", "\(timeoutTerminal)")])
                                 as? OffPolicyAgent<TD3>)
        train(agent, steps: 450)
        let dones = Array(agent.replay.dones.prefix(450))
        let terminal = dones.indices.filter { dones[$0] == 1 }
        #expect(terminal == (timeoutTerminal ? [199, 399] : []))
    }

    @Test("timeout_terminal ends an on-policy path with value 0 at the time limit", arguments: [false, true])
    func onPolicyTimeoutBootstrap(_ timeoutTerminal: Bool) throws {
        var config = try PPO.Config.preset(.spinup, env: "Pendulum-v0")
        config.nSteps = 300; config.timeoutTerminal = timeoutTerminal
        let agent = try PPO(spec: RunSpec(algorithm: .ppo, env: "Pendulum-v0", actorHidden: [4], criticHidden: [4], seed: 0),
                            config: config)
        train(agent, steps: 200)       // the episode is cut at 200; the rollout is not full yet
        let b = agent.buffer
        // The last step's advantage is r + γ·V(o′) − V(o) when bootstrapping, r − V(o) when terminal.
        let delta = b.advantages[199] - (b.rewards[199] - b.values[199])
        if timeoutTerminal { #expect(abs(delta) < 1e-4) } else { #expect(abs(delta) > 1e-3, "γV(o′) = \(delta)") }
    }
}

@Suite("Periodic evaluation", .serialized)
struct PeriodicEvaluationTests {
    @Test("does not change the training result, and is recorded beside the losses",
          arguments: [(Algorithm.ddpg, "Pendulum-v0"), (.td3, "Pendulum-v0"), (.sac, "Pendulum-v0"),
                      (.sac, "Acrobot-v1"), (.ppo, "Pendulum-v0"), (.trpo, "Acrobot-v1")])
    func unchangedResult(_ algo: Algorithm, _ env: String) throws {
        let spec = RunSpec(algorithm: algo, env: env, actorHidden: [8], criticHidden: [8], seed: 4)
        let overrides: [(key: String, value: String)] = algo == .ppo || algo == .trpo
            ? [("n_steps", "500")]
            : [("start_steps", "300"), ("update_after", "300"), ("log_every", "500")]
        let steps = 2000
        let plain = try AgentFactory.make(spec, overrides: overrides)
        let plainMetrics = MemoryMetrics()
        try Training.run(plain, totalSteps: steps, metrics: plainMetrics)
        let evaluated = try AgentFactory.make(spec, overrides: overrides)
        let metrics = MemoryMetrics()
        try Training.run(evaluated, totalSteps: steps, metrics: metrics,
                         evaluation: Training.Evaluation(every: 500, episodes: 2, for: spec))
        #expect(plain.stateDict().serialized() == evaluated.stateDict().serialized())
        #expect(metrics.series["eval/return_mean"]?.map(\.step) == [500, 1000, 1500, 2000])
        #expect(metrics.series["eval/return_mean"]?.allSatisfy { $0.value.isFinite && $0.value < 0 } == true)
        #expect(plainMetrics.series["eval/return_mean"] == nil)
        let losses = algo == .ppo || algo == .trpo ? ["loss/value", "loss/policy"] : ["loss/critic", "loss/actor"]
        for name in losses + ["train/episode_return"] { #expect(metrics.series[name]?.isEmpty == false, "no \(name)") }
    }
}
