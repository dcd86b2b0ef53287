// The Slurm executor of `asym run`: each train or evaluate node that must be
// computed runs `asym exec KEY` in a Slurm job against the same store, which
// every node of the cluster must see at the same path. Nodes are offered to
// the launcher as they join the graph (SlurmArrays.swift): those of one stage
// that differ only by seed become one job array, and those whose inputs are
// still being computed wait in Slurm's queue behind an afterok dependency, so
// the coordinator may exit and the cluster carries on. The coordinator keeps
// no state of its own: a job is found again by its name, which the keys and
// the store fix (an array's task → key map is a file in the store), so a
// coordinator that died and is started again waits for the jobs already
// queued instead of submitting them twice. Slurm's own commands (sbatch,
// squeue, sacct, scontrol) are the whole interface; see sbatch(1), squeue(1),
// sacct(1), scontrol(1).
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

/// Runs nodes as Slurm jobs (alone, or as tasks of a job array) and waits for them to leave the queue.
public final class SlurmLauncher: AheadSubmitting, @unchecked Sendable {
    public let store: ArtifactStore
    /// The store as an absolute path: what the jobs are given.
    public let root: String
    public let worker: WorkerCommand
    public let options: SlurmOptions
    /// What each stage's jobs ask for (the pipeline's `slurm:`), by stage name.
    public let resources: [String: SlurmResources]
    let stop: StopRequest
    let queue: SlurmQueue
    private let lock = NSLock()
    /// Keys whose job was cancelled in this run: someone meant it, so the retry does not resubmit.
    private var cancelled: Set<String> = []
    /// Jobs submitted ahead (or found queued) and not yet waited for, by key.
    private var ahead: [String: SlurmJobRef] = [:]
    /// Keys whose job this run submitted or found queued.
    private var involved: Set<String> = []
    /// The keys of this store's job arrays, by job name (the `.keys` file never changes once written).
    private var arrayKeys: [String: [String]] = [:]

    public init(store: ArtifactStore, worker: WorkerCommand, options: SlurmOptions,
                resources: [String: SlurmResources] = [:], stop: StopRequest = .process) {
        self.store = store
        root = URL(fileURLWithPath: store.root).standardizedFileURL.path
        self.worker = worker; self.options = options; self.resources = resources; self.stop = stop
        queue = SlurmQueue(interval: options.pollInterval)
    }

    /// Fails with one line when no cluster answers (before anything is submitted).
    public static func checkReachable() throws {
        let r: SlurmTool.Result
        do { r = try SlurmTool.runBlocking("squeue", ["--me", "-h", "-o", "%i"]) }
        catch { throw SlurmError.unreachable("\(error)") }
        guard r.status == 0 else { throw SlurmError.unreachable(r.errorLine) }
    }

    /// The store's part of every job name: two stores never share a job.
    public static func storeTag(_ storeRoot: String) -> String { String(ArtifactKey.sha256(Array(storeRoot.utf8)).prefix(8)) }

    /// A one-node job's name: the key's first 16 hex digits and the store's.
    public static func jobName(key: String, storeRoot: String) -> String {
        "asym-\(key.prefix(16))-\(storeTag(storeRoot))"
    }

    /// A job array's name: a digest of its keys in task order, and the store's.
    public static func arrayName(keys: [String], storeRoot: String) -> String {
        "asym-\(ArtifactKey.sha256(Array(("array\n" + keys.joined(separator: "\n")).utf8)).prefix(16))-\(storeTag(storeRoot))"
    }

    public func jobName(_ key: String) -> String { Self.jobName(key: key, storeRoot: root) }

    /// Where a node's job output goes (appended, so a resubmitted job keeps the earlier attempts above it).
    public func logPath(_ key: String) -> String { "\(root)/logs/\(key).slurm.log" }

    /// Where an array's bookkeeping lives: `NAME.keys` (task i's key on line i + 1) and
    /// `NAME_I.log`, a link to task i's key's log, which sbatch's `--output=NAME_%a.log` opens.
    public var arrayFolder: String { "\(root)/slurm" }

