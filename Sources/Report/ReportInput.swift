import Foundation
import Store

/// Everything the report stage hands to `PipelineReport.write`: the pipeline
/// as written (stages in file order, with their `doc:` Markdown), what each
/// stage produced (train artifacts, evaluations, searches), the reference
/// rows of Table 1 the pipeline file carries, and the run's provenance.
///
/// How the report stage fills it (Pipeline owns the values, Report only reads them):
/// - `stages`: every stage of the pipeline in file order, the report stage
///   included (its section holds Table 1 and Figure 3).
/// - `trainRuns`: one entry per train node whose artifact exists, from train
///   stages *and* the train nodes a search made for its probes (`stage` is
///   then the search stage's name), in graph order. `artifact` is the stored
///   object (`ArtifactStore.lookup`), which supplies metrics, `eval` and weights.
/// - `evaluations`: one per evaluate node, `returns` its episode returns.
/// - `searches`: one per search node (a stage with a matrix has several),
///   from `SizeSearch.records`/`outcome`: `baseline` is the baseline
///   phase's record, `probes` the symmetric and asymmetric records in the
///   order the search made them, each with the keys of its train nodes (one
///   per seed, in seed order).
/// - `reference`: the report stage's `reference:` rows, field for field
///   (Pipeline's `ReferenceRow` is `Table1Reference`).
/// - `toyRollouts`: evaluation episodes of trained toy actors for Figure 1
///   (Pipeline can step the toy environment; Report cannot). Empty: no Figure 1.
/// - `inference`: Figure 5's measurements (`InferenceBenchmark.measure`) when
///   the report stage measured them. nil: no Figure 5.
///
/// Same input, same bytes: every file the report writes depends on this value
/// alone, and only REPORT.md's date line depends on `provenance.date`.
public struct ReportInput: Sendable {
    /// One stage of the pipeline file.
    public struct Stage: Sendable, Equatable {
        public var name: String
        /// "train", "evaluate", "search" or "report" (Pipeline's `StageKind.rawValue`).
        public var kind: String
        /// The stage's `doc:` Markdown, as written.
        public var doc: String?
        public init(name: String, kind: String, doc: String? = nil) { self.name = name; self.kind = kind; self.doc = doc }
    }

    /// One train node and its stored artifact.
    public struct TrainRun: Sendable {
        /// The stage the node belongs to (a search stage for probe runs).
        public var stage: String
        /// The node id as the pipeline shows it (`pendulum[a4x4,s1]`).
        public var node: String
        public var key: String
        /// Pipeline's algorithm raw value ("td3"); shown upper-cased.
        public var algorithm: String
        public var environment: String
        public var actorHidden: [Int]
        public var criticHidden: [Int]
        public var seed: UInt64
        /// Found in the store (true) or computed by this run.
        public var cached: Bool
        /// Seconds of compute (the artifact's `wall_time_seconds` when cached).
        public var computeSeconds: Double?
        public var artifact: Artifact

        public init(stage: String, node: String, key: String, algorithm: String, environment: String,
                    actorHidden: [Int], criticHidden: [Int], seed: UInt64, cached: Bool, computeSeconds: Double?,
                    artifact: Artifact) {
            self.stage = stage; self.node = node; self.key = key; self.algorithm = algorithm
            self.environment = environment; self.actorHidden = actorHidden; self.criticHidden = criticHidden
            self.seed = seed; self.cached = cached; self.computeSeconds = computeSeconds; self.artifact = artifact
        }
    }

    /// One evaluate node: fresh deterministic episodes of a trained model.
    public struct Evaluation: Sendable, Equatable {
        public var stage: String
        public var node: String
        public var key: String
        /// The train node whose model was evaluated.
        public var trainNode: String
        /// One return per episode.
        public var returns: [Double]
        public var cached: Bool
        public var computeSeconds: Double?

