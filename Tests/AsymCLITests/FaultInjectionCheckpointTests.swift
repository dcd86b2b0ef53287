import Foundation
import Testing
import Nets
import Store

/// Trick checkpoints: files with a valid checksum whose content no run
/// produces (negative or inconsistent counters, an all-zero generator, wrong
/// shapes, another run's settings, more steps than the budget). Each is
/// refused on load with exit 2 and one line naming the entry; none hangs.
@Suite("fault injection: trick checkpoints", .serialized)
struct FaultInjectionCheckpointTests {
    static let offPolicy = ["train", "--algo", "td3", "--env", "Pendulum-v0", "--actor", "4", "--critic", "8", "--seed", "2",
                            "--set", "start_steps=100", "--set", "update_after=100", "--set", "batch_size=16", "--eval-episodes", "1"]
    static let onPolicy = ["train", "--algo", "ppo", "--env", "Pendulum-v0", "--actor", "4", "--critic", "16", "--seed", "2",
                           "--set", "n_steps=64", "--set", "n_envs=2", "--set", "n_epochs=1", "--eval-episodes", "1"]

    struct Trick: Sendable, CustomTestStringConvertible {
        let name: String
        let onPolicy: Bool
        let edit: @Sendable (inout StateDict) -> Void
        let message: String
        var testDescription: String { name }
    }

    static let tricks: [Trick] = [
        Trick(name: "negative steps_done", onPolicy: false, edit: { $0.integers["steps_done"] = [-5] },
              message: "'steps_done' is -5; counts are never negative"),
        Trick(name: "steps_done disagrees with the replay buffer", onPolicy: false, edit: { $0.integers["steps_done"] = [7] },
              message: "7 steps_done but 300 transitions stored"),
        Trick(name: "negative episode count", onPolicy: false, edit: { $0.integers["episodes"] = [-1] },
              message: "'episodes' is -1"),
        Trick(name: "replay count beyond capacity", onPolicy: false, edit: { $0.integers["replay/count"] = [Int64.max] },
              message: "replay count 9223372036854775807 outside"),
        Trick(name: "all-zero replay generator", onPolicy: false, edit: { $0.words["rng/replay"] = [0, 0, 0, 0] },
              message: "generator state 'rng/replay' is all zeros"),
        Trick(name: "all-zero environment generator", onPolicy: false, edit: { $0.words["env/rng"] = [0, 0, 0, 0] },
              message: "generator state 'env/rng' is all zeros"),
        Trick(name: "generator of three words", onPolicy: false, edit: { $0.words["rng/act"] = [1, 2, 3] },
              message: "'rng/act' has 3 values, expected 4"),
        Trick(name: "actor weights of the wrong shape", onPolicy: false, edit: { s in
                  let name = s.floats.keys.sorted().first { $0.hasPrefix("learner/") && $0.contains("actor") }!
                  s.floats[name]!.removeLast()
              }, message: "values, expected"),
        Trick(name: "on-policy steps disagree with updates", onPolicy: true, edit: { $0.integers["counters/steps"] = [1000] },
              message: "1000 steps but"),
        Trick(name: "negative on-policy updates", onPolicy: true, edit: { $0.integers["learner/counters/updates"] = [-1] },
              message: "'counters/updates' is -1"),
        Trick(name: "all-zero shuffle generator", onPolicy: true, edit: { $0.words["learner/rng/shuffle"] = [0, 0, 0, 0] },
              message: "generator state 'rng/shuffle' is all zeros"),
        Trick(name: "policy weights of the wrong shape", onPolicy: true, edit: { $0.floats["learner/weights/policy"]!.append(0) },
              message: "'weights/policy' has"),
    ]

    /// A real checkpoint of 300 (off-policy) or 256 (on-policy) steps in `dir`.
    func makeCheckpoint(onPolicy: Bool, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent(onPolicy ? "ppo.h5" : "td3.h5").path
        let r = try run((onPolicy ? Self.onPolicy : Self.offPolicy) + ["--steps", onPolicy ? "256" : "300", "--checkpoint", path])
        #expect(r.status == 0, "\(r.stderr)")
        return path
    }

    @Test("refused on load with one line naming the entry", arguments: tricks)
    func trick(_ trick: Trick) throws {
        let dir = try scratchDirectory("trick")
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try makeCheckpoint(onPolicy: trick.onPolicy, in: dir)
        var state = try StateFile.read(good)
        trick.edit(&state)
        let bad = dir.appendingPathComponent("trick.h5").path
        try StateFile.write(state, to: bad)   // a valid checksum over the edited content
        let r = try run((trick.onPolicy ? Self.onPolicy : Self.offPolicy) + ["--steps", "600", "--resume", bad], timeout: 30)
        expectFailure(r, code: 2, message: trick.message)
    }

    @Test("a checkpoint with more steps than --steps is an error naming both")
    func budget() throws {
        let dir = try scratchDirectory("budget")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try makeCheckpoint(onPolicy: false, in: dir)
        let r = try run(Self.offPolicy + ["--steps", "100", "--resume", path])
        expectFailure(r, code: 2, message: "the checkpoint has already trained 300 steps, more than --steps 100")
    }

    @Test("another run's checkpoint: a short message naming the differing fields", arguments: [
        (["--critic", "32"], "spec differs: criticHidden [16] (checkpoint) vs [32] (this run)"),
        (["--set", "gamma=0.9"], "config differs: gamma 0.99 (checkpoint) vs 0.9 (this run)"),
    ])
    func mismatch(change: [String], message: String) throws {
        let dir = try scratchDirectory("mismatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try makeCheckpoint(onPolicy: true, in: dir)
        let r = try run(Self.onPolicy + change + ["--steps", "512", "--resume", path])
        expectFailure(r, code: 2, message: message)
        #expect(r.stderr.count < 200, "\(r.stderr.count) characters: \(r.stderr)")
    }
}
