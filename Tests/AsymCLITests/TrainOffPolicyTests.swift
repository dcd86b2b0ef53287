import Foundation
import Testing

@Suite("asym train (off-policy)", .serialized)
struct TrainOffPolicyTests {
    /// The JSON line on stdout as a dictionary.
    func summary(_ stdout: String) throws -> [String: Any] {
        let line = stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    static let quick = ["--set", "start_steps=100", "--set", "update_after=100", "--set", "update_every=10",
                        "--set", "batch_size=32", "--eval-episodes", "2"]

    @Test("prints one JSON line with the run's fields", arguments: ["ddpg", "td3", "sac"])
    func jsonLine(algo: String) throws {
        let (status, stdout, stderr) = try runAsym(["train", "--algo", algo, "--env", "ToyTracking-v0", "--actor", "",
                                                    "--critic", "16,16", "--steps", "400", "--seed", "3"] + Self.quick)
        #expect(status == 0, "\(stderr)")
        let json = try summary(stdout)
        #expect(json["algo"] as? String == algo)
        #expect(json["env"] as? String == "ToyTracking-v0")
        #expect((json["actor"] as? [Int]) == [])
        #expect((json["critic"] as? [Int]) == [16, 16])
        #expect(json["seed"] as? Int == 3)
        #expect(json["steps"] as? Int == 400)
        #expect(json["eval_return_mean"] is Double || json["eval_return_mean"] is Int)
        #expect(json["eval_return_std"] != nil)
        #expect((json["steps_per_second"] as? Double ?? 0) > 0)
    }

    @Test("an unknown --set key exits 2 with one line naming it")
    func unknownKey() throws {
        let (status, stdout, stderr) = try runAsym(["train", "--algo", "td3", "--env", "Pendulum-v0", "--actor", "4",
                                                    "--critic", "4", "--steps", "10", "--set", "gama=0.9"])
        #expect(status == 2)
        #expect(stdout.isEmpty)
        #expect(stderr.contains("'gama'"), "\(stderr)")
        #expect(stderr.split(separator: "\n").count == 1)
    }

    @Test("kill and resume: --steps k --checkpoint F, then --resume F --steps N equals --steps N",
          arguments: [("sac", "Pendulum-v0"), ("td3", "Pendulum-v0"), ("sac", "Acrobot-v1")])
    func resume(algo: String, env: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("asym-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ckpt = dir.appendingPathComponent("run.ckpt").path
        let base = ["train", "--algo", algo, "--env", env, "--actor", "8", "--critic", "16,16", "--seed", "5"] + Self.quick
        let straight = try runAsym(base + ["--steps", "600"])
        #expect(straight.status == 0, "\(straight.stderr)")
        let first = try runAsym(base + ["--steps", "337", "--checkpoint", ckpt, "--checkpoint-every", "100"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try runAsym(base + ["--steps", "600", "--resume", ckpt])
        #expect(second.status == 0, "\(second.stderr)")
        var a = try summary(straight.stdout), b = try summary(second.stdout)
        a["steps_per_second"] = nil; b["steps_per_second"] = nil
        #expect(NSDictionary(dictionary: a).isEqual(to: b), "\(a) vs \(b)")
    }
}