        public init(stage: String, node: String, key: String, trainNode: String, returns: [Double],
                    cached: Bool, computeSeconds: Double?) {
            self.stage = stage; self.node = node; self.key = key; self.trainNode = trainNode
            self.returns = returns; self.cached = cached; self.computeSeconds = computeSeconds
        }
    }

    /// One probe of a size search (Pipeline's `SizeSearch.Record`).
    public struct Probe: Sendable, Equatable {
        /// "baseline", "symmetric" or "asymmetric".
        public var phase: String
        public var actorHidden: [Int]
        public var criticHidden: [Int]
        public var seeds: [UInt64]
        /// One return per seed (the value the search decided on), in seed order.
        public var returns: [Double]
        public var passed: Bool
        /// The search's sentence for this probe.
        public var decision: String
        /// Keys of the probe's train nodes, one per seed in seed order (their
        /// `TrainRun`s carry the loss curves of Figure 4).
        public var runKeys: [String]

        public init(phase: String, actorHidden: [Int], criticHidden: [Int], seeds: [UInt64], returns: [Double],
                    passed: Bool, decision: String, runKeys: [String]) {
            self.phase = phase; self.actorHidden = actorHidden; self.criticHidden = criticHidden; self.seeds = seeds
            self.returns = returns; self.passed = passed; self.decision = decision; self.runKeys = runKeys
        }
    }

    /// One size search (Mysore et al. 2021, §4) and what it found.
    public struct Search: Sendable, Equatable {
        public var stage: String
        /// The search node's id (shown when a stage has several searches).
        public var node: String
        public var algorithm: String
        public var environment: String
        /// The threshold in force (given, or the baseline's mean).
        public var threshold: Double?
        public var tolerance: Double
        /// threshold − tolerance·|threshold|.
        public var passMark: Double?
        public var baseline: Probe?
        /// Symmetric then asymmetric probes, in the order the search made them.
        public var probes: [Probe]
        /// The smallest passing symmetric size; nil when none passed (or not finished).
        public var symmetric: [Int]?
        /// The smallest passing actor with the critic locked at `symmetric`.
        public var asymmetricActor: [Int]?
        public var asymmetricCritic: [Int]?
        /// Probe pairs contradicting "larger passes if smaller does" (`Outcome.contradictions`).
        public var contradictions: [String]
        /// How this search's budget was cut, when it was ("scale 0.1"); nil
        /// falls back to `Provenance.reducedBudget`.
        public var reducedBudget: String?

        public init(stage: String, node: String, algorithm: String, environment: String, threshold: Double?,
                    tolerance: Double, passMark: Double?, baseline: Probe?, probes: [Probe], symmetric: [Int]?,
                    asymmetricActor: [Int]?, asymmetricCritic: [Int]?, contradictions: [String] = [],
                    reducedBudget: String? = nil) {
            self.stage = stage; self.node = node; self.algorithm = algorithm; self.environment = environment
            self.threshold = threshold; self.tolerance = tolerance; self.passMark = passMark; self.baseline = baseline
            self.probes = probes; self.symmetric = symmetric; self.asymmetricActor = asymmetricActor
            self.asymmetricCritic = asymmetricCritic; self.contradictions = contradictions; self.reducedBudget = reducedBudget
        }
    }

    /// Where the results came from.
    public struct Provenance: Sendable {
        public var commit: String
        public var dirty: Bool
        public var toolVersion: String
        public var numericsID: String
        /// The only input that may differ between two byte-identical reports.
        public var date: Date
        public var host: String?
        /// Budgets in force, shown in this order ("steps" → "100,000 (paper: 1,000,000)").
        public var budgets: [(name: String, value: String)]
        /// The pipeline's budget reduction in words ("scale 0.1"), nil at the full budget.
        public var reducedBudget: String?

        public init(commit: String, dirty: Bool, toolVersion: String, numericsID: String, date: Date,
                    host: String? = nil, budgets: [(name: String, value: String)] = [], reducedBudget: String? = nil) {
            self.commit = commit; self.dirty = dirty; self.toolVersion = toolVersion; self.numericsID = numericsID
            self.date = date; self.host = host; self.budgets = budgets; self.reducedBudget = reducedBudget
        }
    }

