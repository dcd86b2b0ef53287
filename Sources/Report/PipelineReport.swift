import Foundation
import Nets
import Store

// The report stage's one entry point: a `ReportInput` (what the pipeline ran
// and found) becomes the report folder — Table 1 beside the paper's, every
// figure whose data is present (PNG, SVG, .dat, .gp) and REPORT.md with the
// stages in order. Figures are Mysore et al. 2021's: 1 (toy control),
// 2 and A.1 (toy training), 3 (smallest actors), 4 (SAC on Reacher), 5
// (inference); train stages that are not the toy problem get learning curves
// of their own, and every search a figure like Figure 4.

public enum PipelineReport {
    /// The metrics the curves read (Agents' names).
    public enum Metric {
        /// Return of each training episode, at the step it ended.
        public static let episodeReturn = "train/episode_return"
        /// Off-policy critic loss (mean over a logging window).
        public static let criticLoss = "loss/critic"
        /// On-policy value loss.
        public static let valueLoss = "loss/value"
    }

    /// Writes the report of `input` into `folder` (created if needed): Table 1
    /// as table1.md, each figure as NAME.png (pngcairo), NAME.svg, NAME.dat and
    /// NAME.gp, and REPORT.md. Returns the file names written, sorted.
    ///
    /// - Parameter gnuplot: the gnuplot to render with; nil finds it on PATH
    ///   (only when there is a figure to draw). Without gnuplot this throws
    ///   `ReportError.gnuplotMissing`, whose description is one line naming
    ///   the Debian package gnuplot-nox.
    @discardableResult
    public static func write(_ input: ReportInput, to folder: String, gnuplot: Gnuplot? = nil) throws -> [String] {
        let built = try build(input)
        return try ReportFolder.write(figures: built.figures, table1: built.table1, document: built.document,
                                      into: URL(fileURLWithPath: folder, isDirectory: true), gnuplot: gnuplot)
    }

    /// The report's parts before anything is written: the figures, Table 1's
    /// Markdown (nil when there is neither a reference nor a search) and the document.
    public static func build(_ input: ReportInput) throws -> (figures: [GnuplotFigure], table1: String?, document: ReportDocument) {
        var builder = Builder(input: input)
        return try builder.build()
    }

    /// Table 1's rows of ours, one per search that found anything, in search order.
    public static func table1Results(_ input: ReportInput) -> [Table1Result] {
        input.searches.compactMap { table1Result($0, input: input) }
    }

    static func table1Result(_ s: ReportInput.Search, input: ReportInput) -> Table1Result? {
        let all = (s.baseline.map { [$0] } ?? []) + s.probes
        func probe(actor: [Int], critic: [Int]) -> ReportInput.Probe? {
            all.first { $0.actorHidden == actor && $0.criticHidden == critic && !$0.returns.isEmpty }
        }
        func sized(_ p: ReportInput.Probe?) -> SizedResult? {
            p.map { SizedResult(actorHidden: $0.actorHidden, criticHidden: $0.criticHidden, rewards: $0.returns) }
        }
        let baseline = sized(s.baseline.flatMap { $0.returns.isEmpty ? nil : $0 })
        let symmetric = s.symmetric.flatMap { sized(probe(actor: $0, critic: $0)) }
        var asymmetric: SizedResult?
        if let a = s.asymmetricActor, let c = s.asymmetricCritic ?? s.symmetric { asymmetric = sized(probe(actor: a, critic: c)) }
        return Table1Result(environment: s.environment, algorithm: s.algorithm.uppercased(), threshold: s.threshold,
                            baseline: baseline, symmetric: symmetric, asymmetric: asymmetric, budget: nil,
                            reducedBudget: s.reducedBudget ?? input.provenance.reducedBudget)
    }

    /// The reference table: the pipeline's rows, with shapes for parameter counts.
    static func referenceTable(_ input: ReportInput) -> PaperTable1 {
        var ids: [String] = []
        for id in input.reference.map(\.environment) + input.searches.map(\.environment) where !ids.contains(id) { ids.append(id) }
        return PaperTable1(environments: ids.compactMap { shape(of: $0, input: input) }, rows: input.reference.map(\.paperRow))
    }