    /// Two nodes with one key (a search's probe that is also a train node) share one job.
    public func execute(_ node: PipelineNode, key: String, attempt: Int) async throws -> WorkerEnd {
        let token = UUID()
        let task = lock.withLock {
            if let shared = inFlight[key] { return shared.task }
            let task = Task { try await self.runJob(key: key, stage: node.stage, attempt: attempt) }
            inFlight[key] = (token, task)
            return task
        }
        defer { lock.withLock { if inFlight[key]?.token == token { inFlight[key] = nil } } }
        return try await task.value
    }
    private var inFlight: [String: (token: UUID, task: Task<WorkerEnd, Error>)] = [:]

    func runJob(key: String, stage: String, attempt: Int) async throws -> WorkerEnd {
        let log = logPath(key)
        if attempt > 1, let job = wasCancelled(key) {
            return WorkerEnd(failure: "Slurm job \(job) was cancelled; this run does not resubmit it "
                             + "(run again to resume it from its checkpoint)", log: log)
        }
        // Submitted ahead, or by an earlier coordinator and still queued or running: wait for it.
        var job = lock.withLock { ahead.removeValue(forKey: key) }
        if job == nil { job = liveJob(forKey: key, in: try await queue.jobs(newerThan: monotonicSeconds() - options.pollInterval)) }
        if job == nil {
            // It may have ended between our store lookup and the queue's answer.
            if case .found = try store.lookup(key) { return WorkerEnd(failure: nil, log: log) }
            job = try await submit([key], stage: stage, dependency: nil).first
        }
        guard var job else { return WorkerEnd(failure: "no job", log: log) }
        var end = try await wait(for: job, log: log)
        if end.neverSatisfiable {
            // Slurm cancelled it because an input's job failed (--kill-on-invalid-dep);
            // the scheduler reaches a node only once its inputs are in the store, so it can run now.
            job = try await submit([key], stage: stage, dependency: nil)[0]
            end = try await wait(for: job, log: log)
        }
        remember(key, job: job, cancelled: end.state.hasPrefix("CANCELLED"))
        if end.state == "COMPLETED" { return WorkerEnd(failure: nil, log: log) }
        return WorkerEnd(failure: end.description(of: job), log: log)
    }

    /// Jobs keep running when the coordinator stops: a later `asym run` reattaches to them.
    public func stopAll(signal: Int32) {}

    public func ranInThisRun(_ key: String) -> Bool { lock.withLock { involved.contains(key) } }

    /// Submits the nodes that no job computes yet, seed groups as arrays, each
    /// after the jobs computing its inputs. A node whose inputs have no job
    /// (an input this call could not submit) is left to the scheduler, and so
    /// is every node of a submission sbatch refuses: the scheduler submits it
    /// again when it is ready, and reports the refusal then.
    public func submitAhead(_ nodes: [AheadNode]) async {
        guard !nodes.isEmpty, stop.signal == nil else { return }
        guard let listing = try? await queue.jobs(newerThan: monotonicSeconds()) else { return }
        var jobs = lock.withLock { ahead }
        var toSubmit: [AheadNode] = [], stored: Set<String> = []
        for node in nodes where jobs[node.key] == nil {
            if let live = liveJob(forKey: node.key, in: listing) { jobs[node.key] = live; continue }
            // Its job may have ended between the runner's store lookup and the queue's answer.
            if case .found? = try? store.lookup(node.key) { stored.insert(node.key); continue }
            toSubmit.append(node)
        }
        for group in SlurmPlan.groups(toSubmit) {
            guard group.allSatisfy({ $0.needs.allSatisfy { jobs[$0] != nil || stored.contains($0) } }),
                  let submitted = try? await submit(group.map(\.key), stage: group[0].stage,
                                                    dependency: SlurmPlan.dependency(of: group, jobs: jobs))
            else { continue }
            for (node, ref) in zip(group, submitted) { jobs[node.key] = ref }
        }
        let offered = Set(nodes.map(\.key))
        lock.withLock {
            for (key, ref) in jobs where offered.contains(key) { ahead[key] = ref; involved.insert(key) }
        }
    }

