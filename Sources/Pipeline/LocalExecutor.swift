// Runs a pipeline's graph on this machine: cached nodes are answered from the
// store in this process; train and evaluate nodes that need computing run in
// worker processes (`asym exec KEY`, one BLAS thread each); searches and the
// report run here, since they only read results. Workers write their logs to
// `logs/KEY.log` and their progress to `progress/KEY.json` in the store, so a
// status view (this one, or a later `asym status`) can read them.
import Foundation
import Agents
import Nets
import Store

/// What the run did to each node, for the run record, the report and the summary line.
public actor RunLedger {
    public enum Disposition: String, Sendable { case cached, computed, failed, skipped }
    public struct Entry: Sendable {
        public var node: String
        public var key: String?
        public var disposition: Disposition
        public var seconds: Double?
    }
    public private(set) var entries: [String: Entry] = [:]
    /// Nodes in the order they were first seen (the graph's, then the searches' probes).
    public private(set) var order: [String] = []
    public init() {}

    public func record(_ node: String, key: String?, _ disposition: Disposition, seconds: Double? = nil) {
        if entries[node] == nil { order.append(node) }
        entries[node] = Entry(node: node, key: key, disposition: disposition, seconds: seconds)
    }
    public var all: [Entry] { order.compactMap { entries[$0] } }
    public func count(_ d: Disposition) -> Int { entries.values.filter { $0.disposition == d }.count }
}

/// How a worker is started: the command (the `asym` executable and its leading arguments).
public struct WorkerCommand: Sendable {
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    public init(executable: String, arguments: [String], environment: [String: String] = [:]) {
        self.executable = executable; self.arguments = arguments; self.environment = environment
    }
}

/// Writes what a report node produces (the Report module fills it; see `PipelineReportWriter`).
public protocol ReportWriter: Sendable {
    /// Where the report node writes (its stamp goes there too).
    func folder(of node: PipelineNode, pipeline: Pipeline) -> String
    func write(_ node: PipelineNode, pipeline: Pipeline, store: ArtifactStore, ledger: RunLedger) async throws
}

/// Where a train or evaluate node that must be computed runs `asym exec KEY`:
/// a child process of this one (`ProcessLauncher`), or a Slurm job
/// (`SlurmLauncher`). Everything else about a node (the cache, the spec file,
/// the verdict from the store) is the runner's, so executors differ only here.
public protocol WorkerLauncher: Sendable {
    /// Runs the node whose spec file is written, and returns when that run has ended.
    func execute(_ node: PipelineNode, key: String, attempt: Int) async throws -> WorkerEnd
    /// Asks the runs in flight to stop (the coordinator got SIGINT or SIGTERM).
    func stopAll(signal: Int32)
}

/// How one worker run ended: `failure` is nil when it ended cleanly (the result
/// must still be in the store), else why not; `log` is where its output went.
public struct WorkerEnd: Sendable {
    public var failure: String?
    public var log: String
    public init(failure: String?, log: String) { self.failure = failure; self.log = log }
}

/// The local executor's launcher: `asym exec KEY` as a child process, its output in `logs/KEY.log`.
public struct ProcessLauncher: WorkerLauncher {
    public let store: ArtifactStore
    public let worker: WorkerCommand
    let children = ChildProcesses()

    public init(store: ArtifactStore, worker: WorkerCommand) { self.store = store; self.worker = worker }

    public func execute(_ node: PipelineNode, key: String, attempt: Int) async throws -> WorkerEnd {
        let log = WorkerLog.path(store, key)
        let status = try await children.run(worker, arguments: ["exec", key, "--store", store.root], log: log)
        return WorkerEnd(failure: status == 0 ? nil : WorkerLog.exitDescription(status), log: log)
    }

    public func stopAll(signal: Int32) { children.signalAll(signal) }
}

/// The runner of the local executor, and of any other whose workers are `asym
/// exec KEY` (through its `launcher`): cached nodes, searches and the report
/// are answered here, in the coordinator.
public struct LocalRunner: NodeRunner {
    public let pipeline: Pipeline
    public let store: ArtifactStore
    public let launcher: any WorkerLauncher
    public let ledger: RunLedger
    public let report: any ReportWriter
    /// Nodes to recompute even when cached (`--force`).
    public let forced: Set<String>
    public let stop: StopRequest

    public init(pipeline: Pipeline, store: ArtifactStore, worker: WorkerCommand, ledger: RunLedger,
                report: any ReportWriter, forced: Set<String> = [], stop: StopRequest = .process) {
        self.init(pipeline: pipeline, store: store, launcher: ProcessLauncher(store: store, worker: worker), ledger: ledger,
                  report: report, forced: forced, stop: stop)
    }

    public init(pipeline: Pipeline, store: ArtifactStore, launcher: any WorkerLauncher, ledger: RunLedger,
                report: any ReportWriter, forced: Set<String> = [], stop: StopRequest = .process) {
        self.pipeline = pipeline; self.store = store; self.launcher = launcher; self.ledger = ledger
        self.report = report; self.forced = forced; self.stop = stop
    }

