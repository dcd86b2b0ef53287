// One `asym run`: the pipeline's graph through the scheduler and a runner,
// then the run record. The command line only parses options and shows progress.
import Foundation
import Agents
import Nets
import Store

public struct RunOptions: Sendable {
    public var jobs: Int
    /// Node ids (or stage names) to recompute even when cached.
    public var force: [String] = []
    public var worker: WorkerCommand
    public var report: any ReportWriter
    public var executor = Executor.local
    /// What the slurm executor passes to sbatch.
    public var slurm = SlurmOptions()
    public init(jobs: Int, worker: WorkerCommand, report: any ReportWriter) {
        self.jobs = jobs; self.worker = worker; self.report = report
    }
}

/// Where the workers of `asym run` run.
public enum Executor: String, Sendable, CaseIterable {
    /// Child processes of the coordinator.
    case local
    /// Slurm jobs (`SlurmLauncher`): one per node, one array per seed group.
    case slurm
}

public struct RunOutcome: Sendable {
    public var schedule: ScheduleReport
    public var entries: [RunLedger.Entry]
    public var recordPath: String
    public var stopped: Int32?
    public var wallSeconds: Double
    public func count(_ d: RunLedger.Disposition) -> Int { entries.filter { $0.disposition == d }.count }
}

public enum PipelineExecution {
    /// Every node's numerics must be this process's: keys hash the numerics id, and
    /// a worker computes under the profile it was started with.
    public static func checkNumerics(_ pipeline: Pipeline) throws {
        var asked = Set<NumericsProfile>()
        for node in pipeline.graph.nodes {
            switch node.spec {
            case .train(let t): asked.insert(t.numerics)
            case .evaluate(let e): asked.insert(e.train.numerics)
            case .search(let s): asked.insert(s.template.numerics)
            case .report: break
            }
        }
        guard let current = NumericsProfile(rawValue: Numerics.profile.rawValue) else { return }
        let other = asked.subtracting([current])
        guard other.isEmpty else {
            let names = asked.map(\.rawValue).sorted().joined(separator: ", ")
            throw PipelineRunError.numerics(asked.count == 1
                ? "\(pipeline.name) asks for numerics \(names) and this run uses \(current.rawValue): run with --numerics \(names)"
                : "\(pipeline.name) mixes numerics profiles (\(names)); one run uses one: split the pipeline")
        }
    }

    /// The node ids `force` names: node ids, stage names, or `all`.
    public static func forcedNodes(_ names: [String], in pipeline: Pipeline) throws -> Set<String> {
        var out = Set<String>()
        for name in names {
            if name == "all" { out.formUnion(pipeline.graph.nodes.map(\.id)); continue }
            if pipeline.graph[name] != nil { out.insert(name); continue }
            let ofStage = pipeline.graph.nodes(in: name)
            guard !ofStage.isEmpty else {
                throw PipelineRunError.specFile(path: "--force", why: "no node or stage named '\(name)' in \(pipeline.name)")
            }
            out.formUnion(ofStage.map(\.id))
        }
        return out
    }

    public static func run(_ pipeline: Pipeline, path: String, store: ArtifactStore, options: RunOptions,
                           stop: StopRequest = .process,
                           observe: @escaping @Sendable (SchedulerEvent) -> Void = { _ in },
                           runnerReady: @Sendable (LocalRunner) -> Void = { _ in }) async throws -> RunOutcome {
        try checkNumerics(pipeline)
        let forced = try forcedNodes(options.force, in: pipeline)
        let launcher: any WorkerLauncher
        switch options.executor {
        case .local: launcher = ProcessLauncher(store: store, worker: options.worker)
        case .slurm:
            try SlurmLauncher.checkReachable()
            launcher = SlurmLauncher(store: store, worker: options.worker, options: options.slurm,
                                     resources: Dictionary(pipeline.stages.map { ($0.name, $0.resources) },
                                                           uniquingKeysWith: { a, _ in a }),
                                     stop: stop)
        }
        try store.prepareForWriting()
        let ledger = RunLedger()
        let runner = LocalRunner(pipeline: pipeline, store: store, launcher: launcher, ledger: ledger,
                                 report: options.report, forced: forced, stop: stop)
        runnerReady(runner)
        let started = monotonicSeconds()
        let created = ISO8601DateFormatter().string(from: Date())
        let schedule = await Scheduler(jobs: options.jobs).run(pipeline.graph, runner: runner, observe: observe)
        let wall = monotonicSeconds() - started
        var entries = await ledger.all
        for (id, _) in schedule.failed where !entries.contains(where: { $0.node == id }) {
            entries.append(RunLedger.Entry(node: id, key: nil, disposition: .failed, seconds: nil))
        }
        var nodes: [String: RunRecord.Node] = [:]
        for e in entries {
            nodes[e.node] = RunRecord.Node(key: e.key, disposition: e.disposition.rawValue, seconds: e.seconds,
                                           message: schedule.failed.first { $0.id == e.node }?.message)
        }
        for (id, because) in schedule.skipped {
            nodes[id] = RunRecord.Node(key: try? pipeline.graph[id].flatMap(NodeKeys.key(of:)), disposition: "skipped",
                                       seconds: nil, message: "needs \(because), which failed")
        }
        let git = Provenance.git
        let record = RunRecord(command: "run", pipeline: path, pipelineName: pipeline.name,
                               pipelineHash: RunRecord.fileHash(path), gitCommit: git.commit, gitDirty: git.dirty,
                               toolVersion: TrainNode.toolVersion, numerics: Numerics.id, code: RunRecord.moduleFingerprints,
                               created: created, wallSeconds: wall, jobs: options.jobs, executor: options.executor.rawValue,
                               nodes: nodes, keys: Array(Set(nodes.values.compactMap(\.key))).sorted(),
                               stopped: stop.signal != nil)
        var withBudget = record
        withBudget.budget = pipeline.shrink.description
        let recordPath = try withBudget.write(in: store)
        return RunOutcome(schedule: schedule, entries: entries, recordPath: recordPath, stopped: stop.signal, wallSeconds: wall)
    }
}
