import Foundation
import Testing

@Suite("asym train (on-policy)", .serialized)
struct TrainOnPolicyTests {
    /// The JSON line on stdout as a dictionary.
    func onPolicySummary(_ stdout: String) throws -> [String: Any] {
        let line = stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// Small rollouts so a run of a few hundred steps updates several times.
    static let quick = ["--set", "n_steps=64", "--set", "n_envs=2", "--eval-episodes", "2"]

    @Test("prints one JSON line with the run's fields", arguments: ["ppo", "trpo"])
    func jsonLine(algo: String) throws {
        let (status, stdout, stderr) = try runAsym(["train", "--algo", algo, "--env", "ToyTracking-v0", "--actor", "",
                                                    "--critic", "16,16", "--steps", "400", "--seed", "3"] + Self.quick)
        #expect(status == 0, "\(stderr)")
        let json = try onPolicySummary(stdout)
        #expect(json["algo"] as? String == algo)
        #expect((json["actor"] as? [Int]) == [])
        #expect(json["steps"] as? Int == 400)
        #expect(json["eval_return_mean"] is Double || json["eval_return_mean"] is Int)
    }

    @Test("a bad value exits 2 with one line naming the key")
    func badValue() throws {
        let (status, stdout, stderr) = try runAsym(["train", "--algo", "ppo", "--env", "Pendulum-v1", "--actor", "4",
                                                    "--critic", "4", "--steps", "10", "--set", "value_target=bogus"])
        #expect(status == 2)
        #expect(stdout.isEmpty)
        #expect(stderr.contains("'value_target'"), "\(stderr)")
        #expect(stderr.split(separator: "\n").count == 1)
    }

    @Test("kill and resume mid-rollout: --steps k --checkpoint F, then --resume F --checkpoint F equals --steps N",
          arguments: [("ppo", "Pendulum-v1"), ("trpo", "Acrobot-v1")])
    func resume(algo: String, env: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("asym-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ckpt = dir.appendingPathComponent("run.ckpt").path, full = dir.appendingPathComponent("full.ckpt").path
        let base = ["train", "--algo", algo, "--env", env, "--actor", "8", "--critic", "16,16", "--seed", "5"] + Self.quick
        let straight = try runAsym(base + ["--steps", "600", "--checkpoint", full])
        #expect(straight.status == 0, "\(straight.stderr)")
        // 2 envs × 64 steps per rollout: 338 is mid-rollout; checkpoints every 100 (a multiple of n_envs).
        let first = try runAsym(base + ["--steps", "338", "--checkpoint", ckpt, "--checkpoint-every", "100"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try runAsym(base + ["--steps", "600", "--resume", ckpt, "--checkpoint", ckpt])
        #expect(second.status == 0, "\(second.stderr)")
        var a = try onPolicySummary(straight.stdout), b = try onPolicySummary(second.stdout)
        a["steps_per_second"] = nil; b["steps_per_second"] = nil
        #expect(NSDictionary(dictionary: a).isEqual(to: b), "\(a) vs \(b)")
        // The final states are the same bytes.
        #expect(FileManager.default.contentsEqual(atPath: full, andPath: ckpt))
    }
}