    /// Observations and actor outputs for Table 1's parameter counts: the
    /// paper's convention for its environments (Table1.swift), else what our
    /// stored actors show (inputs; outputs, halved for SAC's μ and log σ).
    static func shape(of environment: String, input: ReportInput) -> Table1Environment? {
        if let known = PaperTable1.published.environments.first(where: { $0.id == environment }) { return known }
        for run in input.trainRuns where run.environment == environment {
            guard let text = run.artifact.attributes["networks"], case .object(let n)? = try? CanonicalJSON(parsing: text),
                  case .object(let actor)? = n["actor"], case .array(let w)? = actor["widths"],
                  case .integer(let inputs)? = w.first, case .integer(let outputs)? = w.last else { continue }
            let halved: Bool = { if case .string("mean_log_std")? = actor["head"] { return true }; return false }()
            return Table1Environment(id: environment, observationCount: Int(inputs), actorOutputs: Int(halved ? outputs / 2 : outputs))
        }
        return nil
    }

    static func isToy(_ environment: String) -> Bool { environment.hasPrefix("ToyTracking") }
}

// MARK: - Assembly

private struct Builder {
    let input: ReportInput
    var figures: [GnuplotFigure] = []
    var outputs: [String: [ReportOutput]] = [:]

    init(input: ReportInput) { self.input = input }

    var reportStage: String? { input.stages.first { $0.kind == "report" }?.name }

    mutating func add(_ figure: GnuplotFigure, to stage: String) {
        figures.append(figure)
        outputs[stage, default: []].append(.figure(name: figure.name, caption: figure.caption))
    }

    mutating func add(_ output: ReportOutput, to stage: String) { outputs[stage, default: []].append(output) }

    mutating func build() throws -> (figures: [GnuplotFigure], table1: String?, document: ReportDocument) {
        // Results that belong to no stage of their own go to the report stage,
        // or to a closing section when the pipeline has none.
        let resultsStage = reportStage ?? "results"
        let toyStage = input.stages.first { st in input.trainRuns.contains { $0.stage == st.name && PipelineReport.isToy($0.environment) } }?.name

        for stage in input.stages {
            switch stage.kind {
            case "train": try trainOutputs(stage.name, toyStage: toyStage)
            case "evaluate": evaluateOutputs(stage.name)
            case "search": try searchOutputs(stage.name)
            default: break
            }
        }
        if toyStage == nil && !input.toyRollouts.isEmpty {
            add(try PaperFigures.figure1(input.toyRollouts, name: "figure1"), to: resultsStage)
        }

        // Table 1 and Figure 3.
        let results = PipelineReport.table1Results(input)
        var table1: String?
        if !results.isEmpty || !input.reference.isEmpty {
            var note = ""
            if results.isEmpty { note = "No search of this pipeline has run yet: every row of ours says so.\n\n" }
            table1 = note + Table1Markdown.render(results: results, paper: PipelineReport.referenceTable(input))
            add(.table(title: "Table 1 (also in [table1.md](table1.md))", markdown: table1!), to: resultsStage)
        }
        let comparisons = figure3Rows()
        if !comparisons.isEmpty { add(try PaperFigures.figure3(comparisons, name: "figure3"), to: resultsStage) }
        if let inference = input.inference, !inference.measurements.isEmpty {
            add(try InferenceBenchmark.figure5(inference.measurements, cpuModel: inference.cpuModel,
                                               blasKernel: inference.blasKernel, name: "figure5"), to: resultsStage)
        }

        var sections: [StageSection] = []
        for stage in input.stages {
            sections.append(StageSection(name: stage.name, kind: stage.kind, doc: stage.doc,
                                         outputs: outputs[stage.name] ?? [], nodes: nodes(of: stage.name)))
        }
        if reportStage == nil, let closing = outputs["results"], !closing.isEmpty {
            sections.append(StageSection(name: "results", kind: "report", doc: nil, outputs: closing, nodes: []))
        }
        let p = input.provenance
        var budgets = p.budgets
        if let r = p.reducedBudget { budgets.append(("reduced budget", r)) }
        let provenance = RunProvenance(commit: p.commit, dirty: p.dirty, toolVersion: p.toolVersion, numericsID: p.numericsID,
                                       date: p.date, host: p.host, budgets: budgets)
        let document = ReportDocument(title: input.title, pipeline: input.pipeline, stages: sections, provenance: provenance,
                                      intro: input.doc)
        return (figures, table1, document)
    }

