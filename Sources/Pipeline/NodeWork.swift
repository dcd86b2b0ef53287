// What each node kind computes and where its result lives in the store: the
// key that names it, whether it is already there, and how to compute it. The
// executors decide only where that runs (in this process, a worker process,
// a Slurm job); every one of them ends in these functions, so a result never
// depends on where it was computed.
import Foundation
import Agents
import Nets
import Store

extension TrainSpec {
    /// The store-backed run this spec describes.
    public func makeTrainNode() throws -> TrainNode {
        try TrainNode(spec: runSpec, overrides: overrideList, steps: steps,
                      evaluation: RunResult.EvaluationProtocol(episodes: evalEpisodes))
    }
}

/// An evaluate node: K deterministic episodes of a stored model, from a seed
/// stream of their own, kept as an artifact of its own.
public struct EvaluateNode {
    public let spec: EvaluateSpec
    public let train: TrainNode
    public let key: String
    public let canonicalSpec: CanonicalJSON

    public init(_ spec: EvaluateSpec) throws {
        self.spec = spec
        train = try spec.train.makeTrainNode()
        canonicalSpec = Self.canonicalSpec(spec, model: train.key)
        key = ArtifactKey.compute(spec: canonicalSpec, inputs: [train.key])
    }

    static func canonicalSpec(_ spec: EvaluateSpec, model: String) -> CanonicalJSON {
        .object(["kind": .string("evaluate"), "model": .string(model), "episodes": .integer(Int64(spec.episodes)),
                 "seed": spec.seed <= UInt64(Int64.max) ? .integer(Int64(spec.seed)) : .string(String(spec.seed))])
    }

    /// The key without building the node (what `asym status` needs).
    static func key(of spec: EvaluateSpec) throws -> String {
        let model = try TrainKeyCache.shared.key(spec.train)
        return ArtifactKey.compute(spec: canonicalSpec(spec, model: model), inputs: [model])
    }

    public func run(in store: ArtifactStore) throws -> TrainNode.Outcome {
        if case .found(let artifact) = try store.lookup(key) { return .cached(artifact) }
        guard case .found(let model) = try store.lookup(train.key) else {
            throw PipelineRunError.missingInput(node: spec.trainNode, key: train.key)
        }
        let agent = try AgentFactory.make(train.runSpec, overrides: train.overrides)
        try agent.loadPolicy(model.state(under: "policy"))
        let started = monotonicSeconds()
        let returns = agent.evaluate(episodes: spec.episodes, seed: spec.seed)
        if let bad = returns.first(where: { !$0.isFinite }) { throw RunResultError.nonFiniteReturn(bad) }
        let result = RunResult(returns: returns)
        var summary = result.summary(of: agent, stepsPerSecond: 0)
        summary.steps = train.steps   // the model's training steps (this agent only loaded its policy)
        var artifact = Artifact()
        let git = Provenance.git
        artifact.attributes = [
            "kind": "evaluate", "key": key, "spec": canonicalSpec.text, "model": train.key,
            "tool_version": TrainNode.toolVersion, "git_commit": git.commit, "git_dirty": git.dirty,
            "numerics": Numerics.id, "host": Provenance.host, "created": Provenance.timestamp(),
            "wall_time_seconds": String(monotonicSeconds() - started),
            "summary": try summary.jsonLine(),
        ]
        artifact.arrays["eval"] = ShapedArray(returns)
        try store.prepareForWriting()
        try store.put(artifact)
        return .computed(artifact)
    }
}

/// Errors of running a pipeline's nodes.
public enum PipelineRunError: Error, CustomStringConvertible {
    case missingInput(node: String, key: String)
    case specFile(path: String, why: String)
    case numerics(String)

    public var description: String {
        switch self {
        case .missingInput(let node, let key):
            return "the result of \(node) (key \(key.prefix(12))) is not in the store; run the pipeline, not the node alone"
        case .specFile(let path, let why): return "\(path): \(why)"
        case .numerics(let why): return why
        }
    }
}

/// The mean return a train node's artifact reports (its final deterministic evaluation).
public func evaluationMean(_ artifact: Artifact) -> Double? {
    RunResult(returns: artifact.arrays["eval"]?.doubles ?? []).mean
}

