import Agents
import Nets

/// Environment steps/s while training DDPG, TD3 and SAC on Pendulum-v0 with one
/// gradient step per environment step at batch 256 (start_steps = update_after
/// = 256, update_every = 1), actor = critic size, against Stable-Baselines3's
/// figures for the same setting.
func benchOffPolicy() {
    print("== offpolicy: env steps/s training on Pendulum-v0, 1 gradient step per env step, batch 256, one thread")
    // Stable-Baselines3 steps/s at [4,4], [16,16], [64,64], [256,256] (the task's reference figures).
    let sb3: [Algorithm: [Double]] = [
        .sac: [116, 163, 90, 44], .td3: [174, 203, 159, 74], .ddpg: [198, 185, 146, 68],
    ]
    let targets: [Double] = [20, 20, 5, 1.5]
    let sizes = [[4, 4], [16, 16], [64, 64], [256, 256]]
    print("\(pad("algo", 5)) \(pad("hidden", 10)) \(pad("steps/s", 9)) \(pad("SB3", 5)) \(pad("ratio", 7)) \(pad("target", 7))")
    for algo in [Algorithm.ddpg, .td3, .sac] {
        for (i, hidden) in sizes.enumerated() {
            let spec = RunSpec(algorithm: algo, env: "Pendulum-v0", actorHidden: hidden, criticHidden: hidden, seed: 0)
            guard let agent = try? AgentFactory.make(spec, overrides: [
                ("start_steps", "256"), ("update_after", "256"), ("update_every", "1"), ("batch_size", "256"),
            ]) else { print("\(algo): cannot build"); continue }
            let metrics = NullMetrics()
            while agent.stepsDone < 300 { agent.trainStep(metrics: metrics) }   // fill the buffer, warm up
            // Time whole steps for at least one second.
            let start = now()
            var steps = 0
            repeat {
                for _ in 0..<10 { agent.trainStep(metrics: metrics) }
                steps += 10
            } while now() - start < 1.0
            let rate = Double(steps) / (now() - start)
            let reference = sb3[algo]![i]
            let ratio = rate / reference
            print("\(pad(algo.rawValue, 5)) \(pad("\(hidden)", 10)) \(pad(fixed(rate, 0), 9)) \(pad(fixed(reference, 0), 5)) \(pad(fixed(ratio, 1) + "×", 7)) \(pad("≥" + fixed(targets[i], 1) + "×", 7))\(ratio >= targets[i] ? "" : "  below target")")
        }
    }
}
