import Agents
import Nets

/// PPO environment steps/s on Pendulum-v1 (one environment, 2048-step rollouts,
/// 10 epochs of minibatches of 64 — Stable-Baselines3's PPO defaults), policy
/// and value networks of the same size, against Stable-Baselines3's figures
/// for the same setting (steps/s, one CPU thread): those measured in this run
/// when `peer` has them, else the figures of an earlier run on an AMD EPYC
/// (Zen 3), recorded on 2026-11-25, and labelled as such.
func benchOnPolicy(peer: PeerFigures? = nil) {
    print("== onpolicy: PPO training steps/s on Pendulum-v1 (1 env, n_steps 2048, 10 epochs, batch 64), one thread")
    print("\(pad("hidden", 11)) \(pad("steps/s", 10)) \(pad("SB3", 6)) \(pad("ratio", 7)) \(pad("target", 7))")
    let reference: [(hidden: [Int], sb3: Double, target: Double)] = [
        ([4, 4], 793, 20), ([16, 16], 821, 20), ([64, 64], 787, 20), ([256, 256], 591, 3),
    ]
    for (hidden, sb3, target) in reference {
        var config = PPO.Config()
        config.nSteps = 2048; config.nEnvs = 1; config.batchSize = 64; config.nEpochs = 10
        config.normalizeObservations = false; config.normalizeRewards = false
        config.clipRangeVF = -1; config.annealLR = false       // SB3's defaults
        let spec = RunSpec(algorithm: .ppo, env: "Pendulum-v1", actorHidden: hidden, criticHidden: hidden, seed: 0)
        guard let agent = try? PPO(spec: spec, config: config) else {
            print("\(pad("\(hidden)", 11)) cannot build the agent"); continue
        }
        let metrics = NullMetrics()
        // One warm-up rollout with its update, then whole rollouts (each ends in an update).
        for _ in 0..<2048 { agent.trainStep(metrics: metrics) }
        // Whole rollouts until at least a second has passed (at least two).
        var rollouts = 0
        let start = now()
        repeat {
            for _ in 0..<2048 { agent.trainStep(metrics: metrics) }
            rollouts += 1
        } while rollouts < 2 || now() - start < 1
        let rate = Double(rollouts * 2048) / (now() - start)
        let measured = peer?.rate("PPO", hidden)
        let reference = measured ?? sb3
        let ratio = rate / reference
        print("\(pad("\(hidden)", 11)) \(pad(fixed(rate, 0), 10)) \(pad(fixed(reference, 0), 6)) \(pad(fixed(ratio, 1) + "×", 7)) \(pad("≥\(fixed(target, 0))×", 7))\(ratio >= target ? "" : "  (below target)")\(measured == nil ? "  (SB3 figure: an AMD EPYC Zen 3, recorded 2026-11-25, not this run)" : "")")
    }
}
