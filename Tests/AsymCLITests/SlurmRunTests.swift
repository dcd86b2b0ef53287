import Foundation
import Testing
import Store

/// The test cluster of Tests/slurm (start-cluster.sh), found through the
/// environment its `env` file sets; nil when it answers, else why not.
enum SlurmTestCluster {
    static let unavailable: String? = {
        let env = ProcessInfo.processInfo.environment
        guard let state = env["ASYM_SLURM_STATE"], env["SLURM_CONF"] != nil else {
            return "ASYM_SLURM_STATE and SLURM_CONF are unset: no test cluster "
                + "(state=$(Tests/slurm/start-cluster.sh) && . $state/env, as .ci/run does)"
        }
        guard let r = try? slurm("sinfo", ["-h", "-o", "%T"]), r.status == 0 else {
            return "sinfo fails against the cluster in \(state): is it still up?"
        }
        return nil
    }()
    /// Says once, on stderr, why the suite is skipped.
    static let available: Bool = {
        if let why = unavailable { FileHandle.standardError.write(Data("SlurmRunTests skipped: \(why)\n".utf8)) }
        return unavailable == nil
    }()

    static func slurm(_ tool: String, _ args: [String]) throws -> (status: Int32, stdout: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The tail `asym run` gives the names of the jobs of one store (README: "asym-KEY16-STORE8").
    static func suffix(ofStore store: String) -> String { "-" + ArtifactKey.sha256(Array(store.utf8)).prefix(8) }

    /// sacct's record of every job of this store that was ever submitted: name → count.
    /// sacct may lag the queue by a moment, so it is asked again until it knows
    /// every job that started (each writes "asym: Slurm job N on HOST" to its log).
    static func submissions(store: String) throws -> [String: Int] {
        let started = jobsInLogs(store: store)
        let deadline = Date().addingTimeInterval(30)
        while true {
            let r = try slurm("sacct", ["-X", "-n", "-P", "-o", "JobID,JobName", "-S", "2000-01-01"])
            var counts: [String: Int] = [:], ids = Set<String>()
            for line in r.stdout.split(separator: "\n") {
                let f = line.split(separator: "|").map(String.init)
                guard f.count == 2, f[1].hasPrefix("asym-"), f[1].hasSuffix(suffix(ofStore: store)) else { continue }
                counts[f[1], default: 0] += 1
                ids.insert(f[0])
            }
            if started.isSubset(of: ids) || Date() > deadline { return counts }
            usleep(200_000)
        }
    }

    /// The ids of the jobs that started, from the store's Slurm logs.
    static func jobsInLogs(store: String) -> Set<String> {
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: store + "/logs")) ?? []
        var ids = Set<String>()
        for name in logs where name.hasSuffix(".slurm.log") {
            let text = (try? String(contentsOfFile: store + "/logs/" + name, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.hasPrefix("asym: Slurm job ") {
                if let id = line.dropFirst("asym: Slurm job ".count).split(separator: " ").first { ids.insert(String(id)) }
            }
        }
        return ids
    }

    /// The queued or running jobs of this store: (id, name).
    static func live(store: String) throws -> [(id: String, name: String)] {
        let r = try slurm("squeue", ["--me", "-h", "-o", "%i|%j"])
        return r.stdout.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|").map(String.init)
            return f.count == 2 && f[1].hasSuffix(suffix(ofStore: store)) ? (f[0], f[1]) : nil
        }
    }
}

/// `asym run --executor slurm` on the real single-node cluster of Tests/slurm:
/// the results are the local executor's, a coordinator may die and come back,
/// failed jobs are reported, cancelled ones resume.
@Suite("asym run --executor slurm", .serialized, .enabled(if: SlurmTestCluster.available, "no Slurm test cluster (see Tests/slurm/README.md)"))
struct SlurmRunTests {
    let smoke = repositoryRoot().appendingPathComponent("pipelines/smoke.yaml").path

    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = asymBinary()
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test("the smoke pipeline as Slurm jobs ends with the local executor's keys and datasets; a coordinator SIGKILLed mid-run and run again waits for its queued jobs and submits none twice")
    func smokeMatchesLocalAndReattaches() throws {
        let dir = try scratchDirectory("slurm-smoke")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (a, b) = (dir.appendingPathComponent("a").path, dir.appendingPathComponent("b").path)
        let local = try runAsym(["run", smoke, "--store", a, "--report-base", a, "--jobs", "2"])
        #expect(local.status == 0, "\(local.stderr)")

        let slurm = ["run", smoke, "--store", b, "--report-base", b, "--executor", "slurm"]
        let first = try start(slurm)
        // Kill the coordinator while several of its jobs are in the queue (2 CPUs: most wait).
        let deadline = Date().addingTimeInterval(120)
        while first.isRunning && Date() < deadline, try SlurmTestCluster.live(store: b).count < 3 { usleep(20_000) }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal, "the run finished before it could be killed")
        let queuedAtKill = Set(try SlurmTestCluster.live(store: b).map(\.name))
        #expect(!queuedAtKill.isEmpty, "no job of the killed run was left in the queue")

