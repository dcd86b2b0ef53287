import Testing
import Nets
import Envs
@testable import Agents

/// Mean |a − o| of the deterministic policy over a grid of toy observations.
///
/// The toy's ideal policy is a = o, but actions are clipped to ±1 (and the
/// actor's tanh never leaves (−1, 1)), so a ≈ o is only reachable for |o| < 1;
/// beyond that the best action is sign(o). The grid covers [−0.9, 0.9], inside
/// the range the trained agent actually visits (its tracking errors stay
/// within a few tenths; exploration reaches errors of several units).
func toyTrackingError<L: OffPolicyLearner>(_ agent: OffPolicyAgent<L>) -> Double {
    let grid = stride(from: -0.9, through: 0.9, by: 0.05).map { Float($0) }
    return mean(grid.map { o in Double(abs(agent.policyAction([o])[0] - o)) })
}

@Suite("Off-policy learning", .serialized)
struct OffPolicyLearningTests {
    /// The paper's Section 3: a 1-neuron actor suffices when the critic is big enough.
    /// Budget 6000 steps (40 episodes); Spinning Up's defaults except
    /// start_steps = 1000 (not 10000, so the policy acts for most of the run) and
    /// γ = 0.5: the toy's reward is immediate (−|g − s| right after the move), so a
    /// short horizon loses nothing and the critic's dQ/da settles faster.
    /// Measured (seed 0): mean |a − o| DDPG 0.072, TD3 0.124 with the [16,16]
    /// critic (eval returns −25, −42); 0.92 and 0.82 with the linear one (−1267, −975). The 1-neuron actor is a = tanh(w·o + b): it
    /// learns b ≈ 0 and a gain w between 0.8 and 2 (a higher gain tracks the
    /// moving goal slightly better, since the observation lags it by a step), so
    /// |a − o| on [−0.9, 0.9] does not go to zero even for a perfect learner.
    static let toySettings: [(key: String, value: String)] = [
        ("start_steps", "1000"), ("update_after", "1000"), ("update_every", "50"), ("gamma", "0.5"),
    ]

    @Test("toy problem: a 1-neuron actor with a [16,16] critic learns a ≈ o (DDPG, TD3)",
          arguments: [Algorithm.ddpg, .td3])
    func toyAsymmetricLearns(algorithm: Algorithm) throws {
        let spec = RunSpec(algorithm: algorithm, env: "ToyTracking-v0", actorHidden: [], criticHidden: [16, 16], seed: 0)
        let agent = try AgentFactory.make(spec, overrides: Self.toySettings)
        train(agent, steps: 6000)
        let error: Double
        switch agent {
        case let a as OffPolicyAgent<DDPG>: error = toyTrackingError(a)
        case let a as OffPolicyAgent<TD3>: error = toyTrackingError(a)
        default: Issue.record("unexpected agent type"); return
        }
        let ret = mean(agent.evaluate(episodes: 5, seed: 99))
        print("toy \(algorithm) actor [] critic [16,16]: mean |a − o| on [−0.9, 0.9] = \(error), eval return \(ret)")
        #expect(error < 0.15)
        #expect(ret > -60)
    }

    @Test("toy problem: a symmetric 1-neuron pair (linear critic) does not learn a ≈ o (DDPG, TD3)",
          arguments: [Algorithm.ddpg, .td3])
    func toySymmetricFails(algorithm: Algorithm) throws {
        let spec = RunSpec(algorithm: algorithm, env: "ToyTracking-v0", actorHidden: [], criticHidden: [], seed: 0)
        let agent = try AgentFactory.make(spec, overrides: Self.toySettings)
        train(agent, steps: 6000)
        let error: Double
        switch agent {
        case let a as OffPolicyAgent<DDPG>: error = toyTrackingError(a)
        case let a as OffPolicyAgent<TD3>: error = toyTrackingError(a)
        default: Issue.record("unexpected agent type"); return
        }
        let ret = mean(agent.evaluate(episodes: 5, seed: 99))
        print("toy \(algorithm) actor [] critic []: mean |a − o| on [−0.9, 0.9] = \(error), eval return \(ret)")
        // A linear Q(o, a) = w·[o, a] + b has a constant dQ/da, so the actor is
        // pushed to one bound whatever o is.
        #expect(error > 0.5)
        #expect(ret < -500)
    }

