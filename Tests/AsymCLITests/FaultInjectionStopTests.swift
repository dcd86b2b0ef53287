import Foundation
import Testing
import Nets
import Store
@testable import asym

/// Runs that must stop early: a diverged run (exit 1, the last good checkpoint
/// kept, never a success) and SIGINT/SIGTERM (checkpoint the current step,
/// say where, exit 130/143; resuming gives the uninterrupted result).
@Suite("fault injection: divergence and signals", .serialized)
struct FaultInjectionStopTests {
    static let td3 = ["train", "--algo", "td3", "--env", "Pendulum-v0", "--actor", "8", "--critic", "16", "--seed", "4",
                      "--set", "start_steps=200", "--set", "update_after=200", "--set", "log_every=100", "--eval-episodes", "2"]

    @Test("a diverged run names the step and quantity, keeps the last good checkpoint, exits 1", arguments: [
        (["--algo", "td3", "--set", "q_lr=1e30"], "training diverged at step 200: loss/critic is"),
        (["--algo", "sac", "--set", "lr=1e30"], "training diverged at step 200: loss/critic is"),
        (["--algo", "ddpg", "--set", "q_lr=1e30", "--eval-episodes", "0"], "training diverged at step 200: loss/critic is"),
    ])
    func divergence(change: [String], message: String) throws {
        let dir = try scratchDirectory("diverge")
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("run.h5").path
        let r = try run(Self.td3 + change + ["--steps", "3000", "--checkpoint", checkpoint, "--checkpoint-every", "100"])
        expectFailure(r, code: 1, message: message)
        #expect(r.stderr.contains("the last good checkpoint, \(checkpoint) (step 100), is kept"), "\(r.stderr)")
        // The checkpoint is the last one before the divergence, whole and finite.
        let state = try StateFile.read(checkpoint)
        #expect(state.integers["steps_done"] == [100])
        #expect(state.floats.values.allSatisfy { $0.allSatisfy(\.isFinite) })
    }

    @Test("an on-policy run that diverges exits 1 without a result")
    func onPolicyDivergence() throws {
        let r = try run(["train", "--algo", "ppo", "--env", "Pendulum-v0", "--actor", "8", "--critic", "16", "--steps", "3000",
                         "--set", "learning_rate=1e30", "--set", "n_steps=64"])
        expectFailure(r, code: 1, message: "training diverged at step 128: loss/policy is")
    }

    @Test("--eval-episodes 0 reports no evaluation, not a measured 0")
    func noEvaluation() throws {
        let r = try run(Self.td3 + ["--steps", "300", "--eval-episodes", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""eval_return_mean":null,"eval_return_std":null"#), "\(r.stdout)")
    }

    @Test("the progress line prints non-finite and huge values as themselves")
    func progressFormatting() {
        #expect(formatFixed(.nan, digits: 1) == "nan")
        #expect(formatFixed(-.infinity, digits: 1) == "-inf")
        #expect(formatFixed(.infinity, digits: 0) == "inf")
        #expect(formatFixed(-1e300, digits: 1) == "-1e+300")
        #expect(formatFixed(-1457.74, digits: 1) == "-1457.7")
    }

    @Test("SIGINT and SIGTERM: checkpoint the current step, say where, exit 128 + signal; resume ends identically",
          arguments: [SIGINT, SIGTERM])
    func stopSignal(_ signal: Int32) throws {
        let dir = try scratchDirectory("signal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("run.h5").path
        let reference = try run(Self.td3 + ["--steps", "8000"])
        #expect(reference.status == 0, "\(reference.stderr)")
        // A budget the run never reaches; the signal comes right after the first checkpoint.
        let started = try startAsym(Self.td3 + ["--steps", "10000000", "--checkpoint", checkpoint, "--checkpoint-every", "500"])
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint) && started.0.isRunning && Date() < deadline { usleep(1_000) }
        kill(started.0.processIdentifier, signal)
        let r = finish(started)
        expectFailure(r, code: 128 + signal, message: "checkpoint saved to \(checkpoint) (continue with --resume \(checkpoint))")
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        let stoppedAt = try #require(r.stderr.firstMatch(of: try Regex("stopped by \(name) after step ([0-9]+)"))?
            .output[1].substring.flatMap { Int($0) })
        let state = try StateFile.read(checkpoint)
        #expect(state.integers["steps_done"] == [Int64(stoppedAt)])
        #expect(stoppedAt < 8000, "the signal came too late to test resuming")
        let resumed = try run(Self.td3 + ["--steps", "8000", "--resume", checkpoint])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resultPart(resumed.stdout) == resultPart(reference.stdout))
    }

    @Test("SIGTERM with --no-store and without --checkpoint says so and exits 143")
    func stopWithoutCheckpoint() throws {
        let started = try startAsym(Self.td3 + ["--steps", "10000000", "--no-store"])
        usleep(1_500_000)   // past start-up, so the handler is installed (a default SIGTERM would kill: a test failure below)
        kill(started.0.processIdentifier, SIGTERM)
        let r = finish(started)
        expectFailure(r, code: 143, message: "no checkpoint was asked for")
    }

    @Test("SIGTERM of a run through the store saves its partial checkpoint, says how to go on, exits 143")
    func stopThroughTheStore() throws {
        let started = try startAsym(Self.td3 + ["--steps", "10000000"])
        usleep(1_500_000)
        kill(started.0.processIdentifier, SIGTERM)
        let r = finish(started)
        expectFailure(r, code: 143, message: "(continue with the same command)")
        #expect(r.stderr.contains("/partial/"), "\(r.stderr)")
    }
}
