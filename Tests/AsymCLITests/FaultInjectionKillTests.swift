import Foundation
import Testing

/// SIGKILL at seeded moments: after the k-th checkpoint plus a few
/// milliseconds (k and the delay drawn from a fixed seed, so every run of the
/// suite kills at the same kind of moment). Whatever the kill interrupts — a
/// step, an update, a checkpoint being written — resuming from the file left
/// behind ends with exactly the uninterrupted run's result.
@Suite("fault injection: SIGKILL and resume", .serialized)
struct FaultInjectionKillTests {
    struct Family: Sendable, CustomTestStringConvertible {
        let name: String
        let algorithms: [String]
        let steps: Int
        let checkpointEvery: Int
        let settings: [String]
        var testDescription: String { name }
        var checkpoints: Int { steps / checkpointEvery }
    }

    static let families = [
        Family(name: "off-policy (TD3, SAC)", algorithms: ["td3", "sac", "td3", "sac", "td3"], steps: 4000, checkpointEvery: 200,
               settings: ["--set", "start_steps=300", "--set", "update_after=300", "--set", "update_every=20",
                          "--set", "batch_size=32"]),
        Family(name: "on-policy (PPO, TRPO)", algorithms: ["ppo", "trpo", "ppo", "trpo", "ppo"], steps: 12288, checkpointEvery: 512,
               settings: ["--set", "n_steps=256", "--set", "n_envs=2"]),
    ]

    func arguments(_ algo: String, _ family: Family) -> [String] {
        ["train", "--algo", algo, "--env", "Pendulum-v0", "--actor", "8", "--critic", "16,16", "--steps", String(family.steps),
         "--seed", "11", "--eval-episodes", "2"] + family.settings
            + (algo == "ppo" ? ["--set", "batch_size=64", "--set", "n_epochs=2"] : [])
            + (algo == "trpo" ? ["--set", "train_v_iters=5"] : [])
    }

    @Test("five kills per family, each resumed to the identical result", arguments: families)
    func killAndResume(_ family: Family) throws {
        var moments = SeededMoments(state: family.name.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) })
        var reference: [String: String] = [:]
        for algo in Set(family.algorithms) {
            let r = try run(arguments(algo, family))
            #expect(r.status == 0, "\(r.stderr)")
            reference[algo] = resultPart(r.stdout)
        }
        var killedMidRun = 0
        for (i, algo) in family.algorithms.enumerated() {
            let dir = try scratchDirectory("kill")
            defer { try? FileManager.default.removeItem(at: dir) }
            let checkpoint = dir.appendingPathComponent("run.h5").path
            let args = arguments(algo, family)
            // The k-th checkpoint, k in the first half of the run, then 0–15 ms more.
            let k = 1 + moments.below(max(family.checkpoints / 2, 1))
            let extraMicroseconds = UInt32(moments.below(15_000))
            let started = try startAsym(args + ["--checkpoint", checkpoint, "--checkpoint-every", String(family.checkpointEvery)])
            let process = started.0
            var seen = 0, last: UInt64? = nil
            let deadline = Date().addingTimeInterval(60)
            while seen < k && process.isRunning && Date() < deadline {
                if let node = inode(checkpoint), node != last { seen += 1; last = node }
                usleep(500)
            }
            usleep(extraMicroseconds)
            kill(process.processIdentifier, SIGKILL)
            let killed = finish(started)
            if killed.signaled { killedMidRun += 1 }
            #expect(FileManager.default.fileExists(atPath: checkpoint), "kill \(i) (\(algo)): no checkpoint before the kill")
            let resumed = try run(args + ["--resume", checkpoint, "--checkpoint", checkpoint])
            #expect(resumed.status == 0, "kill \(i) (\(algo), after checkpoint \(k) + \(extraMicroseconds) µs): \(resumed.stderr)")
            #expect(resultPart(resumed.stdout) == reference[algo], "kill \(i) (\(algo)) resumed to a different result")
            #expect(resultPart(resumed.stdout).contains("\"steps\":\(family.steps)"))
        }
        // A kill that lands after the run finished tests nothing: nearly all must land mid-run.
        #expect(killedMidRun >= 4, "only \(killedMidRun) of 5 kills landed before the run ended")
    }
}
