// `asym status`: what each node of a pipeline is in the store right now, and,
// for a node whose result is missing but that an earlier run computed, why
// its key changed (DVC's `status`, with the reason spelled out).
import Foundation
import Agents
import Nets
import Store

public struct NodeStatus: Sendable {
    public enum State: String, Sendable, CaseIterable {
        case cached, running, partial, stale, failed, pending
    }
    public var node: String
    public var key: String?
    public var state: State
    /// Steps done and budget (partial, running); the reason (stale, failed).
    public var detail: String
}

public enum PipelineStatus {
    /// The state of every node, and of the probes the searches have asked for so far.
    public static func of(_ pipeline: Pipeline, in store: ArtifactStore, lastRun: RunRecord?,
                          reportBase: String = FileManager.default.currentDirectoryPath) throws -> [NodeStatus] {
        var out: [NodeStatus] = []
        var seen = Set<String>()
        var queue = pipeline.graph.nodes
        var i = 0
        while i < queue.count {
            let node = queue[i]; i += 1
            guard seen.insert(node.id).inserted else { continue }
            if case .report = node.spec {
                let folder = ResultsTable.folder(of: node, pipeline: pipeline, base: reportBase)
                let current = try ReportStamp.key(of: node, in: pipeline).map { ReportStamp.isCurrent(folder: folder, key: $0) } ?? false
                out.append(NodeStatus(node: node.id, key: nil, state: current ? .cached : .pending,
                                      detail: current ? folder : "writes \(folder)"))
                continue
            }
            let key = try NodeKeys.key(of: node)
            out.append(status(node, key: key, store: store, lastRun: lastRun))
            if case .search = node.spec {
                queue.append(contentsOf: probesReached(node, store: store).filter { !seen.contains($0.id) })
            }
        }
        return out
    }

    /// The probes a search has reached with what is in the store: the finished
    /// ones, then the one it is waiting for (replayed, as the runner replays it).
    static func probesReached(_ node: PipelineNode, store: ArtifactStore) -> [PipelineNode] {
        guard case .search(let spec) = node.spec else { return [] }
        var search = spec.makeSearch()
        var probes: [PipelineNode] = []
        while let probe = search.next {
            let nodes = node.probeNodes(probe.sizes)
            probes += nodes
            var returns: [Double] = []
            for n in nodes {
                guard case .train(let t) = n.spec, let key = try? TrainKeyCache.shared.key(t),
                      case .found(let a)? = try? store.lookup(key), let m = evaluationMean(a) else { return probes }
                returns.append(m)
            }
            search.record(returns: returns)
        }
        return probes
    }

    static func status(_ node: PipelineNode, key: String?, store: ArtifactStore, lastRun: RunRecord?) -> NodeStatus {
        guard let key else {
            return NodeStatus(node: node.id, key: nil, state: .pending, detail: "rewritten by every run")
        }
        if FileManager.default.fileExists(atPath: store.objectPath(key)) {
            return NodeStatus(node: node.id, key: key, state: .cached, detail: "")
        }
        let budget: Int? = { if case .train(let t) = node.spec { return t.steps } else { return nil } }()
        if let p = ProgressFile.read(key: key, in: store), kill(p.pid, 0) == 0 {
            let eta = p.stepsPerSecond > 0 ? " ETA \(Int(Double(p.totalSteps - p.steps) / p.stepsPerSecond))s" : ""
            return NodeStatus(node: node.id, key: key, state: .running,
                              detail: "step \(p.steps)/\(p.totalSteps), \(Int(p.stepsPerSecond)) steps/s\(eta) (pid \(p.pid))")
        }
        if FileManager.default.fileExists(atPath: store.partialPath(key)), let partial = try? HDF5File.open(store.partialPath(key)), let done = try? partial.attribute("steps_done") {
            return NodeStatus(node: node.id, key: key, state: .partial, detail: "step \(done)/\(budget.map(String.init) ?? "?")")
        }
        if let previous = lastRun?.nodes[node.id] {
            if previous.key == key, previous.disposition == "failed" {
                return NodeStatus(node: node.id, key: key, state: .failed, detail: previous.message ?? "failed in the last run")
            }
            if let oldKey = previous.key, oldKey != key, let reason = staleReason(node, oldKey: oldKey, store: store, lastRun: lastRun!) {
                return NodeStatus(node: node.id, key: key, state: .stale, detail: reason)
            }
        }
        return NodeStatus(node: node.id, key: key, state: .pending, detail: "")
    }

    /// Why a node's key is not the one the last run used: the code, the numerics, or spec fields.
    public static func staleReason(_ node: PipelineNode, oldKey: String, store: ArtifactStore, lastRun: RunRecord) -> String? {
        var reasons: [String] = []
        let code = RunRecord.moduleFingerprints
        let changed = code.keys.sorted().filter { lastRun.code[$0] != nil && lastRun.code[$0] != code[$0] }
        if !changed.isEmpty { reasons.append("code of \(changed.joined(separator: ", ")) changed") }
        if lastRun.numerics != Numerics.id {
            let old = lastRun.numerics.split(separator: "/").first.map(String.init) ?? lastRun.numerics
            let new = Numerics.id.split(separator: "/").first.map(String.init) ?? Numerics.id
            reasons.append(old == new ? "numerics \(lastRun.numerics) → \(Numerics.id)" : "numerics \(old) → \(new)")
        }
        if let oldNode = try? NodeSpecFile.readUnchecked(key: oldKey, in: store) {
            reasons += specDifferences(oldNode.spec, node.spec)
        }
        return reasons.isEmpty ? "key changed" : reasons.joined(separator: "; ")
    }

    /// "steps 20000 → 30000", "set.lr 0.001 → 0.0003", … between two specs of one node.
    static func specDifferences(_ a: NodeSpec, _ b: NodeSpec) -> [String] {
        guard let ta = try? a.canonical, let tb = try? b.canonical,
              let ja = try? CanonicalJSON(parsing: ta), let jb = try? CanonicalJSON(parsing: tb) else { return [] }
        var out: [String] = []
        func walk(_ x: CanonicalJSON?, _ y: CanonicalJSON?, _ path: String) {
            if x == y { return }
            if case .object(let ox)? = x, case .object(let oy)? = y {
                for k in Set(ox.keys).union(oy.keys).sorted() { walk(ox[k], oy[k], path.isEmpty ? k : path + "." + k) }
                return
            }
            let name = path.split(separator: ".").filter { !["train", "template", "_0"].contains($0) }.joined(separator: ".")
            out.append("\(name) \(x?.text ?? "unset") → \(y?.text ?? "unset")")
        }
        walk(ja, jb, "")
        return out
    }
}

extension NodeSpecFile {
    /// The node a spec file describes, without checking its key against this build.
    static func readUnchecked(key: String, in store: ArtifactStore) throws -> PipelineNode? {
        guard let data = FileManager.default.contents(atPath: path(store, key)) else { return nil }
        struct File: Decodable { var node: String; var stage: String; var spec: NodeSpec }
        let file = try JSONDecoder().decode(File.self, from: data)
        return PipelineNode(id: file.node, stage: file.stage, spec: file.spec)
    }
}

extension NodeSpecFile {
    /// The node id a spec file names (for progress views), without decoding the spec.
    public static func nodeID(key: String, in store: ArtifactStore) -> String? {
        (try? readUnchecked(key: key, in: store))??.id
    }
}
