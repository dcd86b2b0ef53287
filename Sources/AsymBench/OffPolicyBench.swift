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
func benchOffPolicy(peer: PeerFigures?, rowsOnly: Bool = false) {
    if !rowsOnly { printOffPolicyLegend(peer: peer) }
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
            // Whole steps in `windows` back-to-back windows of at least `windowSeconds` each.
            let start = now()
            var steps = 0, windowStart = start, windowSteps = 0, rates: [Double] = [], end = start
            while rates.count < windows {
                agent.trainStep(metrics: metrics)
                steps += 1; windowSteps += 1
                let t = now()
                if t - windowStart >= windowSeconds {
                    rates.append(Double(windowSteps) / (t - windowStart))
                    windowStart = t; windowSteps = 0; end = t
                }
            }
            let mean = Double(steps) / (end - start)
            let median = rates.sorted()[rates.count / 2]
            let reference = peer?.rate(algo.rawValue, hidden, median: true)
            let ratio = reference.map { median / $0 }
            let meanRatio = peer?.rate(algo.rawValue, hidden).map { mean / $0 }
            let verdict = zip(ratio, target(hidden)).map { $0 >= $1 ? "" : "  below target" } ?? ""
            print("\(padRight(profile.rawValue, 9))\(padRight(Numerics.kernel, 9))\(pad(algo.rawValue, 5)) \(pad("\(hidden)", 10)) \(pad(fixed(mean, 0), 7)) \(pad(fixed(median, 0), 7)) \(pad(peer?.rate(algo.rawValue, hidden).map { fixed($0, 0) } ?? "–", 9)) \(pad(reference.map { fixed($0, 0) } ?? "–", 7)) \(pad(ratio.map { fixed($0, 2) + "×" } ?? "–", 7)) \(pad(meanRatio.map { fixed($0, 2) + "×" } ?? "–", 8)) \(pad(target(hidden).map { "≥" + fixed($0, 1) + "×" } ?? "", 7))\(verdict)")
        }
    }
}

/// How many windows each configuration trains while timed, and their length
/// (SB3's script uses the same, `WINDOW_S`).
private let windows = 5, windowSeconds = 1.0

/// The off-policy table's title, what its columns mean, and its header.
func printOffPolicyLegend(peer: PeerFigures?) {
    print("== offpolicy: env steps/s training on Pendulum-v0, 1 gradient step per env step, batch 256, one thread")
    if let peer { print("peer: Stable-Baselines3 on Pendulum-v1 measured in this run (\(peer.versions))") }
    else { print("peer: SB3's figures come from `make bench-peer`, which measures them in the same run") }
    print("steps/s: the mean over \(windows) windows of \(Int(windowSeconds)) s and their median; SB3's the same over its training phase")
    print("(`make bench-peer` runs it just before ours, per algorithm and size). The ratio and target use the medians:")
    print("on a shared machine whose neighbours come and go a burst of load moves a mean, not a median.")
    print("\(padRight("profile", 9))\(padRight("kernel", 9))\(pad("algo", 5)) \(pad("hidden", 10)) \(pad("mean", 7)) \(pad("median", 7)) \(pad("SB3 mean", 9)) \(pad("median", 7)) \(pad("ratio", 7)) \(pad("(means)", 8)) \(pad("target", 7))")
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
