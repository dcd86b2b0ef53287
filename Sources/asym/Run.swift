import ArgumentParser
import Foundation
import Agents
import Nets
import Pipeline
import Store

extension Asym {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a pipeline: every node through the store, computing only what is missing.",
            discussion: """
            Each train and evaluate node whose result is not in the store runs in a
            worker process (one BLAS thread each; --jobs at once, the longest chain
            of work first). Cached nodes cost a lookup. A search adds its probes as
            it goes; each probe is an ordinary cached, resumable train node.

            A failing node is retried once, then reported with the path of its log;
            independent nodes go on and its dependants are skipped. Ctrl-C stops the
            workers, which save checkpoints: run the same command again to resume
            (so does a coordinator killed outright; its workers stop by themselves).
            Every run writes a record to the store's runs/ folder (commit, numerics,
            node → key, what was cached and what computed).

            Examples:
              asym run pipelines/smoke.yaml
              asym run pipelines/smoke.yaml --jobs 2 --store /scratch/asym
              asym run pipelines/smoke.yaml --dry-run          # what would run
              asym run pipelines/smoke.yaml --force toy        # recompute a stage
              asym run pipelines/pendulum.yaml --scale 0.1 --seeds 2   # a quick look
              asym run pipelines/table1.yaml --executor slurm --store /shared/asym --partition cpu
            """)

        @Argument(help: "The pipeline file (YAML; see pipelines/README.md).") var pipeline: String
        @Option(help: "Artifact store folder (default $ASYM_STORE, else artifacts).") var store: String?
        @Option(help: "Worker processes at once (default: the number of cores).") var jobs: Int?
        @Option(parsing: .upToNextOption, help: "Recompute these nodes or stages even when cached (`all` for every node).")
        var force: [String] = []
        @OptionGroup var shrink: ShrinkOptions
        @Flag(help: "Say what would be computed and what is cached, and run nothing.") var dryRun = false
        @Option(help: "Folder the report stage's relative output paths start from (default: the current folder).")
        var reportBase: String?
        @Option(help: "Where workers run: local (child processes) or slurm (sbatch jobs, one array per seed group, later stages queued with afterok; resources from the pipeline's slurm: fields; the store and this binary must be on a path every node sees).")
        var executor: Executor = .local
        @Option(help: "Slurm partition for the jobs (with --executor slurm; default: the cluster's).")
        var partition: String?
        @Option(name: .customLong("sbatch-arg"), parsing: .unconditionalSingleValue,
                help: "One more sbatch argument for every job, after the pipeline's slurm: resources so it overrides them, e.g. --sbatch-arg --time=4:00:00 (repeatable; with --executor slurm).")
        var sbatchArgs: [String] = []

        func validate() throws {
            if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
            if executor != .slurm, partition != nil || !sbatchArgs.isEmpty {
                throw ValidationError("--partition and --sbatch-arg need --executor slurm")
            }
        }

        func run() throws {
            TrainNode.toolVersion = AsymVersion.string
            let loaded = try loadPipeline(pipeline).shrunk(shrink.value)
            let store = ArtifactStore(root: ArtifactStore.resolveRoot(option: self.store))
            try userFacing { try PipelineExecution.checkNumerics(loaded) }
            if dryRun { return try printDryRun(loaded, store: store) }
            let worker = WorkerCommand(executable: try ownExecutable(), arguments: ["--numerics", Numerics.profile.rawValue])
            // Under Slurm, --jobs caps the jobs waited on at once; the cluster decides how many run.
            let defaultJobs = executor == .slurm ? 1000 : ProcessInfo.processInfo.activeProcessorCount
            var runOptions = RunOptions(jobs: jobs ?? defaultJobs, worker: worker,
                                        report: pipelineReportWriter(base: reportBase ?? FileManager.default.currentDirectoryPath))
            runOptions.force = force
            runOptions.executor = executor
            runOptions.slurm = SlurmOptions(partition: partition, extraArguments: sbatchArgs)
            let options = runOptions
            StopSignals.install()
            let view = RunView(pipeline: loaded, store: store)
            let runnerBox = RunnerBox()
            let outcome: RunOutcome = try operational {
                try blockingAwait {
                    try await PipelineExecution.run(loaded, path: pipeline, store: store, options: options,
                                                    observe: { view.event($0) },
                                                    runnerReady: { runnerBox.set($0) })
                } whileWaiting: {
                    view.tick()
                    if StopRequest.process.signal != nil { runnerBox.stopWorkers() }
                }
            }
            view.finish()
            try summarize(outcome, loaded)
        }

        func summarize(_ outcome: RunOutcome, _ p: Pipeline) throws {
            let s = outcome.schedule
            let computed = outcome.count(.computed), cached = outcome.count(.cached)
            var line = "\(p.name)\(p.shrink.isFull ? "" : " (\(p.shrink))"): \(outcome.entries.count + s.skipped.count) nodes: "
            line += computed == 0 && s.failed.isEmpty ? "nothing to compute, \(cached) cached" : "\(computed) computed, \(cached) cached"
            if !s.failed.isEmpty { line += ", \(s.failed.count) failed" }
            if !s.skipped.isEmpty { line += ", \(s.skipped.count) skipped" }
            line += " in \(formatDuration(outcome.wallSeconds)); record \(outcome.recordPath)"
            try StandardOutput.line(line)
            for (id, message) in s.failed {
                FileHandle.standardError.write(Data("asym: failed \(id): \(Asym.oneLine(message))\n".utf8))
            }
            for (id, because) in s.skipped {
                FileHandle.standardError.write(Data("asym: skipped \(id) (needs \(because), which failed)\n".utf8))
            }
            if let signal = outcome.stopped {
                throw UserError(message: "stopped by \(signalName(signal)); workers saved their checkpoints "
                                + "(run the same command again to resume)", exitCode: 128 + signal)
            }
            if !s.failed.isEmpty {
                throw UserError(message: "\(s.failed.count) node\(s.failed.count == 1 ? "" : "s") failed; "
                                + "fix and run again: finished nodes are kept", exitCode: 1)
            }
        }

        func printDryRun(_ p: Pipeline, store: ArtifactStore) throws {
            let statuses = try operational { try PipelineStatus.of(p, in: store, lastRun: RunRecord.latest(of: p.name, in: store),
                                                            reportBase: reportBase ?? FileManager.default.currentDirectoryPath) }
            let forced = try userFacing { try PipelineExecution.forcedNodes(force, in: p) }
            var toCompute = 0
            for s in statuses {
                let compute = s.state != .cached || forced.contains(s.node)
                if compute { toCompute += 1 }
                try StandardOutput.line("\(compute ? "would run" : "cached   ")  \(s.node)\(s.detail.isEmpty ? "" : "  (\(s.detail))")")
            }
            try StandardOutput.line("\(p.name): \(toCompute) of \(statuses.count) nodes would run "
                                    + "(searches add probes as they go)")
        }
    }
}