        let again = try runAsym(slurm)
        #expect(again.status == 0, "\(again.stderr)")
        let submitted = try SlurmTestCluster.submissions(store: b)
        #expect(!submitted.isEmpty)
        for (name, count) in submitted { #expect(count == 1, "\(name) was submitted \(count) times") }
        #expect(queuedAtKill.isSubset(of: Set(submitted.keys)))

        let (da, db) = (try storeDatasets(a), try storeDatasets(b))
        #expect(!da.isEmpty)
        #expect(Set(da.keys) == Set(db.keys))
        for key in da.keys { #expect(da[key] == db[key], "object \(key.prefix(12)) differs") }

        let third = try runAsym(slurm)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stdout.contains("nothing to compute"), "\(third.stdout)")
        #expect(try SlurmTestCluster.submissions(store: b) == submitted)
    }

    @Test("a failed job is reported with its Slurm log and state, retried once; its dependants are never submitted")
    func failedJobIsReported() throws {
        let dir = try scratchDirectory("slurm-fail")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try writeFailingPipeline(in: dir)
        let store = dir.appendingPathComponent("store").path
        let r = try runAsym(["run", file, "--store", store, "--report-base", dir.path, "--executor", "slurm"])
        #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("1 computed"), "\(r.stdout)")
        let failure = r.stderr.split(separator: "\n").first { $0.contains("failed broken/td3-Pendulum-v0-a4-c4-s0:") }.map(String.init) ?? ""
        #expect(failure.contains("Slurm job") && failure.contains("FAILED"), "\(r.stderr)")
        let log = failure.range(of: "(log: ").map { String(failure[$0.upperBound...].dropLast()) } ?? ""
        #expect(log.hasPrefix(store + "/logs/") && log.hasSuffix(".slurm.log"), "\(failure)")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text.contains("asym exec: broken/"), "\(log): \(text)")
        #expect(r.stderr.contains("skipped evaluate/broken/td3-Pendulum-v0-a4-c4-s0"), "\(r.stderr)")
        // good once, broken twice (the retry); the evaluate node never reached the queue.
        let submitted = try SlurmTestCluster.submissions(store: store)
        #expect(submitted.values.sorted() == [1, 2], "\(submitted)")
    }

    @Test("a job cancelled with scancel mid-training checkpoints; the next asym run resubmits it, it resumes, and ends with the bytes of an uninterrupted local run")
    func cancelledJobResumes() throws {
        let dir = try scratchDirectory("slurm-cancel")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("one.yaml").path
        try """
        name: one
        defaults: {algorithm: td3, environment: Pendulum-v0, steps: 40000, eval_episodes: 1, numerics: portable,
                   set: {start_steps: 100, update_after: 100}}
        stages:
          train: {kind: train, actor: [32, 32], critic: [32, 32]}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let (a, b) = (dir.appendingPathComponent("a").path, dir.appendingPathComponent("b").path)
        let slurm = ["run", file, "--store", b, "--report-base", dir.path, "--executor", "slurm"]

        let first = Process()
        first.executableURL = asymBinary()
        first.arguments = slurm
        let err = Pipe()
        first.standardOutput = FileHandle.nullDevice
        first.standardError = err
        try first.run()
        // Cancel once the job trains (its progress file appears).
        let deadline = Date().addingTimeInterval(120)
        while first.isRunning && Date() < deadline
                && ((try? FileManager.default.contentsOfDirectory(atPath: b + "/progress"))?.contains { $0.hasSuffix(".json") } != true) {
            usleep(20_000)
        }
        let jobs = try SlurmTestCluster.live(store: b)
        #expect(jobs.count == 1, "\(jobs)")
        for job in jobs { _ = try SlurmTestCluster.slurm("scancel", [job.id]) }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        first.waitUntilExit()
        #expect(first.terminationStatus == 1, "\(stderr)")
        #expect(stderr.contains("CANCELLED") && stderr.contains("does not resubmit") && stderr.contains(".slurm.log"), "\(stderr)")
        let partial = (try? FileManager.default.contentsOfDirectory(atPath: b + "/partial")) ?? []
        #expect(partial.contains { $0.hasSuffix(".h5") }, "no checkpoint after scancel")

        let again = try runAsym(slurm)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("1 computed"), "\(again.stdout)")
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: b + "/logs")) ?? []
        let resumed = try logs.contains { try String(contentsOfFile: b + "/logs/" + $0, encoding: .utf8).contains("resuming key") }
        #expect(resumed, "the resubmitted job did not resume from the checkpoint")
        #expect(try SlurmTestCluster.submissions(store: b).values.sorted() == [2])

        let local = try runAsym(["run", file, "--store", a, "--report-base", dir.path])
        #expect(local.status == 0, "\(local.stderr)")
        let (da, db) = (try storeDatasets(a), try storeDatasets(b))
        #expect(!da.isEmpty && Set(da.keys) == Set(db.keys))
        for key in da.keys { #expect(da[key] == db[key], "object \(key.prefix(12)) differs") }
    }
}
