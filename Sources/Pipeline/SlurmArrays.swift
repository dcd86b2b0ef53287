// How the Slurm executor submits work ahead of the scheduler: the train and
// evaluate nodes that must be computed are offered as soon as they join the
// graph, nodes of one stage that differ only by seed become one job array
// (sbatch(1) --array), and a node whose inputs are still being computed by
// submitted jobs waits in Slurm's queue, not in the coordinator
// (--dependency=afterok, or aftercorr between arrays whose tasks correspond).
// Then the coordinator may exit and the cluster carries on. This file is the
// plan, free of Slurm calls, so it is tested without a cluster.

/// A node that must be computed, offered to the launcher before the scheduler reaches it.
public struct AheadNode: Sendable, Hashable {
    public var id: String
    public var key: String
    public var stage: String
    /// What the node computes with its seed left out: nodes of one stage that
    /// are equal here differ only by seed, and share a job array.
    public var seedless: String
    /// Keys of the nodes it needs whose results are still to be computed.
    public var needs: [String]

    public init(id: String, key: String, stage: String, seedless: String, needs: [String] = []) {
        self.id = id; self.key = key; self.stage = stage; self.seedless = seedless; self.needs = needs
    }

    /// `node`'s spec without its seed (an evaluation keeps its seed's offset
    /// from the run's seed, and forgets which train node it reads).
    public static func seedless(_ node: PipelineNode) throws -> String {
        switch node.spec {
        case .train(var t):
            t.seed = 0
            return try NodeSpec.train(t).canonical
        case .evaluate(var e):
            e.seed = e.seed &- e.train.seed
            e.train.seed = 0
            e.trainNode = ""
            return try NodeSpec.evaluate(e).canonical
        case .search, .report:
            return try node.spec.canonical
        }
    }
}

/// A submitted job, or one task of a job array, as Slurm names it ("123", "123_4").
public struct SlurmJobRef: Sendable, Hashable, CustomStringConvertible {
    public var job: String
    public var task: Int?
    public init(job: String, task: Int? = nil) { self.job = job; self.task = task }
    public var description: String { task.map { "\(job)_\($0)" } ?? job }
}

/// A launcher that can be offered work before the scheduler reaches it.
public protocol AheadSubmitting: WorkerLauncher {
    /// Submits what it can of `nodes` (in graph order, each after what it
    /// needs); a node it leaves out is launched as usual when it is ready.
    func submitAhead(_ nodes: [AheadNode]) async
    /// Whether this run submitted the job of `key`, or found it queued: its
    /// result is then computed by this run even if the store has it when the
    /// scheduler comes to the node.
    func ranInThisRun(_ key: String) -> Bool
}

public enum SlurmPlan {
    /// The largest array submitted (Slurm's default MaxArraySize is 1001: indices 0…1000).
    public static let maxArrayTasks = 1000

    /// Nodes of one stage that differ only by seed, in order of first appearance,
    /// each group in the order given (its array task ids); groups above
    /// `maxArrayTasks` are split.
    public static func groups(_ nodes: [AheadNode]) -> [[AheadNode]] {
        struct Likeness: Hashable { var stage: String; var seedless: String }
        var order: [Likeness] = []
        var members: [Likeness: [AheadNode]] = [:]
        for node in nodes {
            let likeness = Likeness(stage: node.stage, seedless: node.seedless)
            if members[likeness] == nil { order.append(likeness) }
            members[likeness, default: []].append(node)
        }
        return order.flatMap { likeness -> [[AheadNode]] in
            let all = members[likeness]!
            return stride(from: 0, to: all.count, by: maxArrayTasks).map { Array(all[$0..<min($0 + maxArrayTasks, all.count)]) }
        }
    }

    /// The `--dependency` value of one submission whose task i computes
    /// `group[i]`, given the jobs computing the keys it needs; nil when it needs
    /// none. When task i needs exactly task i of one array (evaluations of a
    /// train array), `aftercorr` lets each task start as soon as its own input
    /// is done, and a failed input stops only its own dependant; otherwise
    /// `afterok` on every job or task needed. sbatch(1), --dependency.
    public static func dependency(of group: [AheadNode], jobs: [String: SlurmJobRef]) -> String? {
        let needed = group.map { $0.needs.compactMap { jobs[$0] } }
        if group.count > 1, let array = needed.first?.first?.job,
           needed.enumerated().allSatisfy({ i, refs in refs.count == 1 && refs[0].job == array && refs[0].task == i }) {
            return "aftercorr:\(array)"
        }
        var ids: [String] = []
        for ref in needed.joined() where !ids.contains(ref.description) { ids.append(ref.description) }
        return ids.isEmpty ? nil : "afterok:" + ids.joined(separator: ":")
    }
}