/// Loads a pipeline file, printing every diagnostic (exit 2 on any).
func loadPipeline(_ path: String) throws -> Pipeline {
    do { return try Pipeline.load(path: path) }
    catch let errors as PipelineErrors {
        FileHandle.standardError.write(Data((errors.description + "\n").utf8))
        let n = errors.diagnostics.count
        throw UserError(message: "\(path): \(n) error\(n == 1 ? "" : "s")", exitCode: 2)
    }
}

/// The path of this executable (what workers run).
func ownExecutable() throws -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if n > 0 { return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return CommandLine.arguments[0]
}

/// Runs async library code from a synchronous command, calling `whileWaiting`
/// on this thread about ten times a second (progress, signals).
func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T, whileWaiting: () -> Void) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
        done.signal()
    }
    while done.wait(timeout: .now() + 0.1) == .timedOut { whileWaiting() }
    return try box.get()
}

final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, Error>?
    func set(_ r: Result<T, Error>) { lock.lock(); result = r; lock.unlock() }
    func get() throws -> T { lock.lock(); defer { lock.unlock() }; return try result!.get() }
}

final class RunnerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var runner: LocalRunner?
    private var stopped = false
    func set(_ r: LocalRunner) { lock.lock(); runner = r; lock.unlock() }
    func stopWorkers() {
        lock.lock(); defer { lock.unlock() }
        guard !stopped, let runner else { return }
        stopped = true
        runner.stopWorkers()
    }
}

