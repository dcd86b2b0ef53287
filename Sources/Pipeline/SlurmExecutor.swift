// The Slurm executor of `asym run`: each train or evaluate node that must be
// computed becomes one sbatch job running `asym exec KEY` against the same
// store, which every node of the cluster must see at the same path. The
// coordinator keeps no state of its own: a job is found again by its name,
// which the key and the store fix, so a coordinator that died and is started
// again waits for the jobs already queued instead of submitting them twice.
// Slurm's own commands (sbatch, squeue, sacct, scontrol) are the whole
// interface; see sbatch(1), squeue(1), sacct(1).
import Foundation
import Agents
import Store

/// What `--executor slurm` passes to sbatch.
public struct SlurmOptions: Sendable {
    /// `--partition`; nil leaves it to the cluster's default partition.
    public var partition: String?
    /// More sbatch arguments (`--sbatch-arg`), after ours so they win (e.g. `--time=2:00:00`, `--mem=2G`).
    public var extraArguments: [String] = []
    /// Seconds between looks at the queue (one squeue for all the jobs waited on).
    public var pollInterval: Double = 1
    public init(partition: String? = nil, extraArguments: [String] = []) {
        self.partition = partition; self.extraArguments = extraArguments
    }
}

public enum SlurmError: Error, CustomStringConvertible {
    case unreachable(String)
    case submit(String)

    public var description: String {
        switch self {
        case .unreachable(let why): return "--executor slurm: no Slurm cluster answers (\(why)); run where sbatch and squeue work"
        case .submit(let why): return "sbatch refused the job: \(why)"
        }
    }
}

/// Runs a node as a Slurm job and waits for it to leave the queue.
public final class SlurmLauncher: WorkerLauncher, @unchecked Sendable {
    public let store: ArtifactStore
    /// The store as an absolute path: what the jobs are given.
    public let root: String
    public let worker: WorkerCommand
    public let options: SlurmOptions
    let stop: StopRequest
    let queue: SlurmQueue
    private let lock = NSLock()
    /// Keys whose job was cancelled in this run: someone meant it, so the retry does not resubmit.
    private var cancelled: Set<String> = []

    public init(store: ArtifactStore, worker: WorkerCommand, options: SlurmOptions, stop: StopRequest = .process) {
        self.store = store
        root = URL(fileURLWithPath: store.root).standardizedFileURL.path
        self.worker = worker; self.options = options; self.stop = stop
        queue = SlurmQueue(interval: options.pollInterval)
    }

    /// Fails with one line when no cluster answers (before anything is submitted).
    public static func checkReachable() throws {
        let r: SlurmTool.Result
        do { r = try SlurmTool.runBlocking("squeue", ["--me", "-h", "-o", "%i"]) }
        catch { throw SlurmError.unreachable("\(error)") }
        guard r.status == 0 else { throw SlurmError.unreachable(r.errorLine) }
    }

    /// The job's name: the key's first 16 hex digits and the store's (two stores never share a job).
    public static func jobName(key: String, storeRoot: String) -> String {
        "asym-\(key.prefix(16))-\(ArtifactKey.sha256(Array(storeRoot.utf8)).prefix(8))"
    }

    public func jobName(_ key: String) -> String { Self.jobName(key: key, storeRoot: root) }

    /// Where a job's output goes (appended, so a resubmitted job keeps the earlier attempts above it).
    public func logPath(_ key: String) -> String { "\(root)/logs/\(key).slurm.log" }

    /// Two nodes with one key (a search's probe that is also a train node) share one job.
    public func execute(_ node: PipelineNode, key: String, attempt: Int) async throws -> WorkerEnd {
        let token = UUID()
        let task = lock.withLock {
            if let shared = inFlight[key] { return shared.task }
            let task = Task { try await self.runJob(key: key, attempt: attempt) }
            inFlight[key] = (token, task)
            return task
        }
        defer { lock.withLock { if inFlight[key]?.token == token { inFlight[key] = nil } } }
        return try await task.value
    }
    private var inFlight: [String: (token: UUID, task: Task<WorkerEnd, Error>)] = [:]

    func runJob(key: String, attempt: Int) async throws -> WorkerEnd {
        let name = jobName(key), log = logPath(key)
        if attempt > 1, let job = wasCancelled(key) {
            return WorkerEnd(failure: "Slurm job \(job) was cancelled; this run does not resubmit it "
                             + "(run again to resume it from its checkpoint)", log: log)
        }
        // A job of an earlier coordinator still queued or running: wait for it instead.
        var job = try await queue.live(named: name).first
        if job == nil {
            // It may have ended between our store lookup and the queue's answer.
            if case .found = try store.lookup(key) { return WorkerEnd(failure: nil, log: log) }
            job = try await submit(key: key, name: name, log: log)
        }
        guard let job else { return WorkerEnd(failure: "no job", log: log) }
        return try await wait(for: job, key: key, log: log)
    }

