import Testing
@testable import Agents
import Envs
import Nets
import Foundation

@Suite("TRPO", .serialized)
struct TRPOTests {
    @Test("learns the toy tracking task: the mean action approaches a = o")
    func toyTracking() throws {
        // The zoo preset (sb3-contrib's TRPO defaults: orthogonal init, actor starting at a ≈ 0)
        // with observation normalisation. Spinning Up's preset (PyTorch init, log σ −0.5,
        // raw observations) diverged on seeds 2 and 3: a wrong-signed initial weight drives
        // the error to ±10, where clipped actions hide all exploration.
        let spec = RunSpec(algorithm: .trpo, env: "ToyTracking-v0", actorHidden: [], criticHidden: [16, 16], seed: 1, preset: .zoo)
        var config = try TRPO.Config.preset(.zoo, env: spec.env)
        config.normalizeObservations = true
        let agent = try TRPO(spec: spec, config: config)
        let before = trackingError(agent.deterministicAction)
        let metrics = MemoryMetrics()
        train(agent, steps: 40_000, metrics: metrics)
        let after = trackingError(agent.deterministicAction)
        let accepted = metrics.series["train/accepted"]?.map(\.value) ?? []
        print("TRPO toy: mean |a − o| \(before) → \(after); line search accepted \(accepted.reduce(0, +))/\(accepted.count)")
        // The floor is ≈ 0.2, not 0 (see the PPO toy test: the lag makes a ≈ 1.7·o optimal).
        #expect(after < 0.6 * before)     // measured 0.39 → 0.18 (seed 1)
        #expect(accepted.reduce(0, +) > 0)
    }

    @Test("Acrobot-v1 (zoo preset, categorical policy) gets well past the random policy's −500")
    func acrobot() throws {
        let spec = RunSpec(algorithm: .trpo, env: "Acrobot-v1", actorHidden: [16, 16], criticHidden: [16, 16], seed: 0, preset: .zoo)
        let agent = try TRPO(spec: spec, config: try .preset(.zoo, env: spec.env))
        let metrics = MemoryMetrics()
        train(agent, steps: 60_000, metrics: metrics)
        let after = mean(agent.evaluate(episodes: 10, seed: 79))
        print("TRPO Acrobot: eval \(after)")
        #expect(after > -200)             // measured −80 (seed 0)
        for name in ["loss/policy", "loss/value", "train/kl", "train/entropy", "train/backtracks", "train/accepted",
                     "train/episode_return", "train/episode_length"] {
            #expect(metrics.series[name] != nil, "no \(name)")
        }
    }

    @Test("conjugate gradient solves a small SPD system")
    func conjugateGradientSolves() {
        // A = BᵀB + I for a fixed B: symmetric positive definite.
        let b: [[Double]] = [[1, 2, 0, -1], [0, 1, 3, 1], [2, -1, 1, 0], [1, 0, -2, 2]]
        var a = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
        for i in 0..<4 { for j in 0..<4 {
            a[i][j] = (0..<4).reduce(0) { $0 + b[$1][i] * b[$1][j] } + (i == j ? 1 : 0)
        } }
        let rhs: [Float] = [1, -2, 0.5, 3]
        let x = conjugateGradient(hvp: { v in (0..<4).map { i in Float((0..<4).reduce(0) { $0 + a[i][$1] * Double(v[$1]) }) } },
                                  b: rhs, iterations: 8)
        for i in 0..<4 {
            let ax = (0..<4).reduce(0) { $0 + a[i][$1] * Double(x[$1]) }
            #expect(abs(ax - Double(rhs[i])) < 1e-4, "row \(i): \(ax) vs \(rhs[i])")
        }
    }

