import Foundation
import Testing

@Suite("asym train survives SIGKILL", .serialized)
struct KillResumeTests {
    /// The summary line without its wall-clock field.
    func deterministicPart(_ stdout: String) -> String {
        let line = stdout.split(separator: "\n").last.map(String.init) ?? ""
        return line.replacingOccurrences(of: #","steps_per_second":[0-9.e+-]+"#, with: "", options: .regularExpression)
    }

    @Test("a run killed after a checkpoint resumes from it and ends bit for bit like an uninterrupted one",
          arguments: ["sac", "ppo"])
    func killAndResume(algo: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("asym-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("run.h5").path
        let steps = algo == "ppo" ? "60000" : "6000"
        let args = ["train", "--algo", algo, "--env", "Pendulum-v1", "--actor", "8", "--critic", "32,32",
                    "--steps", steps, "--seed", "7", "--eval-episodes", "3"]
            + (algo == "ppo" ? ["--preset", "zoo", "--set", "n_envs=1"] : ["--set", "start_steps=500", "--set", "update_after=500"])

        let uninterrupted = try runAsym(args)
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")

        // Start the same run with checkpoints, and kill it as soon as the first one exists.
        let process = Process()
        process.executableURL = asymBinary()
        process.arguments = args + ["--checkpoint", checkpoint, "--checkpoint-every", algo == "ppo" ? "4096" : "500"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint) && process.isRunning && Date() < deadline {
            usleep(2_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // The first checkpoint comes at a tenth of the run or less: the kill lands mid-run.
        #expect(process.terminationReason == .uncaughtSignal, "the run finished before it could be killed")
        #expect(FileManager.default.fileExists(atPath: checkpoint), "no checkpoint was written before the kill")
        // No half-written temporary is ever taken for the checkpoint: whatever is there reads back whole.
        let resumed = try runAsym(args + ["--resume", checkpoint, "--checkpoint", checkpoint])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(deterministicPart(resumed.stdout) == deterministicPart(uninterrupted.stdout))
        #expect(!deterministicPart(resumed.stdout).isEmpty)
    }
}