/// What `asym run` shows while it runs: on a terminal a live block (counts, the
/// runs in flight with steps/s and ETA), else a plain line per event and a
/// progress line every 10 s.
final class RunView: @unchecked Sendable {
    let pipeline: Pipeline
    let store: ArtifactStore
    let isTerminal = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()
    private var running = Set<String>()   // the nodes in flight
    private var finished = 0, failed = 0, started = 0
    private var lastPlain = monotonicSeconds()
    private var liveLines = 0
    private let begin = monotonicSeconds()

    init(pipeline: Pipeline, store: ArtifactStore) { self.pipeline = pipeline; self.store = store }

    func event(_ e: SchedulerEvent) {
        lock.lock(); defer { lock.unlock() }
        var line: String?
        switch e {
        case .started(let id, let attempt):
            started += 1
            running.insert(id)
            if attempt > 1 { line = "retrying \(id) (attempt \(attempt))" }
        case .succeeded(let id):
            running.remove(id); finished += 1
        case .retrying(let id, let message):
            running.remove(id); line = "failed \(id), will retry: \(Asym.oneLine(message))"
        case .failed(let id, _):
            running.remove(id); failed += 1   // listed with its log path at the end
        case .waiting(let id, let on):
            running.remove(id); line = "\(id) asks for \(on.count) probe run\(on.count == 1 ? "" : "s"): \(on.map { $0.split(separator: "/").last.map(String.init) ?? $0 }.joined(separator: ", "))"
        case .skipped:
            break   // listed at the end
        }
        if let line { emit(line) }
    }

    /// Called about ten times a second.
    func tick() {
        lock.lock(); defer { lock.unlock() }
        let now = monotonicSeconds()
        if isTerminal {
            guard now - lastPlain >= 0.5 else { return }
            lastPlain = now
            drawLive()
        } else if now - lastPlain >= 10 {
            lastPlain = now
            FileHandle.standardError.write(Data((summaryLine() + "\n").utf8))
        }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        clearLive()
    }

    private var names: [String: String] = [:]
    private func nodeName(_ key: String) -> String {
        if let n = names[key] { return n }
        let n = NodeSpecFile.nodeID(key: key, in: store) ?? String(key.prefix(12))
        names[key] = n
        return n
    }

    private func summaryLine() -> String {
        "[\(formatDuration(monotonicSeconds() - begin))] \(finished) done, \(running.count) running, \(failed) failed"
    }

    private func emit(_ line: String) {
        clearLive()
        FileHandle.standardError.write(Data(("asym: " + line + "\n").utf8))
    }

    private func clearLive() {
        guard liveLines > 0 else { return }
        FileHandle.standardError.write(Data(String(repeating: "\u{1B}[1A\u{1B}[2K", count: liveLines).utf8))
        liveLines = 0
    }

    private func drawLive() {
        clearLive()
        var lines = [summaryLine()]
        var etaMax = 0.0
        var shown = 0
        for (key, p) in ProgressFile.all(in: store) where kill(p.pid, 0) == 0 {
            shown += 1
            guard shown <= 12 else { continue }
            let eta = p.stepsPerSecond > 0 ? Double(p.totalSteps - p.steps) / p.stepsPerSecond : 0
            etaMax = max(etaMax, eta)
            lines.append("  \(nodeName(key))  \(p.steps)/\(p.totalSteps)  \(Int(p.stepsPerSecond)) steps/s  ETA \(formatDuration(eta))")
        }
        if shown > 12 { lines.append("  … and \(shown - 12) more") }
        if etaMax > 0 { lines[0] += "  (ETA of the runs in flight \(formatDuration(etaMax)))" }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        liveLines = lines.count
    }
}

/// The report stage's writer: figures, Table 1 and REPORT.md.
func pipelineReportWriter(base: String) -> any ReportWriter { FigureReportWriter(base: base) }

/// `--scale` and `--seeds`: a quick look at a pipeline, keyed apart from the full one.
struct ShrinkOptions: ParsableArguments {
    @Option(help: "Fraction of every budget to train for (0 < F ≤ 1); the scaled steps are part of each key.")
    var scale: Double = 1
    @Option(help: "Keep each stage's first N seeds.")
    var seeds: Int?

    func validate() throws {
        guard scale > 0, scale <= 1 else { throw ValidationError("--scale must be in (0, 1], got \(scale)") }
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1") }
    }

    var value: Shrink { Shrink(scale: scale, seeds: seeds) }
}

extension Executor: ExpressibleByArgument {}