    public func run(_ node: PipelineNode, attempt: Int) async -> NodeOutcome {
        do {
            switch node.spec {
            case .train, .evaluate: return try await compute(node, attempt: attempt)
            case .search: return try await search(node)
            case .report:
                let key = try ReportStamp.key(of: node, in: pipeline)
                let folder = report.folder(of: node, pipeline: pipeline)
                if let key, !forced.contains(node.id), ReportStamp.isCurrent(folder: folder, key: key) {
                    await ledger.record(node.id, key: nil, .cached)
                    return .succeeded
                }
                let started = monotonicSeconds()
                try await report.write(node, pipeline: pipeline, store: store, ledger: ledger)
                if let key { try ReportStamp.write(folder: folder, key: key) }
                await ledger.record(node.id, key: nil, .computed, seconds: monotonicSeconds() - started)
                return .succeeded
            }
        } catch {
            return .failed("\(error)")
        }
    }

    func compute(_ node: PipelineNode, attempt: Int) async throws -> NodeOutcome {
        guard let key = try NodeKeys.key(of: node) else { return .failed("no key") }
        if !forced.contains(node.id), try store.isStored(key) {
            // A job submitted ahead may have finished before the scheduler came here.
            let ranHere = (launcher as? any AheadSubmitting)?.ranInThisRun(key) ?? false
            await ledger.record(node.id, key: key, ranHere ? .computed : .cached)
            return .succeeded
        }
        if stop.signal != nil { return .failed("not started (the run was stopped)") }
        if forced.contains(node.id), FileManager.default.fileExists(atPath: store.objectPath(key)) {
            _ = try store.quarantine(store.objectPath(key))   // kept, not deleted: --force recomputes
        }
        try store.prepareForWriting()
        try NodeSpecFile.write(node, key: key, in: store)
        let started = monotonicSeconds()
        let end = try await launcher.execute(node, key: key, attempt: attempt)
        let seconds = monotonicSeconds() - started
        if end.failure == nil, case .found = try store.lookup(key) {
            await ledger.record(node.id, key: key, .computed, seconds: seconds)
            return .succeeded
        }
        let why = end.failure ?? "the worker exited without storing a result"
        let last = WorkerLog.lastLine(end.log).map { ": \($0)" } ?? ""
        await ledger.record(node.id, key: key, .failed, seconds: seconds)
        return .failed("\(why)\(last) (log: \(end.log))")
    }

    /// Offers a launcher that submits ahead (Slurm) the train and evaluate nodes
    /// that must be computed, each with the keys of its inputs still to be
    /// computed. A node the coordinator must see through first (a forced one,
    /// one needing a search or the report, or needing such a node) is left to
    /// the scheduler, which launches it when it is ready.
    public func prepare(_ nodes: [PipelineNode]) async {
        guard let ahead = launcher as? any AheadSubmitting, stop.signal == nil else { return }
        let batch = Set(nodes.map(\.id))
        var toCompute: [String: String] = [:]   // node id → key
        var held: Set<String> = [], stored: Set<String> = []
        var offered: [AheadNode] = []
        /// The key of a need outside this batch whose result is missing, "" when it is in the store, nil when held.
        func missingKey(_ id: String) throws -> String? {
            guard let need = pipeline.graph[id], !forced.contains(id), need.spec.kind == .train || need.spec.kind == .evaluate,
                  let key = try NodeKeys.key(of: need) else { return nil }
            if case .found = try store.lookup(key) { return "" }
            return key
        }
        for node in nodes {
            guard node.spec.kind == .train || node.spec.kind == .evaluate, !forced.contains(node.id) else {
                held.insert(node.id); continue
            }
            do {
                guard let key = try NodeKeys.key(of: node) else { held.insert(node.id); continue }
                if case .found = try store.lookup(key) { stored.insert(node.id); continue }
                var needs: [String] = [], blocked = false
                for need in node.needs {
                    if held.contains(need) { blocked = true; break }
                    if let k = toCompute[need] { needs.append(k); continue }
                    if stored.contains(need) { continue }
                    if batch.contains(need) { blocked = true; break }   // comes later in the batch: not in graph order
                    guard let k = try missingKey(need) else { blocked = true; break }
                    if !k.isEmpty { needs.append(k) }
                }
                if blocked { held.insert(node.id); continue }
                try NodeSpecFile.write(node, key: key, in: store)
                toCompute[node.id] = key
                offered.append(AheadNode(id: node.id, key: key, stage: node.stage, seedless: try AheadNode.seedless(node), needs: needs))
            } catch {
                held.insert(node.id)   // the scheduler meets the same error and reports it
            }
        }
        await ahead.submitAhead(offered)
    }