    func nodes(of stage: String) -> [NodeProvenance] {
        input.trainRuns.filter { $0.stage == stage }.map {
            NodeProvenance(node: $0.node, key: $0.key, cached: $0.cached, computeSeconds: $0.computeSeconds)
        } + input.evaluations.filter { $0.stage == stage }.map {
            NodeProvenance(node: $0.node, key: $0.key, cached: $0.cached, computeSeconds: $0.computeSeconds)
        }
    }

    // MARK: Train stages

    /// Runs of one configuration (algorithm, environment, sizes) over seeds, in first-seen order.
    struct Configuration {
        let algorithm: String, environment: String, actor: [Int], critic: [Int]
        var runs: [ReportInput.TrainRun]
    }

    static func configurations(_ runs: [ReportInput.TrainRun]) -> [Configuration] {
        var out: [Configuration] = []
        for r in runs {
            if let i = out.firstIndex(where: { $0.algorithm == r.algorithm && $0.environment == r.environment
                                               && $0.actor == r.actorHidden && $0.critic == r.criticHidden }) {
                out[i].runs.append(r)
            } else {
                out.append(Configuration(algorithm: r.algorithm, environment: r.environment, actor: r.actorHidden,
                                         critic: r.criticHidden, runs: [r]))
            }
        }
        return out
    }

    static func series(_ run: ReportInput.TrainRun, _ metric: String) -> [(step: Double, value: Double)] {
        run.artifact.metric(metric).map { (Double($0.step), $0.value) }
    }

    /// The value-loss metric a run logged: the critic's (off-policy) or the value function's (on-policy).
    static func lossMetric(_ runs: [ReportInput.TrainRun]) -> String {
        runs.contains { !$0.artifact.metric(PipelineReport.Metric.criticLoss).isEmpty }
            ? PipelineReport.Metric.criticLoss : PipelineReport.Metric.valueLoss
    }

    static func curve(_ label: String, _ runs: [ReportInput.TrainRun], _ metric: String) -> Curve {
        Curve.overSeeds(label: label, runs: runs.map { series($0, metric) })
    }

    mutating func trainOutputs(_ stage: String, toyStage: String?) throws {
        let runs = input.trainRuns.filter { $0.stage == stage }
        guard !runs.isEmpty else { add(.text("No run of this stage has a result yet."), to: stage); return }
        add(.table(title: "Runs", markdown: runTable(runs)), to: stage)
        let configs = Self.configurations(runs)
        add(.table(title: "Over seeds", markdown: configurationTable(configs)), to: stage)

        // Figures 2 and A.1 collect the toy runs of every stage into the first toy stage.
        if stage == toyStage {
            if !input.toyRollouts.isEmpty { add(try PaperFigures.figure1(input.toyRollouts, name: "figure1"), to: stage) }
            let toy = Self.configurations(input.trainRuns.filter { PipelineReport.isToy($0.environment) })
            for (name, number, algorithms) in [("figure2", "2", ["ddpg", "trpo"]), ("figureA1", "A.1", ["sac", "td3", "ppo"])] {
                let panels = algorithms.compactMap { algo -> PaperFigures.ToyTraining? in
                    let group = toy.filter { $0.algorithm.lowercased() == algo }
                    guard !group.isEmpty else { return nil }
                    let loss = Self.lossMetric(group.flatMap(\.runs))
                    return PaperFigures.ToyTraining(
                        algorithm: algo.uppercased(),
                        rewards: group.map { Self.curve(toyLabel($0), $0.runs, PipelineReport.Metric.episodeReturn) },
                        valueLosses: group.map { Self.curve(toyLabel($0), $0.runs, loss) })
                }
                if !panels.isEmpty { add(try PaperFigures.toyTraining(panels, name: name, number: number), to: stage) }
            }
        }
        let other = configs.filter { !PipelineReport.isToy($0.environment) }
        if !other.isEmpty { add(try learningCurves(stage, other), to: stage) }
    }