    /// Figure 5's data.
    public struct Inference: Sendable {
        public var measurements: [InferenceMeasurement]
        public var cpuModel: String
        public var blasKernel: String
        public init(measurements: [InferenceMeasurement], cpuModel: String, blasKernel: String) {
            self.measurements = measurements; self.cpuModel = cpuModel; self.blasKernel = blasKernel
        }
    }

    /// The pipeline's `name:`.
    public var pipeline: String
    /// The report stage's `title:` (else the pipeline's name).
    public var title: String
    /// The pipeline's top-level `doc:` Markdown.
    public var doc: String?
    public var stages: [Stage]
    public var trainRuns: [TrainRun]
    public var evaluations: [Evaluation]
    public var searches: [Search]
    public var reference: [Table1Reference]
    public var toyRollouts: [ToyRollout]
    public var inference: Inference?
    public var provenance: Provenance

    public init(pipeline: String, title: String, doc: String? = nil, stages: [Stage], trainRuns: [TrainRun] = [],
                evaluations: [Evaluation] = [], searches: [Search] = [], reference: [Table1Reference] = [],
                toyRollouts: [ToyRollout] = [], inference: Inference? = nil, provenance: Provenance) {
        self.pipeline = pipeline; self.title = title; self.doc = doc; self.stages = stages; self.trainRuns = trainRuns
        self.evaluations = evaluations; self.searches = searches; self.reference = reference
        self.toyRollouts = toyRollouts; self.inference = inference; self.provenance = provenance
    }
}

/// One row of the paper's Table 1 as a pipeline file's report stage gives it
/// (`reference:`; Pipeline's `ReferenceRow` is this type). Absent entries
/// (the paper's "-") are nil; rewards are [mean, std].
public struct Table1Reference: Sendable, Hashable, Codable {
    public var algorithm: String
    public var environment: String
    public var threshold: Double?
    public var baseline: [Int]?
    public var baselineReward: [Double]?
    public var symmetric: [Int]?
    public var symmetricReward: [Double]?
    public var actor: [Int]?
    public var critic: [Int]?
    public var asymmetricReward: [Double]?
    /// The paper's "Reduction" column as a fraction (0.8838 for 88.38 %).
    public var reduction: Double?

    public init(algorithm: String, environment: String, threshold: Double? = nil, baseline: [Int]? = nil,
                baselineReward: [Double]? = nil, symmetric: [Int]? = nil, symmetricReward: [Double]? = nil,
                actor: [Int]? = nil, critic: [Int]? = nil, asymmetricReward: [Double]? = nil, reduction: Double? = nil) {
        self.algorithm = algorithm; self.environment = environment; self.threshold = threshold; self.baseline = baseline
        self.baselineReward = baselineReward; self.symmetric = symmetric; self.symmetricReward = symmetricReward
        self.actor = actor; self.critic = critic; self.asymmetricReward = asymmetricReward; self.reduction = reduction
    }

    /// As the Markdown table's paper row reads it (algorithm upper-cased, as the paper writes it).
    var paperRow: PaperTable1Row {
        func stat(_ v: [Double]?) -> RewardStat? {
            guard let v, v.count == 2 else { return nil }
            return RewardStat(mean: v[0], std: v[1])
        }
        return PaperTable1Row(environment: environment, algorithm: algorithm.uppercased(), threshold: threshold,
                              baseline: baseline ?? [], baselineReward: stat(baselineReward) ?? RewardStat(mean: .nan, std: .nan),
                              symmetric: symmetric, symmetricReward: stat(symmetricReward), asymmetricActor: actor,
                              reductionPercent: reduction.map { $0 * 100 }, critic: critic, asymmetricReward: stat(asymmetricReward))
    }
}
