import Foundation
import Testing
import Store

/// `asym run` end to end on the smoke pipeline: interrupted sweeps resume and
/// end where uninterrupted ones do; failures are reported and contained.
@Suite("asym run", .serialized)
struct PipelineRunTests {
    let smoke = repositoryRoot().appendingPathComponent("pipelines/smoke.yaml").path

    @Test("the smoke pipeline, SIGKILLed mid-run and run again, ends with the keys and datasets of an uninterrupted run; a third run computes nothing")
    func killedCoordinatorResumes() throws {
        let dir = try scratchDirectory("pipeline-kill")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (a, b) = (dir.appendingPathComponent("a").path, dir.appendingPathComponent("b").path)
        let base = ["--report-base", dir.path, "--jobs", "2"]

        let uninterrupted = try runAsym(["run", smoke, "--store", a] + base)
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")

        // Crash the whole run (coordinator and workers, as a lost machine would)
        // while a checkpoint of an unfinished node is on disk. The processes are
        // frozen first, so that no worker can finish and remove its checkpoint
        // between our look and the kill; if one did, thaw and look again.
        let process = Process()
        process.executableURL = asymBinary()
        process.arguments = ["run", smoke, "--store", b] + base
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let partial = b + "/partial"
        func checkpointOnDisk() -> Bool {
            (try? FileManager.default.contentsOfDirectory(atPath: partial))?.contains { $0.hasSuffix(".h5") } == true
        }
        let deadline = Date().addingTimeInterval(120)
        var frozen: [pid_t] = []
        while process.isRunning && Date() < deadline {
            if checkpointOnDisk() {
                frozen = [process.processIdentifier] + childProcesses(of: process.processIdentifier)
                for pid in frozen { kill(pid, SIGSTOP) }
                if checkpointOnDisk() { break }
                for pid in frozen { kill(pid, SIGCONT) }
                frozen = []
            }
            usleep(2_000)
        }
        #expect(!frozen.isEmpty, "the run finished before it could be killed")
        for pid in frozen { kill(pid, SIGKILL) }
        process.waitUntilExit()
        let status = try runAsym(["status", smoke, "--store", b])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("partial") || status.stdout.contains("pending"), "\(status.stdout)")

