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
        let r = try runProgram(tool, args)
        return (r.status, r.stdout)
    }

    /// The tail `asym run` gives the names of the jobs of one store (README: "asym-KEY16-STORE8").
    static func suffix(ofStore store: String) -> String { "-" + ArtifactKey.sha256(Array(store.utf8)).prefix(8) }

    /// One line of sacct about a job (or array task) of a store.
    struct Accounted: Sendable { var id: String; var name: String; var state: String }

    /// sacct's record of the jobs of this store that started, one row per job or
    /// array task ("12", "12_3"). sacct's time window leaves out jobs cancelled
    /// before they started (a dependant of a failed job), which `scontrolJobs`
    /// shows. sacct may lag the queue by a moment, so it is asked again until it
    /// knows every job that started (each writes "asym: Slurm job ID on HOST" to its log).
    static func accounting(store: String) throws -> [Accounted] {
        let started = jobsInLogs(store: store)
        let deadline = Date().addingTimeInterval(30)
        while true {
            let r = try slurm("sacct", ["-X", "-n", "-P", "-o", "JobID,JobName,State", "-S", "2000-01-01"])
            var rows: [Accounted] = []
            for line in r.stdout.split(separator: "\n") {
                let f = line.split(separator: "|").map(String.init)
                guard f.count == 3, f[1].hasPrefix("asym-"), f[1].hasSuffix(suffix(ofStore: store)) else { continue }
                rows += expandArray(f[0]).map { Accounted(id: $0, name: f[1], state: f[2]) }
            }
            if started.isSubset(of: Set(rows.map(\.id))) || Date() > deadline { return rows }
            usleep(200_000)
        }
    }

    /// sacct's "12_[0-2,5]" (array tasks never started one by one) as "12_0", "12_1", "12_2", "12_5".
    static func expandArray(_ id: String) -> [String] {
        guard let open = id.firstIndex(of: "["), id.hasSuffix("]") else { return [id] }
        let job = id[..<open].dropLast()   // drop the "_"
        return id[id.index(after: open)..<id.index(before: id.endIndex)].split(separator: ",").flatMap { part -> [String] in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            guard let low = bounds.first else { return [] }
            return (low...(bounds.last ?? low)).map { "\(job)_\($0)" }
        }
    }

    /// The first 16 hex digits of the key a job or array task computes (an array's
    /// task → key map is the store's slurm/NAME.keys, line by line).
    static func key16(of row: Accounted, store: String) -> String {
        guard let underscore = row.id.firstIndex(of: "_"), let task = Int(row.id[row.id.index(after: underscore)...]) else {
            return String(row.name.dropFirst("asym-".count).prefix(16))
        }
        let text = (try? String(contentsOfFile: "\(store)/slurm/\(row.name).keys", encoding: .utf8)) ?? ""
        let keys = text.split(separator: "\n")
        return keys.indices.contains(task) ? String(keys[task].prefix(16)) : "?\(row.id)"
    }

    /// How many times a job of this store computing each key (its first 16 hex digits) started.
    static func submissions(store: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try accounting(store: store) { counts[key16(of: row, store: store), default: 0] += 1 }
        return counts
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

    /// The queued or running jobs of this store, one per array task: id ("12" or "12_3"),
    /// name, state and dependency (squeue's %E, empty when none).
    static func live(store: String) throws -> [(id: String, name: String, state: String, dependency: String)] {
        let r = try slurm("squeue", ["--me", "-r", "-h", "-o", "%i|%j|%T|%E"])
        return r.stdout.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, f[1].hasSuffix(suffix(ofStore: store)) else { return nil }
            return (f[0], f[1], f[2], f[3] == "(null)" ? "" : f[3])
        }
    }

    /// Every job of this store slurmctld still remembers (MinJobAge, 300 s here), finished ones
    /// included, as scontrol's fields (JobId, JobName, JobState, Reason, Dependency…).
    static func scontrolJobs(store: String) throws -> [[String: String]] {
        let r = try slurm("scontrol", ["show", "job", "-o"])
        return r.stdout.split(separator: "\n").map { line in
            var fields: [String: String] = [:]
            for word in line.split(separator: " ") {
                if let eq = word.firstIndex(of: "=") { fields[String(word[..<eq])] = String(word[word.index(after: eq)...]) }
            }
            return fields
        }.filter { $0["JobName"]?.hasSuffix(suffix(ofStore: store)) == true }
    }

    /// Node id → key, from the store's latest run record.
    static func nodeKeys(store: String) throws -> [String: String] {
        let runs = try FileManager.default.contentsOfDirectory(atPath: store + "/runs").filter { $0.hasSuffix(".json") }.sorted()
        guard let last = runs.last else { return [:] }
        let data = try Data(contentsOf: URL(fileURLWithPath: store + "/runs/" + last))
        let nodes = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["nodes"] as? [String: [String: Any]] ?? [:]
        return nodes.compactMapValues { $0["key"] as? String }
    }
}