    /// The queued or running job (or array task) of this store that computes `key`.
    func liveJob(forKey key: String, in jobs: [SlurmQueue.Job]) -> SlurmJobRef? {
        let single = jobName(key), tag = "-" + Self.storeTag(root)
        for job in jobs {
            if let task = job.arrayTask {
                guard job.name.hasSuffix(tag) else { continue }
                let keys = keys(ofArray: job.name)
                if keys.indices.contains(task), keys[task] == key { return SlurmJobRef(job: job.arrayJob, task: task) }
            } else if job.name == single {
                return SlurmJobRef(job: job.id)
            }
        }
        return nil
    }

    func keys(ofArray name: String) -> [String] {
        if let known = lock.withLock({ arrayKeys[name] }) { return known }
        guard let data = FileManager.default.contents(atPath: "\(arrayFolder)/\(name).keys") else { return [] }
        let keys = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        lock.withLock { arrayKeys[name] = keys }
        return keys
    }

    private func wasCancelled(_ key: String) -> String? {
        lock.withLock { cancelled.contains(key) ? lastJob[key]?.description : nil }
    }
    private var lastJob: [String: SlurmJobRef] = [:]
    private func remember(_ key: String, job: SlurmJobRef, cancelled wasCancelled: Bool) {
        lock.withLock {
            lastJob[key] = job
            involved.insert(key)
            if wasCancelled { cancelled.insert(key) }
        }
    }

    /// The sbatch arguments of one submission: one job for one key, else an
    /// array whose task i computes `keys[i]`. Ours first (the stage's
    /// resources among them), then `--sbatch-arg`s, which override; the
    /// script last.
    public func sbatchArguments(keys: [String], stage: String, dependency: String?) -> [String] {
        let isArray = keys.count > 1
        let name = isArray ? Self.arrayName(keys: keys, storeRoot: root) : jobName(keys[0])
        let output = isArray ? "\(arrayFolder)/\(name)_%a.log" : logPath(keys[0])
        var args = ["--parsable", "--job-name=\(name)", "--output=\(output)", "--open-mode=append",
                    "--chdir=\(root)", "--ntasks=1"]
        args += (resources[stage] ?? SlurmResources()).sbatchArguments
        if isArray { args.append("--array=0-\(keys.count - 1)") }
        if let partition = options.partition { args.append("--partition=\(partition)") }
        if let dependency {
            // A job whose input failed is cancelled, not left pending for ever (DependencyNeverSatisfied).
            args += ["--dependency=\(dependency)", "--kill-on-invalid-dep=yes"]
        }
        args += options.extraArguments
        args += ["--wrap", wrapScript(keys: keys)]
        return args
    }

    /// The job's shell script. An array task finds its key by its task id. One
    /// BLAS thread per job whatever it is given. The numerics of the job's own
    /// CPU are chosen by `asym` itself at start, so the submitter's kernel
    /// choice (exported by sbatch) is not inherited; `exec` makes asym the
    /// job's process, so scancel's SIGTERM reaches it and it checkpoints.
    func wrapScript(keys: [String]) -> String {
        let key: String, banner: String
        var pick = ""
        if keys.count == 1 {
            key = keys[0]
            banner = "$SLURM_JOB_ID"
        } else {
            // Keys are hex digits: safe unquoted.
            let cases = keys.enumerated().map { "\($0.offset)) key=\($0.element);;" }.joined(separator: " ")
            pick = "case \"$SLURM_ARRAY_TASK_ID\" in \(cases) *) echo \"asym: array task $SLURM_ARRAY_TASK_ID has no key\" >&2; exit 2;; esac; "
            key = "\"$key\""
            banner = "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
        }
        let command = ([worker.executable] + worker.arguments + ["exec"]).map(shellQuoted) + [key, "--store", shellQuoted(root)]
        let exports = worker.environment.sorted { $0.key < $1.key }.map { "export \($0.key)=\(shellQuoted($0.value)); " }.joined()
        return pick + "echo \"asym: Slurm job \(banner) on $(hostname) at $(date -Is)\"; "
            + "unset ASYM_COORDINATOR_PID ASYM_NUMERICS_RESTARTED OPENBLAS_CORETYPE; export OPENBLAS_NUM_THREADS=1; "
            + exports + "exec " + command.joined(separator: " ")
    }