        let resumed = try runAsym(["run", smoke, "--store", b] + base)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: b + "/logs")) ?? []
        let resumedSomething = try logs.contains { try String(contentsOfFile: b + "/logs/" + $0, encoding: .utf8).contains("resuming key") }
        #expect(resumedSomething, "no worker resumed from a checkpoint")

        let (da, db) = (try storeDatasets(a), try storeDatasets(b))
        #expect(Set(da.keys) == Set(db.keys))
        #expect(!da.isEmpty)
        for key in da.keys { #expect(da[key] == db[key], "object \(key.prefix(12)) differs") }

        let third = try runAsym(["run", smoke, "--store", b] + base)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stdout.contains("nothing to compute"), "\(third.stdout)")
        let after = try runAsym(["status", smoke, "--store", b, "--summary", "--report-base", dir.path])
        #expect(!after.stdout.contains("partial") && !after.stdout.contains("pending"), "\(after.stdout)")
    }

    @Test("workers whose coordinator is SIGKILLed checkpoint and stop by themselves")
    func orphanedWorkersCheckpoint() throws {
        let dir = try scratchDirectory("pipeline-orphan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("long.yaml").path
        // Long enough (minutes) that the worker is surely mid-training when the coordinator dies.
        try """
        name: long
        defaults: {algorithm: td3, environment: ToyTracking-v0, steps: 2000000, eval_episodes: 1}
        stages:
          train: {kind: train, actor: [1], critic: [16, 16]}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("store").path
        let process = Process()
        process.executableURL = asymBinary()
        process.arguments = ["run", file, "--store", store, "--report-base", dir.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var workers: [pid_t] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && (workers.isEmpty || ((try? FileManager.default.contentsOfDirectory(atPath: store + "/progress")) ?? []).isEmpty) {
            workers = childProcesses(of: process.processIdentifier)
            usleep(20_000)
        }
        #expect(!workers.isEmpty, "no worker started")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // The worker watches its parent twice a second; give it ten seconds to checkpoint and go.
        let quiet = Date().addingTimeInterval(10)
        while Date() < quiet && workers.contains(where: { kill($0, 0) == 0 && !isZombie($0) }) { usleep(50_000) }
        let alive = workers.filter { kill($0, 0) == 0 && !isZombie($0) }
        for pid in alive { kill(pid, SIGKILL) }
        #expect(alive.isEmpty, "a worker outlived its coordinator by 10 s")
        let status = try runAsym(["status", file, "--store", store])
        #expect(status.stdout.contains("partial"), "\(status.stdout)")
    }

    @Test("a failing node is retried once, reported with its log path; its dependants are skipped and the rest goes on")
    func failuresAreContained() throws {
        let dir = try scratchDirectory("pipeline-fail")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try writeFailingPipeline(in: dir)
        let store = dir.appendingPathComponent("store").path
        let r = try runAsym(["run", file, "--store", store, "--report-base", dir.path])
        #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("failed broken/td3-Pendulum-v0-a4-c4-s0"), "\(r.stderr)")
        #expect(r.stderr.contains("/logs/") && r.stderr.contains(".log"), "\(r.stderr)")
        #expect(r.stderr.contains("skipped evaluate/broken/td3-Pendulum-v0-a4-c4-s0"), "\(r.stderr)")
        #expect(r.stdout.contains("1 computed"), "\(r.stdout)")   // the good node
        let status = try runAsym(["status", file, "--store", store])
        #expect(status.stdout.contains("cached   good/"), "\(status.stdout)")
        #expect(status.stdout.contains("failed   broken/"), "\(status.stdout)")
    }

    @Test("a changed budget makes a node stale, and status says steps old → new")
    func staleSaysWhy() throws {
        let dir = try scratchDirectory("pipeline-stale")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("one.yaml").path
        func write(steps: Int) throws {
            try """
            name: one
            defaults: {algorithm: td3, environment: Pendulum-v0, steps: \(steps), eval_episodes: 1,
                       set: {start_steps: 100, update_after: 100}}
            stages:
              train: {kind: train, actor: [4], critic: [4]}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        }
        let store = dir.appendingPathComponent("store").path
        try write(steps: 300)
        #expect(try runAsym(["run", file, "--store", store, "--report-base", dir.path]).status == 0)
        try write(steps: 400)
        let status = try runAsym(["status", file, "--store", store])
        #expect(status.stdout.contains("stale"), "\(status.stdout)")
        #expect(status.stdout.contains("steps 300 → 400"), "\(status.stdout)")
        let dry = try runAsym(["run", file, "--store", store, "--dry-run"])
        #expect(dry.stdout.contains("1 of 1 nodes would run"), "\(dry.stdout)")
    }

    @Test("a malformed pipeline is refused with FILE:LINE:COLUMN before anything runs, and the store stays untouched")
    func malformedPipelineTouchesNothing() throws {
        let dir = try scratchDirectory("pipeline-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.yaml").path
        try "name: bad\nstages:\n  t:\n    kind: train\n    algorithm: tdd3\n".write(toFile: file, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("store").path
        let r = try runAsym(["run", file, "--store", store])
        #expect(r.status == 2)
        #expect(r.stderr.contains("bad.yaml:5:"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store))
    }
}

/// The processes whose parent is `pid` (from /proc).
func childProcesses(of pid: pid_t) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { name -> pid_t? in
        guard let child = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": state, then the parent's pid.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 && pid_t(fields[1]) == pid ? child : nil
    }
}

/// A process that has exited but not been reaped (its parent died and init has not yet waited).
func isZombie(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
    return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
}

func repositoryRoot() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// Every object's datasets in a store, by key (attributes hold dates and wall
/// times; datasets are results, which must match bit for bit).
func storeDatasets(_ store: String) throws -> [String: [String: ShapedArray]] {
    let s = ArtifactStore(root: store)
    var out: [String: [String: ShapedArray]] = [:]
    for key in s.objectKeys() { out[key] = try Artifact.read(s.objectPath(key)).arrays }
    return out
}

/// A pipeline with a good train node, a broken one (TD3 at learning rate 1e30
/// diverges by step ~200) and an evaluate node that needs the broken one.
func writeFailingPipeline(in dir: URL) throws -> String {
    let file = dir.appendingPathComponent("fail.yaml").path
    try """
    name: fail
    defaults:
      algorithm: td3
      environment: Pendulum-v0
      steps: 600
      eval_episodes: 1
      set: {start_steps: 100, update_after: 100}
    stages:
      good:
        kind: train
        actor: [4]
        critic: [4]
      broken:
        kind: train
        actor: [4]
        critic: [4]
        set: {pi_lr: 1.0e+30, q_lr: 1.0e+30}
      evaluate:
        kind: evaluate
        needs: [broken]
    """.write(toFile: file, atomically: true, encoding: .utf8)
    return file
}
