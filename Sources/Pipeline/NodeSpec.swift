// The canonical specs of graph nodes: everything that decides a node's result
// and nothing else, so the store can key an artifact by its spec.
import Agents

/// A training run: the spec `asym train` takes, with its budget and overrides.
public struct TrainSpec: Codable, Sendable, Hashable {
    public var algorithm: Algorithm
    public var environment: String
    public var actor: [Int]
    public var critic: [Int]
    public var seed: UInt64
    public var preset: Preset
    /// Hyper-parameter overrides in the text form of `--set key=value`, values canonical.
    public var overrides: [String: String]
    public var steps: Int
    /// Episodes of the final deterministic evaluation (the run's summary).
    public var evalEpisodes: Int
    public var numerics: NumericsProfile

    public init(algorithm: Algorithm, environment: String, actor: [Int], critic: [Int], seed: UInt64,
                preset: Preset = .spinup, overrides: [String: String] = [:], steps: Int, evalEpisodes: Int = 10,
                numerics: NumericsProfile = .portable) {
        self.algorithm = algorithm; self.environment = environment; self.actor = actor; self.critic = critic
        self.seed = seed; self.preset = preset; self.overrides = overrides; self.steps = steps
        self.evalEpisodes = evalEpisodes; self.numerics = numerics
    }

    /// What `AgentFactory.make` builds the agent from.
    public var runSpec: RunSpec {
        RunSpec(algorithm: algorithm, env: environment, actorHidden: actor, criticHidden: critic, seed: seed, preset: preset)
    }

    /// The overrides in key order, as `AgentFactory.make(_:overrides:)` takes them.
    public var overrideList: [(key: String, value: String)] {
        overrides.keys.sorted().map { (key: $0, value: overrides[$0]!) }
    }

    /// Canonical JSON (sorted keys, no whitespace).
    public var canonical: String { get throws { try canonicalJSON(self) } }

    /// The id suffix `algo-env-aA-cC-sS`: a node's name within its stage.
    var idSuffix: String {
        "\(algorithm.rawValue)-\(environment)-a\(FieldValue.sizes(actor).idText)-c\(FieldValue.sizes(critic).idText)-s\(seed)"
    }
}

/// K deterministic episodes of a trained model, from its own seed stream.
public struct EvaluateSpec: Codable, Sendable, Hashable {
    /// The train node whose model is evaluated, and its spec.
    public var trainNode: String
    public var train: TrainSpec
    public var episodes: Int
    /// Seed of the evaluation environment (the stage's `eval_seed` plus the run's seed).
    public var seed: UInt64
}

/// An actor and critic hidden-size pair.
public struct SizePair: Codable, Sendable, Hashable, CustomStringConvertible {
    public var actor: [Int]
    public var critic: [Int]
    public init(actor: [Int], critic: [Int]) { self.actor = actor; self.critic = critic }
    public var description: String { "actor \(actor) critic \(critic)" }
}

/// How a search decides whether a size passes.
public enum SearchThreshold: Codable, Sendable, Hashable {
    /// Written in the pipeline (the paper's Table 1 gives one per row).
    case given(Double)
    /// The baseline's mean return over the seeds.
    case fromBaseline
}

/// One size search (one algorithm × environment): what `SizeSearch` runs and
/// how its probes become training nodes.
public struct SearchSpec: Codable, Sendable, Hashable {
    /// The probes' spec with actor, critic and seed left to fill in.
    public var template: TrainSpec
    /// Candidate hidden sizes, smallest first.
    public var sizes: [[Int]]
    public var baseline: SizePair?
    public var threshold: SearchThreshold
    /// A size passes when its mean return ≥ threshold − tolerance·|threshold|.
    public var tolerance: Double
    public var seeds: [UInt64]

    /// The training run of one probe seed.
    public func probe(_ sizes: SizePair, seed: UInt64) -> TrainSpec {
        var spec = template
        spec.actor = sizes.actor; spec.critic = sizes.critic; spec.seed = seed
        return spec
    }

    /// The state machine that decides which probes to run.
    public func makeSearch() -> SizeSearch {
        SizeSearch(sizes: sizes, seeds: seeds, threshold: threshold, tolerance: tolerance, baseline: baseline)
    }
}

/// The table of results: what it reads and the paper's numbers it shows beside ours.
public struct ReportSpec: Codable, Sendable, Hashable {
    public var title: String
    public var inputs: [String]
    public var output: String?
    public var reference: [ReferenceRow]
    /// Measure Figure 5 (inference rate against size) on this host.
    public var inference: Bool = false
}

/// What a node computes.
public enum NodeSpec: Codable, Sendable, Hashable {
    case train(TrainSpec)
    case evaluate(EvaluateSpec)
    case search(SearchSpec)
    case report(ReportSpec)

    public var kind: StageKind {
        switch self {
        case .train: return .train
        case .evaluate: return .evaluate
        case .search: return .search
        case .report: return .report
        }
    }

    public var canonical: String { get throws { try canonicalJSON(self) } }
}

/// A node of the graph: its id, spec, and the ids it waits for.
public struct PipelineNode: Sendable, Hashable, Identifiable {
    /// `stage/algo-env-a4x4-c16x16-s1` (train), `stage/<train id>` (evaluate),
    /// `stage/algo-env` (search), `stage/report`; matrix-varied fields beyond the
    /// five named ones are appended (`-zoo`, `-lr0.001`).
    public var id: String
    public var stage: String
    public var spec: NodeSpec
    public var needs: [String]
    /// The id's tail naming matrix-varied fields beyond the five (`-zoo-lr0.001`); a
    /// search's probes carry their search's variant so that two searches never share a name.
    public var variant: String
    /// Relative running cost (steps for training), for longest-chain-first scheduling.
    public var cost: Double

    public init(id: String, stage: String, spec: NodeSpec, needs: [String] = [], variant: String = "",
                cost: Double? = nil) {
        self.id = id; self.stage = stage; self.spec = spec; self.needs = needs; self.variant = variant
        self.cost = cost ?? PipelineNode.defaultCost(spec)
    }

    static func defaultCost(_ spec: NodeSpec) -> Double {
        switch spec {
        case .train(let t): return Double(t.steps)
        case .evaluate(let e): return Double(e.episodes) * 100
        case .search, .report: return 1
        }
    }

    /// A train node named `stage/algo-env-aA-cC-sS` + variant.
    public static func train(stage: String, spec: TrainSpec, variant: String = "", needs: [String] = []) -> PipelineNode {
        PipelineNode(id: "\(stage)/\(spec.idSuffix)\(variant)", stage: stage, spec: .train(spec), needs: needs,
                     variant: variant)
    }

    /// The train nodes of one probe of this search node (one per seed): ordinary
    /// train nodes in the search's stage, so the baseline and a probe of the
    /// same sizes are one node.
    public func probeNodes(_ sizes: SizePair) -> [PipelineNode] {
        guard case .search(let search) = spec else { return [] }
        return search.seeds.map { PipelineNode.train(stage: stage, spec: search.probe(sizes, seed: $0), variant: variant) }
    }
}

/// The expanded pipeline: nodes in a deterministic order in which every node
/// comes after the nodes it needs.
public struct NodeGraph: Sendable {
    public private(set) var nodes: [PipelineNode]
    private var index: [String: Int]

    public init(_ nodes: [PipelineNode]) {
        self.nodes = nodes
        index = Dictionary(nodes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public subscript(id: String) -> PipelineNode? { index[id].map { nodes[$0] } }
    public var count: Int { nodes.count }
    public func nodes(in stage: String) -> [PipelineNode] { nodes.filter { $0.stage == stage } }
}