    /// Jobs keep running when the coordinator stops: a later `asym run` reattaches to them.
    public func stopAll(signal: Int32) {}

    private func wasCancelled(_ key: String) -> String? {
        lock.withLock { cancelled.contains(key) ? lastJob[key] : nil }
    }
    private var lastJob: [String: String] = [:]
    private func remember(_ key: String, job: String, cancelled wasCancelled: Bool) {
        lock.withLock {
            lastJob[key] = job
            if wasCancelled { cancelled.insert(key) }
        }
    }

    /// The sbatch arguments of one node's job (ours first, then `--sbatch-arg`s, which override).
    public func sbatchArguments(key: String, name: String, log: String) -> [String] {
        var args = ["--parsable", "--job-name=\(name)", "--output=\(log)", "--open-mode=append",
                    "--chdir=\(root)", "--ntasks=1", "--cpus-per-task=1"]
        if let partition = options.partition { args.append("--partition=\(partition)") }
        args += options.extraArguments
        args += ["--wrap", wrapScript(key: key)]
        return args
    }

    /// The job's shell script. One BLAS thread per job (one CPU asked for). The
    /// numerics of the job's own CPU are chosen by `asym` itself at start, so
    /// the submitter's kernel choice (exported by sbatch) is not inherited;
    /// `exec` makes asym the job's process, so scancel's SIGTERM reaches it
    /// and it checkpoints.
    func wrapScript(key: String) -> String {
        let command = ([worker.executable] + worker.arguments + ["exec", key, "--store", root]).map(shellQuoted)
        let exports = worker.environment.sorted { $0.key < $1.key }.map { "export \($0.key)=\(shellQuoted($0.value)); " }.joined()
        return "echo \"asym: Slurm job $SLURM_JOB_ID on $(hostname) at $(date -Is)\"; "
            + "unset ASYM_COORDINATOR_PID ASYM_NUMERICS_RESTARTED OPENBLAS_CORETYPE; export OPENBLAS_NUM_THREADS=1; "
            + exports + "exec " + command.joined(separator: " ")
    }

    func submit(key: String, name: String, log: String) async throws -> String {
        try FileManager.default.createDirectory(atPath: "\(root)/logs", withIntermediateDirectories: true)
        let r = try await SlurmTool.submitting("sbatch", sbatchArguments(key: key, name: name, log: log))
        let id = r.output.split(whereSeparator: { $0 == ";" || $0.isNewline }).first.map(String.init) ?? ""
        guard r.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SlurmError.submit(r.status == 0 ? "no job id in '\(r.output)'" : r.errorLine)
        }
        return id
    }

    /// Polls until the job has left the queue, then reads its final state.
    func wait(for job: String, key: String, log: String) async throws -> WorkerEnd {
        let since = monotonicSeconds()
        while true {
            if stop.signal != nil {
                return WorkerEnd(failure: "this run was stopped; Slurm job \(job) goes on "
                                 + "(run again to wait for it, or scancel \(job))", log: log)
            }
            guard try await queue.isLive(job, newerThan: since) else { break }
            try await Task.sleep(nanoseconds: UInt64(options.pollInterval * 1e9))
        }
        let state = await SlurmTool.finalState(of: job)
        remember(key, job: job, cancelled: state.state.hasPrefix("CANCELLED"))
        if state.state == "COMPLETED" { return WorkerEnd(failure: nil, log: log) }
        let exit = state.exitCode.map { ", exit code \($0)" } ?? ""
        return WorkerEnd(failure: "Slurm job \(job) ended \(state.state)\(exit)", log: log)
    }
}

