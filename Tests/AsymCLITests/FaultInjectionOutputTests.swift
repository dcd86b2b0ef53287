import Foundation
import Testing
import Store

/// A result written nowhere is lost: a full or closed stdout is a failure
/// (exit 1, one line), never a silent exit 0.
@Suite("fault injection: standard output", .serialized)
struct FaultInjectionOutputTests {
    static let params = ["params", "--obs", "3", "--act", "1", "--actor", "4,4", "--baseline", "16,16"]

    @Test("stdout full (/dev/full) or closed: exit 1 with one line", arguments: [
        (["params", "--obs", "3", "--act", "1", "--actor", "4,4", "--baseline", "16,16"], ">/dev/full", "No space left on device"),
        (["params", "--obs", "3", "--act", "1", "--actor", "4,4"], ">&-", "standard output is closed"),
        (["env", "list"], ">/dev/full", "No space left on device"),
        (["env", "list"], ">&-", "standard output is closed"),
        (["train", "--algo", "sac", "--env", "Pendulum-v0", "--actor", "4", "--critic", "4", "--steps", "1", "--print-config"],
         ">/dev/full", "No space left on device"),
    ])
    func brokenStdout(arguments: [String], redirect: String, message: String) throws {
        let r = try run(arguments, shellRedirect: redirect)
        expectFailure(r, code: 1, message: message)
    }

    @Test("env replay into a full stdout fails")
    func replayFull() throws {
        let started = try startAsym(["env", "replay", "--env", "Pendulum-v0", "--input", "-"], shellRedirect: ">/dev/full",
                                    input: #"{"state": {"theta": 0, "thetadot": 0}, "actions": [[0]]}"#)
        expectFailure(finish(started), code: 1, message: "No space left on device")
    }

    /// The training is not wasted: the checkpoint is written before the summary
    /// fails to print, and stdout closed at start cannot capture the checkpoint's
    /// descriptor (the file would otherwise receive the JSON line).
    @Test("train with a broken stdout exits 1 and keeps its checkpoint", arguments: [">/dev/full", ">&-"])
    func trainBrokenStdout(redirect: String) throws {
        let dir = try scratchDirectory("stdout")
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("run.h5").path
        let r = try run(["train", "--algo", "td3", "--env", "Pendulum-v0", "--actor", "4", "--critic", "8", "--steps", "300",
                         "--set", "start_steps=100", "--set", "update_after=100", "--eval-episodes", "1",
                         "--checkpoint", checkpoint], shellRedirect: redirect)
        expectFailure(r, code: 1, message: redirect == ">&-" ? "standard output is closed" : "No space left on device")
        let state = try StateFile.read(checkpoint)
        #expect(state.integers["steps_done"] == [300])
    }
}