    func search(_ node: PipelineNode) async throws -> NodeOutcome {
        let key = try SearchArtifact.key(of: node)
        if !forced.contains(node.id), case .found = try store.lookup(key) {
            await ledger.record(node.id, key: key, .cached)
            return .succeeded
        }
        var probeKeys: [String: String] = [:]
        let step = try SearchReplay.advanceThrowing(node) { probe in
            guard case .train(let t) = probe.spec else { return nil }
            let key = try TrainKeyCache.shared.key(t)
            probeKeys[probe.id] = key
            guard case .found(let artifact) = try store.lookup(key) else { return nil }
            return evaluationMean(artifact)
        }
        switch step {
        case .needs(let nodes): return .waiting(for: nodes)
        case .done(let search):
            try store.prepareForWriting()
            try store.put(try SearchArtifact.make(node: node, search: search, probeKeys: probeKeys))
            await ledger.record(node.id, key: key, .computed)
            return .succeeded
        }
    }

    /// Asks every worker still running to stop (they checkpoint and exit).
    public func stopWorkers(signal: Int32 = SIGTERM) { launcher.stopAll(signal: signal) }
}

extension SearchReplay {
    /// As `advance`, with a lookup that may throw (a damaged artifact).
    static func advanceThrowing(_ node: PipelineNode, returnOf: (PipelineNode) throws -> Double?) throws -> Step {
        var failure: Error?
        let step = advance(node) { probe in
            do { return try returnOf(probe) } catch { failure = failure ?? error; return nil }
        }
        if let failure { throw failure }
        guard let step else { throw PipelineRunError.specFile(path: node.id, why: "not a search node") }
        return step
    }
}

/// Where workers write, and how their ends read.
public enum WorkerLog {
    public static func path(_ store: ArtifactStore, _ key: String) -> String { "\(store.root)/logs/\(key).log" }

    public static func exitDescription(_ status: Int32) -> String {
        if status > 128 { return "the worker was killed by signal \(status - 128)" }
        return "the worker exited with status \(status)"
    }

    /// The last non-empty line of a log (the worker's one-line error), if any.
    public static func lastLine(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let lines = String(decoding: data.suffix(4096), as: UTF8.self).split(separator: "\n")
        return lines.last.map(String.init)
    }
}

/// The worker processes this coordinator started, so that a stop reaches them.
final class ChildProcesses: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [Int32: Process] = [:]

    /// Starts the worker, appending its output to `log`, and waits for it; returns its
    /// exit status (128 + n when killed by signal n).
    func run(_ worker: WorkerCommand, arguments: [String], log: String) async throws -> Int32 {
        try FileManager.default.createDirectory(atPath: (log as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: log) else {
            throw StoreError.notWritable(path: log, why: "cannot open the worker log")
        }
        handle.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: worker.executable)
        process.arguments = worker.arguments + arguments
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in worker.environment { environment[k] = v }
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment["ASYM_COORDINATOR_PID"] = String(getpid())
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { p in
                try? handle.close()
                self.remove(p.processIdentifier)
                let status = p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
                continuation.resume(returning: status)
            }
            do {
                try process.run()
                add(process)
            } catch {
                try? handle.close()
                continuation.resume(throwing: PipelineRunError.specFile(path: worker.executable, why: "cannot start a worker: \(error)"))
            }
        }
    }

    private func add(_ p: Process) { lock.lock(); if p.isRunning { running[p.processIdentifier] = p }; lock.unlock() }
    private func remove(_ pid: Int32) { lock.lock(); running[pid] = nil; lock.unlock() }

    func signalAll(_ signal: Int32) {
        lock.lock(); let pids = Array(running.keys); lock.unlock()
        for pid in pids { kill(pid, signal) }
    }
}

/// A worker's progress, written about once a second to `progress/KEY.json`
/// (a plain rename: progress is not a result, and needs no fsync).
public struct ProgressFile: Codable, Sendable {
    public var steps: Int
    public var totalSteps: Int
    public var stepsPerSecond: Double
    public var pid: Int32
    public var updated: Double

    public static func path(_ store: ArtifactStore, _ key: String) -> String { "\(store.root)/progress/\(key).json" }

    public static func write(_ p: Training.Progress, key: String, in store: ArtifactStore) {
        let value = ProgressFile(steps: p.steps, totalSteps: p.totalSteps, stepsPerSecond: p.stepsPerSecond,
                                 pid: getpid(), updated: Date().timeIntervalSince1970)
        guard let data = try? JSONEncoder().encode(value) else { return }
        let path = path(store, key), temporary = path + ".\(getpid()).tmp"
        try? FileManager.default.createDirectory(atPath: "\(store.root)/progress", withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
        rename(temporary, path)
    }

    public static func read(key: String, in store: ArtifactStore) -> ProgressFile? {
        guard let data = FileManager.default.contents(atPath: path(store, key)) else { return nil }
        return try? JSONDecoder().decode(ProgressFile.self, from: data)
    }

    public static func remove(key: String, in store: ArtifactStore) { unlink(path(store, key)) }

    /// Every progress file in the store, by key.
    public static func all(in store: ArtifactStore) -> [(key: String, progress: ProgressFile)] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: "\(store.root)/progress")) ?? []).sorted()
        return names.compactMap { name in
            guard name.hasSuffix(".json") else { return nil }
            let key = String(name.dropLast(5))
            return read(key: key, in: store).map { (key, $0) }
        }
    }
}