    /// The paper's Figure 2 labels: sizes count the output layer, "[4,4,1]" when symmetric.
    func toyLabel(_ c: Configuration) -> String {
        let a = paperSizeLabel(hidden: c.actor, outputs: 1), k = paperSizeLabel(hidden: c.critic, outputs: 1)
        return c.actor == c.critic ? a : "actor \(a), critic \(k)"
    }

    /// Rewards and losses over training for a train stage that is not the toy
    /// problem: a row per (algorithm, environment), one curve per size pair.
    func learningCurves(_ stage: String, _ configs: [Configuration]) throws -> GnuplotFigure {
        var groups: [(String, String)] = []
        for c in configs where !groups.contains(where: { $0 == (c.algorithm, c.environment) }) { groups.append((c.algorithm, c.environment)) }
        var rewards: [CurvePanel] = [], losses: [CurvePanel] = []
        for (algo, env) in groups {
            let group = configs.filter { $0.algorithm == algo && $0.environment == env }
            let loss = Self.lossMetric(group.flatMap(\.runs))
            func label(_ c: Configuration) -> String { "actor \(hiddenSizeLabel(c.actor)), critic \(hiddenSizeLabel(c.critic))" }
            let title = "\(algo.uppercased()) on \(env)"
            rewards.append(CurvePanel(title: "\(title): reward", xLabel: "environment steps",
                                      yLabel: "episode return (mean ± std over seeds)",
                                      curves: group.map { Self.curve(label($0), $0.runs, PipelineReport.Metric.episodeReturn) },
                                      keyPosition: "bottom right"))
            losses.append(CurvePanel(title: "\(title): \(loss == PipelineReport.Metric.criticLoss ? "critic" : "value") loss",
                                     xLabel: "environment steps", yLabel: "\(loss == PipelineReport.Metric.criticLoss ? "Q" : "value") loss (MSE, log scale)",
                                     curves: group.map { Self.curve(label($0), $0.runs, loss) }, logY: true, keyPosition: "top right"))
        }
        let seeds = configs.map(\.runs.count).max() ?? 0
        return try CurveGrid(title: "Stage \(stage): training", rows: zip(rewards, losses).map { [$0, $1] }).figure(
            name: "curves-\(fileStem(stage))",
            caption: "Training curves of stage \(stage): returns of training episodes (left) and the \(configs.contains { Self.lossMetric($0.runs) == PipelineReport.Metric.criticLoss } ? "critic" : "value") loss (right) for each actor and critic size (hidden layers). Lines are means over seeds (up to \(seeds)), bands ± one standard deviation.",
            panelWidth: 450, panelHeight: 330)
    }

    func runTable(_ runs: [ReportInput.TrainRun]) -> String {
        var out = "| node | algorithm | environment | actor | critic | seed | steps | final evaluation (mean ± std over episodes) |\n"
        out += "|---|---|---|---|---|---:|---:|---:|\n"
        for r in runs {
            let eval = r.artifact.arrays["eval"]?.doubles ?? []
            let s = Summary(eval)
            let steps = (try? TrainRunDescription(r.artifact)).map { Table1Markdown.grouped($0.steps) } ?? "-"
            out += "| \(r.node) | \(r.algorithm.uppercased()) | \(r.environment) | \(hiddenSizeLabel(r.actorHidden)) | \(hiddenSizeLabel(r.criticHidden)) | \(r.seed) | \(steps) | "
            out += eval.isEmpty ? "-" : "\(Table1Markdown.number(s.mean)) ± \(Table1Markdown.number(s.std)) (\(eval.count))"
            out += " |\n"
        }
        return out
    }