    @Test("the Fisher-vector product equals an explicitly built JᵀMJ", arguments: ["ToyTracking-v0", "Acrobot-v1"])
    func fisherVectorProduct(env: String) throws {
        var config = TRPO.Config()
        config.nSteps = 8; config.dampingCoeff = 0
        let spec = RunSpec(algorithm: .trpo, env: env, actorHidden: [3], criticHidden: [3], seed: 5)
        let agent = try TRPO(spec: spec, config: config)
        let n = 5, o = agent.buffer.observationCount, k = agent.learner.policy.outputCount
        var rng = Xoshiro256(seed: 9)
        let obs = (0..<(n * o)).map { _ in rng.normalFloat() }
        let actions: [Float] = (0..<(n * agent.learner.policy.actionFloats)).map { _ in
            agent.learner.policy.gaussian != nil ? rng.normalFloat() : Float(rng.index(below: k))
        }
        if agent.learner.policy.gaussian != nil { agent.learner.policy.gaussian!.logStd = [0.3] }
        _ = agent.learner.forwardOld(observations: obs, actions: actions, batch: n, rollout: agent.buffer)
        let p = agent.learner.policy.net.parameterCount, total = agent.learner.policy.flatCount
        // J column by column: the output tangent along each basis direction of the network's parameters.
        var jacobian = [[Double]](repeating: [Double](repeating: 0, count: p), count: n * k)
        for i in 0..<p {
            var e = [Float](repeating: 0, count: p); e[i] = 1
            let jv = e.withUnsafeBufferPointer { agent.learner.policy.net.jvp(direction: $0.baseAddress!, workspace: agent.learner.work.policyWorkspace) }
            for row in 0..<(n * k) { jacobian[row][i] = Double(jv[row]) }
        }
        // F = (1/n) Σ_r J_rᵀ M_r J_r (+ the log σ block 2·I for the Gaussian).
        var fisher = [[Double]](repeating: [Double](repeating: 0, count: total), count: total)
        let out = agent.learner.work.oldOutput.p
        for r in 0..<n {
            var m = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            if let g = agent.learner.policy.gaussian {
                for a in 0..<k { m[a][a] = Foundation.exp(-2 * Double(g.logStd[a])) }
            } else {
                let logits = (0..<k).map { Double(out[r * k + $0]) }
                let mx = logits.max()!
                let z = logits.map { Foundation.exp($0 - mx) }.reduce(0, +)
                let prob = logits.map { Foundation.exp($0 - mx) / z }
                for a in 0..<k { for c in 0..<k { m[a][c] = (a == c ? prob[a] : 0) - prob[a] * prob[c] } }
            }
            for i in 0..<p { for j in 0..<p {
                var s = 0.0
                for a in 0..<k { for c in 0..<k { s += jacobian[r * k + a][i] * m[a][c] * jacobian[r * k + c][j] } }
                fisher[i][j] += s / Double(n)
            } }
        }
        for j in p..<total { fisher[j][j] = 2 }
        let v = (0..<total).map { _ in rng.normalFloat() }
        let fv = agent.learner.fisherVectorProduct(v, batch: n)
        var maxError = 0.0, scale = 0.0
        for i in 0..<total {
            let expected = (0..<total).reduce(0) { $0 + fisher[i][$1] * Double(v[$1]) }
            maxError = max(maxError, abs(expected - Double(fv[i])))
            scale = max(scale, abs(expected))
        }
        #expect(maxError <= 1e-4 * max(scale, 1), "max |F·v − fvp| = \(maxError) (scale \(scale))")
    }

    @Test("resuming mid-rollout from serialized bytes equals an uninterrupted run", arguments: ["Pendulum-v1", "Acrobot-v1"])
    func exactResume(env: String) throws {
        var config = TRPO.Config()
        config.nSteps = 50; config.nEnvs = 2; config.trainVIters = 3; config.vfBatchSize = 32
        config.normalizeObservations = true; config.normalizeRewards = true
        let spec = RunSpec(algorithm: .trpo, env: env, actorHidden: [8], criticHidden: [8, 8], seed: 11)
        // 2 envs × 50 steps per rollout: k = 230 is mid third rollout; Pendulum truncates at 200.
        let (straight, resumed) = try resumeRoundTrip({ try TRPO(spec: spec, config: config) }, k: 230, n: 460)
        #expect(straight == resumed)
    }

    @Test("load refuses a state from a different config")
    func mismatch() throws {
        let spec = RunSpec(algorithm: .trpo, env: "Pendulum-v1", actorHidden: [4], criticHidden: [4], seed: 1)
        var config = TRPO.Config(); config.nSteps = 20
        let a = try TRPO(spec: spec, config: config)
        config.delta = 0.02
        let b = try TRPO(spec: spec, config: config)
        #expect(throws: AgentError.self) { try b.load(a.stateDict()) }
    }
}
