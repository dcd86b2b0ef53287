// The pipeline file's vocabulary: stage kinds, the fields a node is built
// from, and which keys each part of the file accepts. The format is
// described with an example in pipelines/README.md.
import Agents
import Report

/// What a stage does with its nodes.
public enum StageKind: String, CaseIterable, Codable, Sendable {
    /// Trains one agent per matrix combination.
    case train
    /// Deterministic evaluation episodes of each model a train stage made.
    case evaluate
    /// The paper's size search: baseline, symmetric, then asymmetric binary search.
    case search
    /// The table of results (and, later, the figures and REPORT.md).
    case report
}

/// The evaluate stage's defaults, which the report's own rollouts (Figure 1) share.
enum EvaluationDefaults {
    /// `episodes`: deterministic episodes per model.
    static let episodes = 10
    /// `eval_seed`: the first seed of the evaluation stream, away from the training seeds.
    static let seed: UInt64 = 10_000
}

/// How a node's numbers are computed (the BLAS kernel choice; part of every key).
public enum NumericsProfile: String, CaseIterable, Codable, Sendable {
    /// One fixed kernel on any x86-64 with AVX2+FMA: the same bits on every such machine.
    case portable
    /// The fastest kernel for this CPU, keyed apart.
    case native
}

/// The fields a training node is built from. Any of them may be set in
/// `defaults`, in a stage, or varied by a stage's `matrix`.
enum NodeField: String, CaseIterable, Sendable {
    case algorithm, environment, actor, critic, seed, preset, steps
    case evalEpisodes = "eval_episodes"
    case numerics

    static let names = allCases.map(\.rawValue)
    /// The fields a search stage takes from its probes instead of the file.
    static let probeFields: Set<NodeField> = [.actor, .critic, .seed]
}

/// A typed value of a node field or hyper-parameter, parsed once where it is written.
enum FieldValue: Hashable, Sendable {
    case algorithm(Algorithm)
    case environment(String)
    case sizes([Int])
    case seed(UInt64)
    case preset(Preset)
    case count(Int)
    case numerics(NumericsProfile)
    /// A hyper-parameter value in the canonical text form `--set` takes.
    case hyper(String)

    /// How the value reads in a node id (`a16x16`, `s3`, `zoo`, `lr0.001`).
    var idText: String {
        switch self {
        case .algorithm(let a): return a.rawValue
        case .environment(let e): return e
        case .sizes(let s): return s.isEmpty ? "lin" : s.map(String.init).joined(separator: "x")
        case .seed(let s): return String(s)
        case .preset(let p): return p.rawValue
        case .count(let n): return String(n)
        case .numerics(let n): return n.rawValue
        case .hyper(let h): return h.replacingOccurrences(of: ",", with: "x")
        }
    }
}

/// The keys each part of a pipeline file accepts.
enum Keys {
    static let top = ["name", "doc", "defaults", "stages"]
    static let common = ["kind", "needs", "doc"]
    static let defaults = NodeField.names + ["set", "slurm"]
    static let search = ["sizes", "baseline", "threshold", "tolerance", "seeds"]
    static let evaluate = ["episodes", "eval_seed"]
    static let report = ["title", "output", "reference", "inference"]
    static let reference = ["algorithm", "environment", "threshold", "baseline", "baseline_reward", "symmetric",
                            "symmetric_reward", "actor", "critic", "asymmetric_reward", "reduction"]

    static func stage(_ kind: StageKind) -> [String] {
        switch kind {
        case .train: return common + NodeField.names + ["set", "matrix", "slurm"]
        case .evaluate: return common + evaluate + ["slurm"]
        case .search:
            return common + NodeField.names.filter { !["actor", "critic", "seed"].contains($0) } + ["set", "matrix", "slurm"] + search
        case .report: return common + report   // runs in the coordinator: no job, no `slurm`
        }
    }
}

/// One row of the paper's Table 1, as a report stage's `reference:` gives it:
/// the Report module's type, so the report reads it as parsed.
public typealias ReferenceRow = Table1Reference

/// What a stage is, for the report and `asym status` (its nodes are in the graph).
public struct StageInfo: Sendable, Hashable {
    public var name: String
    public var kind: StageKind
    public var needs: [String]
    /// Markdown the report shows above the stage's outputs.
    public var doc: String?
    /// What its Slurm jobs ask for (`slurm:` of the stage over that of `defaults`); never part of a key.
    public var resources = SlurmResources()
}