    /// Pendulum with [64,64] networks: 15,000 steps, zoo-like schedule
    /// (1000 random steps, then one gradient step per env step at batch 256, lr 1e-3).
    static let pendulumSettings: [(key: String, value: String)] = [
        ("start_steps", "1000"), ("update_after", "1000"), ("update_every", "1"), ("batch_size", "256"),
    ]

    @Test("Pendulum-v0: [64,64] reaches a mean evaluation return above −250 within 15,000 steps",
          arguments: [Algorithm.ddpg, .td3, .sac])
    func pendulum(algorithm: Algorithm) throws {
        let spec = RunSpec(algorithm: algorithm, env: "Pendulum-v0", actorHidden: [64, 64], criticHidden: [64, 64], seed: 0)
        var settings = Self.pendulumSettings
        if algorithm == .sac { settings += [("lr", "1e-3"), ("auto_alpha", "true"), ("alpha", "1")] }
        else { settings += [("gamma", "0.98")] }
        let agent = try AgentFactory.make(spec, overrides: settings)
        train(agent, steps: 15_000)
        let ret = mean(agent.evaluate(episodes: 10, seed: 1234))
        print("Pendulum-v0 \(algorithm) [64,64]: eval return over 10 episodes = \(ret)")
        #expect(ret > -250)
    }

    /// Acrobot pays −1 per step until the tip swings above the bar, and neither
    /// uniform random actions nor a near-uniform policy ever gets there in
    /// 500 steps; what works is a consistent, state-dependent policy that pumps
    /// energy (a = sign(θ̇2) solves it in 73 steps). So: the policy acts from
    /// the first step (start_steps 0), a small fixed α = 0.003 lets tiny Q gaps
    /// shape it, and lr 1e-4 keeps the logits from saturating on one action
    /// before any success is in the buffer. With automatic α (the zoo preset's
    /// Christodoulou target 0.98·log 3 and others, 0.2–1.07 nats) or lr 1e-3 no training episode reached the goal
    /// within 80,000 steps. Measured (seed 0): −355 after 20,000 steps, −116
    /// after 30,000, −93 after 40,000 (asym train's evaluation); seed 1: −86 after
    /// 30,000. This test's 10 evaluation episodes (seed 1234) give −250.
    @Test("Acrobot-v1: discrete SAC beats the random policy's −500 within 30,000 steps")
    func acrobot() throws {
        // The `tuned` preset for Acrobot-v1 is exactly this setting (DiscreteSAC.preset),
        // built here from the zoo preset by overrides.
        let zoo = RunSpec(algorithm: .sac, env: "Acrobot-v1", actorHidden: [64, 64], criticHidden: [64, 64], seed: 0,
                          preset: .zoo)
        var spec = zoo
        spec.preset = .tuned
        let fromZoo = try AgentFactory.make(zoo, overrides: [
            ("start_steps", "0"), ("update_after", "1000"), ("update_every", "1"), ("batch_size", "128"),
            ("lr", "1e-4"), ("auto_alpha", "false"), ("alpha", "0.003"),
        ])
        let agent = try AgentFactory.make(spec)
        #expect(fromZoo.configJSON == agent.configJSON)
        #expect(agent is OffPolicyAgent<DiscreteSAC>)
        train(agent, steps: 30_000)
        let ret = mean(agent.evaluate(episodes: 10, seed: 1234))
        print("Acrobot-v1 discrete SAC [64,64]: eval return over 10 episodes = \(ret)")
        #expect(ret > -400)
    }
}
