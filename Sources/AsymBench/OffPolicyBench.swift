import Agents
import Nets
import Foundation

/// Environment steps/s while training DDPG, TD3 and SAC on Pendulum-v0 with one
/// gradient step per environment step at batch 256 (start_steps = update_after
/// = 256, update_every = 1), actor = critic size, one thread, beside
/// Stable-Baselines3's steps/s for the same setting measured in this run
/// (`peer`, from `make bench-peer`). Without peer figures only ours are printed:
/// figures from another machine or day are no comparison.
/// `ASYM_BENCH_ALGOS=td3,sac` and `ASYM_BENCH_SIZES=4,256` (first hidden width)
/// narrow the table, e.g. to compare two builds on one row.
func benchOffPolicy(peer: PeerFigures?) {
    print("== offpolicy: env steps/s training on Pendulum-v0, 1 gradient step per env step, batch 256, one thread")
    if let peer { print("peer: Stable-Baselines3 on Pendulum-v1 measured in this run (\(peer.versions))") }
    else { print("peer: none measured in this run (`make bench-peer` measures SB3 and prints the ratios)") }
    let profile = Numerics.profile
    // The targets of issue 8: ≥ 20× SB3 at the small sizes; at [256,256] ≥ 2× native, ≥ 1.3× portable.
    func target(_ hidden: [Int]) -> Double? {
        switch hidden {
        case [4, 4], [16, 16]: 20
        case [256, 256]: profile == .native ? 2 : 1.3
        default: nil
        }
    }
    let sizes = [[4, 4], [16, 16], [64, 64], [256, 256], [400, 300]]
    print("\(padRight("profile", 9))\(padRight("kernel", 9))\(pad("algo", 5)) \(pad("hidden", 10)) \(pad("steps/s", 9)) \(pad("SB3", 6)) \(pad("ratio", 7)) \(pad("target", 7))")
    let onlyAlgos = ProcessInfo.processInfo.environment["ASYM_BENCH_ALGOS"].map { $0.split(separator: ",").map(String.init) }
    let onlySizes = ProcessInfo.processInfo.environment["ASYM_BENCH_SIZES"].map { $0.split(separator: ",").compactMap { Int($0) } }
    for algo in [Algorithm.ddpg, .td3, .sac] where onlyAlgos?.contains(algo.rawValue) ?? true {
        for hidden in sizes where onlySizes?.contains(hidden[0]) ?? true {
            let spec = RunSpec(algorithm: algo, env: "Pendulum-v0", actorHidden: hidden, criticHidden: hidden, seed: 0)
            guard let agent = try? AgentFactory.make(spec, overrides: [
                ("start_steps", "256"), ("update_after", "256"), ("update_every", "1"), ("batch_size", "256"),
            ]) else { print("\(algo): cannot build"); continue }
            let metrics = NullMetrics()
            while agent.stepsDone < 300 { agent.trainStep(metrics: metrics) }   // fill the buffer, warm up
            // Whole steps for at least two seconds (a mean, as the peer's figure is).
            let start = now()
            var steps = 0
            repeat {
                for _ in 0..<10 { agent.trainStep(metrics: metrics) }
                steps += 10
            } while now() - start < 2.0
            let rate = Double(steps) / (now() - start)
            let reference = peer?.rate(algo.rawValue, hidden)
            let ratio = reference.map { rate / $0 }
            let verdict = zip(ratio, target(hidden)).map { $0 >= $1 ? "" : "  below target" } ?? ""
            print("\(padRight(profile.rawValue, 9))\(padRight(Numerics.kernel, 9))\(pad(algo.rawValue, 5)) \(pad("\(hidden)", 10)) \(pad(fixed(rate, 0), 9)) \(pad(reference.map { fixed($0, 0) } ?? "–", 6)) \(pad(ratio.map { fixed($0, 1) + "×" } ?? "–", 7)) \(pad(target(hidden).map { "≥" + fixed($0, 1) + "×" } ?? "", 7))\(verdict)")
        }
    }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