    /// Submits one job (one key) or one array; returns what computes each key, in order.
    func submit(_ keys: [String], stage: String, dependency: String?) async throws -> [SlurmJobRef] {
        try FileManager.default.createDirectory(atPath: "\(root)/logs", withIntermediateDirectories: true)
        if keys.count > 1 { try writeArrayFiles(keys) }
        let r = try await SlurmTool.submitting("sbatch", sbatchArguments(keys: keys, stage: stage, dependency: dependency))
        let id = r.output.split(whereSeparator: { $0 == ";" || $0.isNewline }).first.map(String.init) ?? ""
        guard r.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SlurmError.submit(r.status == 0 ? "no job id in '\(r.output)'" : r.errorLine)
        }
        let refs = keys.count == 1 ? [SlurmJobRef(job: id)] : keys.indices.map { SlurmJobRef(job: id, task: $0) }
        lock.withLock { for key in keys { involved.insert(key) } }
        return refs
    }

    /// The array's keys file (how a later coordinator maps its tasks back to
    /// keys) and one log link per task, so each task appends to its key's log,
    /// Slurm's own messages (a time limit, a cancellation) included.
    func writeArrayFiles(_ keys: [String]) throws {
        let name = Self.arrayName(keys: keys, storeRoot: root)
        try FileManager.default.createDirectory(atPath: arrayFolder, withIntermediateDirectories: true)
        try AtomicWrite.writeBytes(Array((keys.joined(separator: "\n") + "\n").utf8), to: "\(arrayFolder)/\(name).keys")
        for (task, key) in keys.enumerated() {
            let link = "\(arrayFolder)/\(name)_\(task).log"
            unlink(link)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "../logs/\(key).slurm.log")
        }
        lock.withLock { arrayKeys[name] = keys }
    }

    /// Polls until the job has left the queue, then reads its final state.
    func wait(for job: SlurmJobRef, log: String) async throws -> SlurmEnd {
        let since = monotonicSeconds()
        while true {
            if stop.signal != nil {
                return SlurmEnd(state: "STOPPED", detail: "this run was stopped; Slurm job \(job) goes on "
                                + "(run again to wait for it, or scancel \(job))")
            }
            guard try await queue.isLive(job.description, newerThan: since) else { break }
            try await Task.sleep(nanoseconds: UInt64(options.pollInterval * 1e9))
        }
        return await SlurmTool.finalState(of: job.description)
    }
}

/// How a job left the queue.
struct SlurmEnd: Sendable {
    /// COMPLETED, FAILED, TIMEOUT, CANCELLED, OUT_OF_MEMORY… (sacct's first word).
    var state: String
    var exitCode: String?
    /// Cancelled by Slurm because a job it depended on failed (not by a user's scancel).
    var neverSatisfiable = false
    /// Said instead of the state, when set.
    var detail: String?

    init(state: String, exitCode: String? = nil, neverSatisfiable: Bool = false, detail: String? = nil) {
        self.state = state; self.exitCode = exitCode; self.neverSatisfiable = neverSatisfiable; self.detail = detail
    }

    func description(of job: SlurmJobRef) -> String {
        if let detail { return detail }
        return "Slurm job \(job) ended \(state)" + (exitCode.map { ", exit code \($0)" } ?? "")
    }
}