    /// Each configuration's final evaluation: the mean of each seed's episodes, then mean ± std over seeds.
    func configurationTable(_ configs: [Configuration]) -> String {
        var out = "| algorithm | environment | actor | critic | seeds | final evaluation (mean ± std over seeds) |\n"
        out += "|---|---|---|---|---:|---:|\n"
        for c in configs {
            let perSeed = c.runs.compactMap { r -> Double? in
                let e = r.artifact.arrays["eval"]?.doubles ?? []
                return e.isEmpty ? nil : Summary(e).mean
            }
            let s = Summary(perSeed)
            out += "| \(c.algorithm.uppercased()) | \(c.environment) | \(hiddenSizeLabel(c.actor)) | \(hiddenSizeLabel(c.critic)) | \(c.runs.count) | "
            out += perSeed.isEmpty ? "-" : "\(Table1Markdown.number(s.mean)) ± \(Table1Markdown.number(s.std))"
            out += " |\n"
        }
        return out
    }

    // MARK: Evaluate stages

    mutating func evaluateOutputs(_ stage: String) {
        let evals = input.evaluations.filter { $0.stage == stage }
        guard !evals.isEmpty else { add(.text("No evaluation of this stage has a result yet."), to: stage); return }
        var out = "| node | model (train node) | episodes | return (mean ± std over episodes) |\n|---|---|---:|---:|\n"
        for e in evals {
            let s = Summary(e.returns)
            out += "| \(e.node) | \(e.trainNode) | \(e.returns.count) | "
            out += e.returns.isEmpty ? "-" : "\(Table1Markdown.number(s.mean)) ± \(Table1Markdown.number(s.std))"
            out += " |\n"
        }
        add(.table(title: "Evaluations", markdown: out), to: stage)
    }

    // MARK: Search stages

    mutating func searchOutputs(_ stage: String) throws {
        let searches = input.searches.filter { $0.stage == stage }
        guard !searches.isEmpty else { add(.text("No search of this stage has a result yet."), to: stage); return }
        for s in searches {
            add(.table(title: searches.count > 1 ? "Search \(s.node)" : nil, markdown: searchSummary(s)), to: stage)
            if let figure = try searchFigure(s, unique: searches.count == 1) { add(figure, to: stage) }
        }
    }

    func searchSummary(_ s: ReportInput.Search) -> String {
        let n = Table1Markdown.number
        var out = "\(s.algorithm.uppercased()) on \(s.environment): threshold \(s.threshold.map(n) ?? "from the baseline"), "
        out += "tolerance \(n(s.tolerance * 100)) %"
        if let m = s.passMark { out += ", so a size passes when its mean return over seeds is at least \(n(m))" }
        out += ".\n\n| phase | actor | critic | seeds | return (mean ± std over seeds) | passed | decision |\n|---|---|---|---:|---:|---|---|\n"
        for p in (s.baseline.map { [$0] } ?? []) + s.probes {
            let sum = Summary(p.returns)
            out += "| \(p.phase) | \(hiddenSizeLabel(p.actorHidden)) | \(hiddenSizeLabel(p.criticHidden)) | \(p.seeds.count) | "
            out += p.returns.isEmpty ? "-" : "\(n(sum.mean)) ± \(n(sum.std))"
            out += " | \(p.passed ? "yes" : "no") | \(p.decision.replacingOccurrences(of: "|", with: "\\|")) |\n"
        }
        out += "\n"
        if let sym = s.symmetric {
            out += "Smallest symmetric size: **\(hiddenSizeLabel(sym))**. "
            if let a = s.asymmetricActor {
                out += "Smallest actor with the critic locked at \(hiddenSizeLabel(s.asymmetricCritic ?? sym)): **\(hiddenSizeLabel(a))**"
                if let shape = PipelineReport.shape(of: s.environment, input: input) {
                    let small = shape.actorParameters(a), big = shape.actorParameters(sym)
                    out += String(format: " (%@ of %@ actor weights and biases, %.2f%% fewer)", Table1Markdown.grouped(small),
                                  Table1Markdown.grouped(big), ParameterCount.reductionPercent(small: small, baseline: big))
                }
                out += ".\n"
            } else {
                out += "The asymmetric search has not finished.\n"
            }
        } else {
            out += "No symmetric size has passed (or the search has not finished).\n"
        }
        for c in s.contradictions { out += "\nNot monotone: \(c)\n" }
        return out
    }