/// A search node's artifact: every probe with its sizes, seeds, keys and returns,
/// the decision each led to, and the outcome.
public enum SearchArtifact {
    public static func key(of node: PipelineNode) throws -> String {
        ArtifactKey.compute(spec: try CanonicalJSON(parsing: try node.spec.canonical))
    }

    public static func make(node: PipelineNode, search: SizeSearch, probeKeys: [String: String]) throws -> Artifact {
        var artifact = Artifact()
        let key = try key(of: node)
        let records = try canonicalJSON(search.records)
        let outcome = try canonicalJSON(search.outcome)
        let git = Provenance.git
        artifact.attributes = [
            "kind": "search", "key": key, "node": node.id, "spec": try node.spec.canonical,
            "records": records, "outcome": outcome,
            "probe_keys": CanonicalJSON.object(probeKeys.mapValues(CanonicalJSON.string)).text,
            "tool_version": TrainNode.toolVersion, "git_commit": git.commit, "git_dirty": git.dirty,
            "numerics": Numerics.id, "host": Provenance.host, "created": Provenance.timestamp(),
        ]
        artifact.arrays["probe_means"] = ShapedArray(search.records.map(\.mean))
        return artifact
    }

    public static func records(_ artifact: Artifact) -> [SizeSearch.Record] {
        guard let text = artifact.attributes["records"] else { return [] }
        return (try? JSONDecoder().decode([SizeSearch.Record].self, from: Data(text.utf8))) ?? []
    }

    public static func outcome(_ artifact: Artifact) -> SizeSearch.Outcome? {
        guard let text = artifact.attributes["outcome"] else { return nil }
        return try? JSONDecoder().decode(SizeSearch.Outcome.self, from: Data(text.utf8))
    }
}

/// Where each node's result lives: a key in the store.
public enum NodeKeys {
    /// The node's key; nil for a report (its result is a folder, rewritten each run).
    public static func key(of node: PipelineNode) throws -> String? {
        switch node.spec {
        case .train(let t): return try TrainKeyCache.shared.key(t)
        case .evaluate(let e): return try EvaluateNode.key(of: e)
        case .search: return try SearchArtifact.key(of: node)
        case .report: return nil
        }
    }
}

/// Train keys by spec: an evaluate node, a search replay and `asym status` ask
/// for the same train keys many times over.
final class TrainKeyCache: @unchecked Sendable {
    static let shared = TrainKeyCache()
    private let lock = NSLock()
    private var keys: [TrainSpec: String] = [:]

    func key(_ spec: TrainSpec) throws -> String {
        lock.lock()
        if let k = keys[spec] { lock.unlock(); return k }
        lock.unlock()
        let k = try spec.makeTrainNode().key
        lock.lock(); keys[spec] = k; lock.unlock()
        return k
    }
}

/// The spec file a worker (`asym exec KEY`) reads: the node, by key, in the store.
public enum NodeSpecFile {
    public static func path(_ store: ArtifactStore, _ key: String) -> String { "\(store.root)/specs/\(key).json" }

    public static func write(_ node: PipelineNode, key: String, in store: ArtifactStore) throws {
        let path = path(store, key)
        if FileManager.default.fileExists(atPath: path) { return }
        try FileManager.default.createDirectory(atPath: "\(store.root)/specs", withIntermediateDirectories: true)
        let text = CanonicalJSON.object(["node": .string(node.id), "stage": .string(node.stage),
                                         "spec": try CanonicalJSON(parsing: try node.spec.canonical)]).text + "\n"
        try AtomicWrite.writeBytes(Array(text.utf8), to: path)
    }

    /// The node a spec file describes; its key must be `key` under this process's code and numerics.
    public static func read(key: String, in store: ArtifactStore) throws -> PipelineNode {
        let path = path(store, key)
        let read: PipelineNode?
        do { read = try readUnchecked(key: key, in: store) }
        catch { throw PipelineRunError.specFile(path: path, why: "not a node spec (\(error))") }
        guard let node = read else {
            throw PipelineRunError.specFile(path: path, why: "no such spec file: `asym exec` runs nodes that `asym run` prepared")
        }
        let actual = try NodeKeys.key(of: node)
        guard actual == key else {
            throw PipelineRunError.specFile(path: path, why: "gives key \(actual?.prefix(12) ?? "none") under this build "
                                            + "(numerics \(Numerics.id)): the code or numerics changed since `asym run` wrote it")
        }
        return node
    }
}
