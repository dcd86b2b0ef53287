// The report stage: gathers, from the store only, what the stages it needs
// produced (train artifacts, evaluations, searches with their probes), the
// pipeline's docs and reference rows and the run's provenance, and hands them
// to the Report module, which writes figures, table1.md and REPORT.md.
import Foundation
import Agents
import Nets
import Report
import Store

public enum ReportAssembly {
    /// The stages whose results a report shows: those it needs, and theirs, transitively.
    static func upstreamStages(of node: PipelineNode, in pipeline: Pipeline) -> Set<String> {
        var out = Set<String>(), stack = [node.stage]
        let byName = Dictionary(pipeline.stages.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        while let s = stack.popLast() {
            for n in byName[s]?.needs ?? [] where out.insert(n).inserted { stack.append(n) }
        }
        return out
    }

    public static func input(for node: PipelineNode, pipeline: Pipeline, store: ArtifactStore,
                             ledger: [RunLedger.Entry]) throws -> ReportInput {
        guard case .report(let spec) = node.spec else { throw PipelineRunError.specFile(path: node.id, why: "not a report node") }
        let stages = upstreamStages(of: node, in: pipeline)
        let cachedNow = Dictionary(ledger.map { ($0.node, $0.disposition == .cached) }, uniquingKeysWith: { a, _ in a })
        var trainRuns: [ReportInput.TrainRun] = [], evaluations: [ReportInput.Evaluation] = []
        var searches: [ReportInput.Search] = []
        var seenTrain = Set<String>()

        func addTrain(_ n: PipelineNode, _ t: TrainSpec) throws {
            let key = try TrainKeyCache.shared.key(t)
            guard seenTrain.insert(n.id).inserted, case .found(let artifact) = try store.lookup(key) else { return }
            trainRuns.append(.init(stage: n.stage, node: n.id, key: key, algorithm: t.algorithm.rawValue,
                                   environment: t.environment, actorHidden: t.actor, criticHidden: t.critic, seed: t.seed,
                                   cached: cachedNow[n.id] ?? true,
                                   computeSeconds: artifact.attributes["wall_time_seconds"].flatMap(Double.init),
                                   artifact: artifact))
        }

        for n in pipeline.graph.nodes where stages.contains(n.stage) {
            switch n.spec {
            case .train(let t): try addTrain(n, t)
            case .evaluate(let e):
                guard let key = try NodeKeys.key(of: n), case .found(let a) = try store.lookup(key) else { continue }
                evaluations.append(.init(stage: n.stage, node: n.id, key: key, trainNode: e.trainNode,
                                         returns: a.arrays["eval"]?.doubles ?? [], cached: cachedNow[n.id] ?? true,
                                         computeSeconds: a.attributes["wall_time_seconds"].flatMap(Double.init)))
            case .search(let s):
                guard case .found(let a) = try store.lookup(try SearchArtifact.key(of: n)) else { continue }
                let records = SearchArtifact.records(a)
                func probe(_ r: SizeSearch.Record) throws -> ReportInput.Probe {
                    let nodes = n.probeNodes(r.sizes)
                    for p in nodes { if case .train(let t) = p.spec { try addTrain(p, t) } }
                    let keys = try nodes.map { p -> String in
                        guard case .train(let t) = p.spec else { return "" }
                        return try TrainKeyCache.shared.key(t)
                    }
                    return .init(phase: r.phase.rawValue, actorHidden: r.sizes.actor, criticHidden: r.sizes.critic,
                                 seeds: r.seeds, returns: r.returns, passed: r.passed, decision: r.decision, runKeys: keys)
                }
                let outcome = SearchArtifact.outcome(a)
                let baseline = try records.first { $0.phase == .baseline }.map(probe)
                let probes = try records.filter { $0.phase != .baseline }.map(probe)
                searches.append(.init(stage: n.stage, node: n.id, algorithm: s.template.algorithm.rawValue,
                                      environment: s.template.environment, threshold: outcome?.threshold,
                                      tolerance: s.tolerance, passMark: outcome?.passMark, baseline: baseline,
                                      probes: probes, symmetric: outcome?.symmetric,
                                      asymmetricActor: outcome?.asymmetric?.actor, asymmetricCritic: outcome?.asymmetric?.critic,
                                      contradictions: outcome?.contradictions ?? [],
                                      reducedBudget: pipeline.shrink.isFull ? nil : pipeline.shrink.description))
            case .report: break
            }
        }

        var inference: ReportInput.Inference?
        if spec.inference {
            // Pendulum's shape (3 observations, 1 action), as the paper's Figure 5 uses a fixed task.
            let measurements = InferenceBenchmark.paperSizes.map {
                InferenceBenchmark.measure(hidden: $0, observationCount: 3, actionCount: 1)
            }
            inference = .init(measurements: measurements, cpuModel: InferenceBenchmark.cpuModel, blasKernel: Numerics.id)
        }
        let git = Provenance.git
        var budgets: [(name: String, value: String)] = []
        var seenBudget = Set<String>()
        for run in trainRuns {
            guard case .object(let spec)? = try? CanonicalJSON(parsing: run.artifact.attributes["spec"] ?? ""),
                  case .integer(let steps)? = spec["steps"] else { continue }
            let name = "\(run.algorithm) \(run.environment)"
            if seenBudget.insert(name + "\(steps)").inserted { budgets.append((name, "\(steps) steps")) }
        }
        let provenance = ReportInput.Provenance(
            commit: git.commit, dirty: git.dirty == "true", toolVersion: TrainNode.toolVersion, numericsID: Numerics.id,
            date: Date(), host: Provenance.host, budgets: budgets,
            reducedBudget: pipeline.shrink.isFull ? nil : pipeline.shrink.description)
        return ReportInput(pipeline: pipeline.name, title: spec.title, doc: pipeline.doc,
                           stages: pipeline.stages.map { .init(name: $0.name, kind: $0.kind.rawValue, doc: $0.doc) },
                           trainRuns: trainRuns, evaluations: evaluations, searches: searches, reference: spec.reference,
                           toyRollouts: ToyRollouts.figure1(trainRuns), inference: inference, provenance: provenance)
    }
}

/// The report stage's writer: figures, table1.md and REPORT.md from the Report
/// module, and the plain results table beside them.
public struct FigureReportWriter: ReportWriter {
    public let base: String
    public init(base: String) { self.base = base }

    public func folder(of node: PipelineNode, pipeline: Pipeline) -> String {
        ResultsTable.folder(of: node, pipeline: pipeline, base: base)
    }

    public func write(_ node: PipelineNode, pipeline: Pipeline, store: ArtifactStore, ledger: RunLedger) async throws {
        let folder = folder(of: node, pipeline: pipeline)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let input = try ReportAssembly.input(for: node, pipeline: pipeline, store: store, ledger: await ledger.all)
        try PipelineReport.write(input, to: folder)
        let table = try ResultsTable.markdown(for: node, pipeline: pipeline, store: store)
        try AtomicWrite.writeBytes(Array(table.utf8), to: folder + "/results.md")
    }
}