/// One view of the queue shared by every node waited on: one squeue per
/// interval however many jobs are in flight.
actor SlurmQueue {
    struct Job: Sendable { var id: String; var state: String; var name: String }
    let interval: Double
    private var jobs: [Job] = []
    private var taken = -Double.infinity
    private var refresh: (started: Double, task: Task<[Job], Error>)?
    /// Consecutive squeue failures tolerated (a busy slurmctld times out now and then).
    private var failures = 0

    init(interval: Double) { self.interval = interval }

    /// The live jobs (pending, running, completing…) of this user named `name`. A
    /// listing up to one interval old will do: a job this run waits for is never
    /// looked up by name again before a later listing has seen it leave.
    func live(named name: String) async throws -> [String] {
        try await snapshot(newerThan: monotonicSeconds() - interval).filter { $0.name == name }.map(\.id)
    }

    /// Whether `job` is still in the queue, by a listing begun after `time`.
    func isLive(_ job: String, newerThan time: Double) async throws -> Bool {
        try await snapshot(newerThan: time).contains { $0.id == job }
    }

    private func snapshot(newerThan time: Double) async throws -> [Job] {
        while true {
            if taken >= time, monotonicSeconds() - taken < interval { return jobs }
            let current: (started: Double, task: Task<[Job], Error>)
            // Join the listing in flight if it began late enough, else begin one.
            if let refresh, refresh.started >= time { current = refresh }
            else { current = (monotonicSeconds(), Task { try await Self.list() }); refresh = current }
            do {
                let listed = try await current.task.value
                if refresh?.started == current.started { refresh = nil }
                if current.started > taken { jobs = listed; taken = current.started; failures = 0 }
                return listed
            } catch {
                if refresh?.started == current.started { refresh = nil; failures += 1 }
                if failures > 300 { throw error }
                try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
            }
        }
    }

    static func list() async throws -> [Job] {
        let r = try await SlurmTool.run("squeue", ["--me", "-h", "-o", "%i|%T|%j"])
        guard r.status == 0 else { throw SlurmError.unreachable(r.errorLine) }
        return r.output.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", maxSplits: 2).map(String.init)
            return f.count == 3 ? Job(id: f[0], state: f[1], name: f[2]) : nil
        }
    }
}

/// Slurm's client commands, found on PATH.
enum SlurmTool {
    struct Result: Sendable {
        var status: Int32
        var output: String
        var error: String
        var errorLine: String {
            let line = error.split(separator: "\n").last.map(String.init) ?? ""
            return line.isEmpty ? "exit status \(status)" : line
        }
    }

    /// sbatch calls one at a time: a sweep's first hundreds of nodes are not a burst of processes.
    static let submissions = DispatchQueue(label: "asym.slurm.sbatch")

    static func run(_ tool: String, _ args: [String]) async throws -> Result {
        try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async { c.resume(with: Swift.Result { try runBlocking(tool, args) }) }
        }
    }

    static func submitting(_ tool: String, _ args: [String]) async throws -> Result {
        try await withCheckedThrowingContinuation { c in
            submissions.async { c.resume(with: Swift.Result { try runBlocking(tool, args) }) }
        }
    }

    static func runBlocking(_ tool: String, _ args: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        var env = ProcessInfo.processInfo.environment
        env["ASYM_COORDINATOR_PID"] = nil   // sbatch exports the environment to the job
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, output: String(decoding: outData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
                      error: String(decoding: errData, as: UTF8.self))
    }

    /// A finished job's state (COMPLETED, FAILED, TIMEOUT, CANCELLED…) and exit code, from
    /// sacct (which may lag the queue by a moment), else from scontrol (kept for MinJobAge).
    static func finalState(of job: String) async -> (state: String, exitCode: String?) {
        let deadline = monotonicSeconds() + 15
        repeat {
            if let r = try? await run("sacct", ["-j", job, "-X", "-n", "-P", "-o", "State,ExitCode"]), r.status == 0,
               let line = r.output.split(separator: "\n").first {
                let f = line.split(separator: "|").map(String.init)
                let state = f.first.map { $0.split(separator: " ").first.map(String.init) ?? $0 } ?? ""
                if !state.isEmpty, !["PENDING", "RUNNING", "REQUEUED", "RESIZING", "SUSPENDED"].contains(state) {
                    return (state, f.count > 1 ? f[1] : nil)
                }
            } else if let r = try? await run("scontrol", ["show", "job", job, "-o"]), r.status == 0,
                      let state = field("JobState", in: r.output),
                      !["PENDING", "RUNNING", "COMPLETING"].contains(state) {
                return (state, field("ExitCode", in: r.output))
            }
            try? await Task.sleep(nanoseconds: 500_000_000)
        } while monotonicSeconds() < deadline
        return ("in an unknown state (neither sacct nor scontrol knows it)", nil)
    }

    static func field(_ name: String, in text: String) -> String? {
        text.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }
}

/// `s` as one word for sh.
func shellQuoted(_ s: String) -> String {
    if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-=:,+@%".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