    /// Figure 4 for SAC on Reacher (the paper's), and the same panels for every other search.
    func searchFigure(_ s: ReportInput.Search, unique: Bool) throws -> GnuplotFigure? {
        let byKey = Dictionary(input.trainRuns.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let all = (s.baseline.map { [$0] } ?? []) + s.probes
        func runs(_ p: ReportInput.Probe) -> [ReportInput.TrainRun] { p.runKeys.compactMap { byKey[$0] } }
        var seen: [[[Int]]] = []
        func unseen(_ p: ReportInput.Probe) -> Bool {
            let id = [p.actorHidden, p.criticHidden]
            if seen.contains(id) { return false }
            seen.append(id); return true
        }
        let symmetricProbes = all.filter { $0.actorHidden == $0.criticHidden && !runs($0).isEmpty && unseen($0) }
            .sorted { $0.criticHidden.reduce(0, +) < $1.criticHidden.reduce(0, +) }
        let fixed = s.asymmetricCritic ?? s.symmetric
        seen = []
        let actorProbes = all.filter { $0.criticHidden == fixed && !runs($0).isEmpty && unseen($0) }
            .sorted { $0.actorHidden.reduce(0, +) < $1.actorHidden.reduce(0, +) }
        guard !symmetricProbes.isEmpty || !actorProbes.isEmpty else { return nil }
        let loss = Self.lossMetric(all.flatMap(runs))
        let criticSweep = symmetricProbes.map { Self.curve("[c] = [a] = \(hiddenSizeLabel($0.criticHidden))", runs($0), loss) }
        let actorSweep = actorProbes.map { Self.curve("[a] \(hiddenSizeLabel($0.actorHidden))", runs($0), loss) }
        // Returns of the actor sweep; without one (no size passed), of the symmetric sizes.
        let returns = actorProbes.isEmpty
            ? symmetricProbes.map { Self.curve("[c] = [a] = \(hiddenSizeLabel($0.criticHidden))", runs($0), PipelineReport.Metric.episodeReturn) }
            : actorProbes.map { Self.curve("[a] \(hiddenSizeLabel($0.actorHidden))", runs($0), PipelineReport.Metric.episodeReturn) }
        let isFigure4 = s.algorithm.lowercased() == "sac" && s.environment.hasPrefix("Reacher")
        let name = isFigure4 && unique ? "figure4" : "search-\(fileStem(s.stage))" + (unique ? "" : "-\(fileStem(s.node))")
        return try PaperFigures.figure4(criticSweep: criticSweep, actorSweep: actorSweep, returns: returns,
                                        fixedCritic: fixed ?? [], algorithm: s.algorithm.uppercased(),
                                        environment: s.environment, name: name, number: isFigure4 ? "4" : nil,
                                        loss: loss == PipelineReport.Metric.criticLoss ? ("Q loss", "Q-value loss") : ("value loss", "value loss"))
    }

    // MARK: Figure 3

    func figure3Rows() -> [PaperFigures.SizeComparison] {
        input.searches.compactMap { s in
            guard let r = PipelineReport.table1Result(s, input: input), let sym = r.symmetric, let asym = r.asymmetric,
                  let shape = PipelineReport.shape(of: s.environment, input: input) else { return nil }
            let baselineActor = s.baseline?.actorHidden
                ?? input.reference.first { $0.environment == s.environment && $0.algorithm.lowercased() == s.algorithm.lowercased() }?.baseline
            guard let baselineActor else { return nil }
            return PaperFigures.SizeComparison(environment: s.environment, algorithm: s.algorithm.uppercased(),
                                               baselineParameters: shape.actorParameters(baselineActor),
                                               symmetricParameters: shape.actorParameters(sym.actorHidden),
                                               asymmetricParameters: shape.actorParameters(asym.actorHidden),
                                               symmetricReward: sym.summary, asymmetricReward: asym.summary)
        }
    }
}

/// A stage or node name as a file name: letters, digits, '-', '_' and '.' kept, the rest '_'.
func fileStem(_ name: String) -> String {
    String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
}