/// `asym run --executor slurm` on the real single-node cluster of Tests/slurm:
/// the results are the local executor's, seed groups run as job arrays and
/// later stages wait in the queue (afterok), a coordinator may die and come
/// back, failed jobs are reported and stop their dependants, cancelled ones resume.
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

    @Test("the smoke pipeline as Slurm jobs: each seed pair is one job array, the evaluations wait in the queue behind their training (aftercorr) and run there after the coordinator is SIGKILLed; a second run reattaches and submits nothing twice; keys and datasets are the local executor's")
    func smokeMatchesLocalAndReattaches() throws {
        let dir = try scratchDirectory("slurm-smoke")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (a, b) = (dir.appendingPathComponent("a").path, dir.appendingPathComponent("b").path)
        let local = try runAsym(["run", smoke, "--store", a, "--report-base", a, "--jobs", "2"])
        #expect(local.status == 0, "\(local.stderr)")

        let slurm = ["run", smoke, "--store", b, "--report-base", b, "--executor", "slurm"]
        let first = try start(slurm)
        // Kill the coordinator once the four evaluation arrays wait in the queue on their training.
        var waiting: [String: String] = [:]   // job name → its dependency, as squeue showed it
        let deadline = Date().addingTimeInterval(120)
        while first.isRunning && Date() < deadline && waiting.count < 4 {
            for job in try SlurmTestCluster.live(store: b) where !job.dependency.isEmpty { waiting[job.name] = job.dependency }
            usleep(20_000)
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal, "the run finished before it could be killed")
        #expect(waiting.count == 4, "\(waiting)")
        #expect(waiting.values.allSatisfy { $0.hasPrefix("aftercorr:") }, "\(waiting)")

        // With no coordinator, the cluster goes on: an evaluation starts once its training is done.
        func evaluationStarted() -> Bool {
            let logs = (try? FileManager.default.contentsOfDirectory(atPath: b + "/logs")) ?? []
            return logs.contains { name in
                name.hasSuffix(".slurm.log")
                    && ((try? String(contentsOfFile: b + "/logs/" + name, encoding: .utf8))?.contains("asym exec: evaluate/") ?? false)
            }
        }
        let carryOn = Date().addingTimeInterval(300)
        while !evaluationStarted() && Date() < carryOn { usleep(100_000) }
        #expect(evaluationStarted(), "no evaluation ran after the coordinator died")
        let queuedAtRestart = Set(try SlurmTestCluster.live(store: b).map(\.name))

        let again = try runAsym(slurm)
        #expect(again.status == 0, "\(again.stderr)")
        let rows = try SlurmTestCluster.accounting(store: b)
        let submitted = try SlurmTestCluster.submissions(store: b)
        #expect(!submitted.isEmpty)
        for (key, count) in submitted { #expect(count == 1, "\(key) was submitted \(count) times") }
        #expect(queuedAtRestart.isSubset(of: Set(rows.map(\.name))))
        // Every node of the smoke pipeline comes in a pair of seeds (1, 2): every job is a task of a two-task array.
        let arrays = Dictionary(grouping: rows) { $0.id.split(separator: "_").first.map(String.init) ?? $0.id }
        #expect(rows.allSatisfy { $0.id.contains("_") }, "\(rows.map(\.id))")
        #expect(arrays.count >= 8 && arrays.values.allSatisfy { $0.count == 2 }, "\(arrays.mapValues { $0.map(\.id) })")

        let (da, db) = (try storeDatasets(a), try storeDatasets(b))
        #expect(!da.isEmpty)
        #expect(Set(da.keys) == Set(db.keys))
        for key in da.keys { #expect(da[key] == db[key], "object \(key.prefix(12)) differs") }

        let third = try runAsym(slurm)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stdout.contains("nothing to compute"), "\(third.stdout)")
        #expect(try SlurmTestCluster.submissions(store: b) == submitted)
    }

    @Test("a failed job is reported with its Slurm log and state and retried once; its dependant, queued behind it with afterok, is cancelled by Slurm without running and reported skipped")
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

        let keys = try SlurmTestCluster.nodeKeys(store: store)
        let (good, broken, evaluate) = (keys["good/td3-Pendulum-v0-a4-c4-s0"] ?? "?", keys["broken/td3-Pendulum-v0-a4-c4-s0"] ?? "?",
                                        keys["evaluate/broken/td3-Pendulum-v0-a4-c4-s0"] ?? "?")
        // good once, broken twice (the retry); the evaluation never started.
        let submitted = try SlurmTestCluster.submissions(store: store)
        #expect(submitted == [String(good.prefix(16)): 1, String(broken.prefix(16)): 2], "\(submitted)")
        // It was queued at once behind broken's first job, and Slurm cancelled it when that job failed.
        let jobs = try SlurmTestCluster.scontrolJobs(store: store)
        let brokenJobs = jobs.filter { $0["JobName"] == "asym-\(broken.prefix(16))" + SlurmTestCluster.suffix(ofStore: store) }
        let dependant = jobs.filter { $0["JobName"] == "asym-\(evaluate.prefix(16))" + SlurmTestCluster.suffix(ofStore: store) }
        let firstBroken = brokenJobs.compactMap { $0["JobId"].flatMap(Int.init) }.min() ?? -1
        #expect(dependant.count == 1, "\(jobs)")
        #expect(dependant.first?["Dependency"] == "afterok:\(firstBroken)(failed)", "\(dependant)")
        #expect(dependant.first?["JobState"] == "CANCELLED" && dependant.first?["Reason"] == "DependencyNeverSatisfied", "\(dependant)")
        let evaluationLog = (try? String(contentsOfFile: "\(store)/logs/\(evaluate).slurm.log", encoding: .utf8)) ?? ""
        #expect(!evaluationLog.contains("asym: Slurm job"), "the evaluation ran: \(evaluationLog)")
    }

    @Test("a task of a seed array cancelled with scancel mid-training checkpoints while its sibling finishes; the next asym run resubmits that one node alone, it resumes, and the bytes are an uninterrupted local run's")
    func cancelledTaskResumes() throws {
        let dir = try scratchDirectory("slurm-cancel")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("two.yaml").path
        try """
        name: two
        defaults: {algorithm: td3, environment: Pendulum-v0, steps: 40000, eval_episodes: 1, numerics: portable,
                   set: {start_steps: 100, update_after: 100}}
        stages:
          train: {kind: train, actor: [32, 32], critic: [32, 32], matrix: {seed: [1, 2]}}
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
        // Cancel one task once a job trains (its progress file appears).
        let deadline = Date().addingTimeInterval(120)
        while first.isRunning && Date() < deadline
                && ((try? FileManager.default.contentsOfDirectory(atPath: b + "/progress"))?.contains { $0.hasSuffix(".json") } != true) {
            usleep(20_000)
        }
        let jobs = try SlurmTestCluster.live(store: b)
        #expect(jobs.count == 2 && Set(jobs.map(\.name)).count == 1 && jobs.allSatisfy { $0.id.contains("_") }, "\(jobs)")
        let target = jobs.first { $0.state == "RUNNING" } ?? jobs.first
        if let target { _ = try SlurmTestCluster.slurm("scancel", [target.id]) }
        let cancelledKey = target.map { SlurmTestCluster.key16(of: .init(id: $0.id, name: $0.name, state: ""), store: b) } ?? "?"
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        first.waitUntilExit()
        #expect(first.terminationStatus == 1, "\(stderr)")
        #expect(stderr.contains("CANCELLED") && stderr.contains("does not resubmit") && stderr.contains(".slurm.log"), "\(stderr)")
        let partial = (try? FileManager.default.contentsOfDirectory(atPath: b + "/partial")) ?? []
        #expect(partial.contains { $0.hasSuffix(".h5") }, "no checkpoint after scancel")

        let again = try runAsym(slurm)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("1 computed, 1 cached"), "\(again.stdout)")
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: b + "/logs")) ?? []
        let resumed = try logs.filter { $0.hasPrefix(cancelledKey) }.contains {
            try String(contentsOfFile: b + "/logs/" + $0, encoding: .utf8).contains("resuming key")
        }
        #expect(resumed, "the resubmitted job did not resume from the checkpoint")
        // The cancelled node twice (its array task, then a job of its own), its sibling once.
        let rows = try SlurmTestCluster.accounting(store: b)
        let ofCancelled = rows.filter { SlurmTestCluster.key16(of: $0, store: b) == cancelledKey }
        #expect(ofCancelled.map { $0.id.contains("_") }.sorted { !$0 && $1 } == [false, true], "\(rows)")
        #expect(try SlurmTestCluster.submissions(store: b).values.sorted() == [1, 2])

        let local = try runAsym(["run", file, "--store", a, "--report-base", dir.path])
        #expect(local.status == 0, "\(local.stderr)")
        let (da, db) = (try storeDatasets(a), try storeDatasets(b))
        #expect(!da.isEmpty && Set(da.keys) == Set(db.keys))
        for key in da.keys { #expect(da[key] == db[key], "object \(key.prefix(12)) differs") }
    }
}