/// One view of the queue shared by every node waited on: one squeue per
/// interval however many jobs are in flight.
actor SlurmQueue {
    struct Job: Sendable {
        /// squeue's %i: "123", or "123_4" for task 4 of array 123.
        var id: String
        var state: String
        var name: String
        /// The array's job id (%F; the job's own id when it is not an array task).
        var arrayJob: String
        /// The array task id (%K), nil when not an array task.
        var arrayTask: Int?
    }
    let interval: Double
    private var jobs: [Job] = []
    private var taken = -Double.infinity
    private var refresh: (started: Double, task: Task<[Job], Error>)?
    /// Consecutive squeue failures tolerated (a busy slurmctld times out now and then).
    private var failures = 0

    init(interval: Double) { self.interval = interval }

    /// Whether `job` ("123" or "123_4") is still in the queue, by a listing begun after `time`.
    func isLive(_ job: String, newerThan time: Double) async throws -> Bool {
        try await jobs(newerThan: time).contains { $0.id == job }
    }

    /// This user's live jobs (pending, running, completing…), one line per array
    /// task, by a listing begun after `time` and at most one interval old.
    func jobs(newerThan time: Double) async throws -> [Job] {
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

    /// squeue(1): `-r` lists each array task on its own line, pending ones included.
    static func list() async throws -> [Job] {
        let r = try await SlurmTool.run("squeue", ["--me", "-r", "-h", "-o", "%i|%T|%F|%K|%j"])
        guard r.status == 0 else { throw SlurmError.unreachable(r.errorLine) }
        return r.output.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", maxSplits: 4).map(String.init)
            return f.count == 5 ? Job(id: f[0], state: f[1], name: f[4], arrayJob: f[2], arrayTask: Int(f[3])) : nil
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
        var env = ProcessInfo.processInfo.environment
        env["ASYM_COORDINATOR_PID"] = nil   // sbatch exports the environment to the job
        let r = try Subprocess.capture([tool] + args, environment: env)
        return Result(status: r.status, output: r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), error: r.stderr)
    }

    /// A finished job's state (COMPLETED, FAILED, TIMEOUT, CANCELLED…) and exit code, from
    /// sacct (which may lag the queue by a moment), else from scontrol (kept for MinJobAge).
    /// A job Slurm cancelled for a dependency that can never be met is "CANCELLED"
    /// with the reason "Dependency" in sacct (a user's scancel reads "CANCELLED by UID"),
    /// and Reason=DependencyNeverSatisfied in scontrol.
    static func finalState(of job: String) async -> SlurmEnd {
        let deadline = monotonicSeconds() + 15
        repeat {
            if let r = try? await run("sacct", ["-j", job, "-X", "-n", "-P", "-o", "State,ExitCode,Reason"]), r.status == 0,
               let line = r.output.split(separator: "\n").first {
                let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                let full = f.first ?? ""
                let state = full.split(separator: " ").first.map(String.init) ?? full
                if !state.isEmpty, !["PENDING", "RUNNING", "REQUEUED", "RESIZING", "SUSPENDED"].contains(state) {
                    return SlurmEnd(state: state, exitCode: f.count > 1 ? f[1] : nil,
                                    neverSatisfiable: full == "CANCELLED" && f.count > 2 && f[2].hasPrefix("Dependency"))
                }
            } else if let r = try? await run("scontrol", ["show", "job", job, "-o"]), r.status == 0,
                      let state = field("JobState", in: r.output),
                      !["PENDING", "RUNNING", "COMPLETING"].contains(state) {
                return SlurmEnd(state: state, exitCode: field("ExitCode", in: r.output),
                                neverSatisfiable: state == "CANCELLED" && field("Reason", in: r.output) == "DependencyNeverSatisfied")
            }
            try? await Task.sleep(nanoseconds: 500_000_000)
        } while monotonicSeconds() < deadline
        return SlurmEnd(state: "in an unknown state (neither sacct nor scontrol knows it)")
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
