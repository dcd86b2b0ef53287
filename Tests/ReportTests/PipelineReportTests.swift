import Foundation
import Nets
import Store
import Testing
@testable import Report

/// A realistic report input made by hand: the toy problem for DDPG, TRPO and
/// TD3 at the paper's Figure 2 sizes, a Pendulum train stage with its
/// evaluations, a SAC Reacher search (Figure 4) and a TD3 Pendulum search, and
/// Table 1's reference rows for those plus one row that was not run.
struct ReportFixture {
    var input: ReportInput
    /// The stored runs of each search probe, by (stage, actor, critic).
    var probeRuns: [String: [ReportInput.TrainRun]] = [:]

    static func probeID(_ stage: String, _ actor: [Int], _ critic: [Int]) -> String { "\(stage)|\(actor)|\(critic)" }

    init(date: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        var keyCounter = 0
        func nextKey() -> String { keyCounter += 1; return fixtureKey(keyCounter) }
        var runs: [ReportInput.TrainRun] = []
        func add(_ stage: String, _ node: String, _ r: FixtureRun, cached: Bool = true) -> ReportInput.TrainRun {
            let key = nextKey()
            let run = ReportInput.TrainRun(stage: stage, node: node, key: key, algorithm: r.algorithm, environment: r.environment,
                                           actorHidden: r.actor, criticHidden: r.critic, seed: r.seed, cached: cached,
                                           computeSeconds: Double(r.steps) / 900, artifact: makeArtifact(r, key: key))
            runs.append(run)
            return run
        }

        // Stage toy: Figure 2's sizes (hidden layers; the paper's labels add the output).
        let toySizes: [([Int], [Int], Double)] = [([], [], -60), ([4, 4], [4, 4], -35), ([8, 8], [8, 8], -25),
                                                  ([16, 16], [16, 16], -20), ([], [16, 16], -22)]
        for algo in ["ddpg", "trpo", "td3"] {
            for (actor, critic, final) in toySizes {
                for seed in UInt64(1)...3 {
                    let base = FixtureRun(algorithm: algo, environment: "ToyTracking-v0", actor: actor, critic: critic, seed: seed,
                                          steps: 30_000, observationCount: 1, actorOutputs: 1,
                                          head: algo == "trpo" ? "mean" : "action",
                                          hiddenActivation: algo == "trpo" ? .tanh : .relu,
                                          outputActivation: algo == "trpo" ? .identity : .tanh)
                    let run = trainedRun(base, start: -150, final: final, loss0: algo == "trpo" ? 40 : 8,
                                         loss1: algo == "trpo" ? 2 : 0.05 * (1 + Double(critic.reduce(0, +)) / 8),
                                         episodeLength: 300, logEvery: algo == "trpo" ? 1000 : 500,
                                         lossMetric: algo == "trpo" ? "loss/value" : "loss/critic")
                    _ = add("toy", "toy[\(algo),a\(actor),c\(critic),s\(seed)]", run)
                }
            }
        }

        // Stage pendulum: two actors with one critic, and their evaluations.
        var evaluations: [ReportInput.Evaluation] = []
        for actor in [[4, 4], [16, 16]] {
            for seed in UInt64(1)...2 {
                let base = FixtureRun(algorithm: "td3", environment: "Pendulum-v0", actor: actor, critic: [16, 16], seed: seed,
                                      steps: 20_000, observationCount: 3, actorOutputs: 1)
                let r = trainedRun(base, start: -1400, final: actor == [4, 4] ? -190 : -155, loss0: 900, loss1: 4,
                                   episodeLength: 200, logEvery: 500)
                let run = add("pendulum", "pendulum[a\(actor.map(String.init).joined(separator: "x")),s\(seed)]", r, cached: seed == 1)
                let returns = (0..<5).map { r.eval[0] + 3 * jitter(Int(seed), actor[0], $0) }
                evaluations.append(ReportInput.Evaluation(stage: "evaluate", node: "evaluate[\(run.node)]", key: nextKey(),
                                                          trainNode: run.node, returns: returns, cached: false, computeSeconds: 1.5))
            }
        }

        // A search: each probe trains one run per seed; its returns are the runs' mean evaluation.
        var probeRuns: [String: [ReportInput.TrainRun]] = [:]
        func search(stage: String, algorithm: String, env: String, obs: Int, outputs: Int, head: String, steps: Int,
                    episodeLength: Int, start: Double, threshold: Double, baseline: ([Int], Double),
                    probes: [(String, [Int], [Int], Double)], symmetric: [Int]?, asymmetric: [Int]?) -> ReportInput.Search {
            let passMark = threshold - 0.1 * abs(threshold)
            func probe(_ phase: String, _ actor: [Int], _ critic: [Int], _ final: Double) -> ReportInput.Probe {
                let seeds: [UInt64] = [1, 2, 3]
                let made = seeds.map { seed -> ReportInput.TrainRun in
                    let base = FixtureRun(algorithm: algorithm, environment: env, actor: actor, critic: critic, seed: seed,
                                          steps: steps, observationCount: obs, actorOutputs: outputs, head: head,
                                          outputActivation: head == "action" ? .tanh : .identity)
                    let r = trainedRun(base, start: start, final: final, loss0: abs(start) / 4,
                                       loss1: abs(final) / 400 * (1 + 64 / Double(critic.reduce(1, +))),
                                       episodeLength: episodeLength, logEvery: steps / 50)
                    return add(stage, "\(stage)[a\(actor),c\(critic),s\(seed)]", r)
                }
                probeRuns[ReportFixture.probeID(stage, actor, critic)] = made
                let returns = made.map { ($0.artifact.arrays["eval"]!.doubles).reduce(0, +) / 5 }
                let mean = returns.reduce(0, +) / 3
                let passed = mean >= passMark
                return ReportInput.Probe(phase: phase, actorHidden: actor, criticHidden: critic, seeds: seeds, returns: returns,
                                         passed: passed, decision: "\(phase) \(actor)/\(critic) \(passed ? "passes" : "fails"): mean \(Table1Markdown.number(mean))",
                                         runKeys: made.map(\.key))
            }
            let b = probe("baseline", baseline.0, baseline.0, baseline.1)
            return ReportInput.Search(stage: stage, node: stage, algorithm: algorithm, environment: env, threshold: threshold,
                                      tolerance: 0.1, passMark: passMark, baseline: b,
                                      probes: probes.map { probe($0.0, $0.1, $0.2, $0.3) }, symmetric: symmetric,
                                      asymmetricActor: asymmetric, asymmetricCritic: symmetric)
        }
        let reacher = search(stage: "reacher", algorithm: "sac", env: "Reacher-v2", obs: 11, outputs: 4, head: "mean_log_std",
                             steps: 50_000, episodeLength: 50, start: -45, threshold: -6.5, baseline: ([256, 256], -5.2),
                             probes: [("symmetric", [32, 32], [32, 32], -9), ("symmetric", [128, 128], [128, 128], -6.1),
                                      ("symmetric", [64, 64], [64, 64], -7.6), ("asymmetric", [16, 16], [128, 128], -6.9),
                                      ("asymmetric", [4, 4], [128, 128], -11), ("asymmetric", [8, 8], [128, 128], -8.5)],
                             symmetric: [128, 128], asymmetric: [16, 16])
        let pendulumSearch = search(stage: "pendulum-search", algorithm: "td3", env: "Pendulum-v0", obs: 3, outputs: 1, head: "action",
                                    steps: 20_000, episodeLength: 200, start: -1400, threshold: -160, baseline: ([400, 300], -150),
                                    probes: [("symmetric", [16, 16], [16, 16], -152), ("symmetric", [4, 4], [4, 4], -400),
                                             ("symmetric", [8, 8], [8, 8], -230), ("asymmetric", [4, 4], [16, 16], -168),
                                             ("asymmetric", [1, 1], [16, 16], -900)],
                                    symmetric: [16, 16], asymmetric: [4, 4])

        let rollouts = [([], [16, 16], 0.95, 0.0), ([], [], 0.45, 0.25), ([4, 4], [4, 4], 0.8, -0.1)].map { (actor, critic, gain, bias) in
            var s = 0.0
            var steps: [ToyStep] = []
            for t in 0..<200 {
                let g = 0.7 * sin(Double(t) / 14) + 0.2 * sin(Double(t) / 4.3)
                let o = g - s
                let a = max(-1, min(1, gain * o + bias))
                steps.append(ToyStep(t: t, state: s, goal: g, observation: o, action: a))
                s += 0.5 * a
            }
            return ToyRollout(algorithm: "TD3", actorHidden: actor, criticHidden: critic, steps: steps)
        }

        let reference = [
            Table1Reference(algorithm: "sac", environment: "Reacher-v2", threshold: -6.5, baseline: [256, 256], baselineReward: [-5.96, 0.47],
                            symmetric: [128, 128], symmetricReward: [-6.05, 0.91], actor: [16, 16], critic: [128, 128],
                            asymmetricReward: [-6.02, 1.07], reduction: 0.9728),
            Table1Reference(algorithm: "td3", environment: "Pendulum-v0", threshold: -160, baseline: [400, 300], baselineReward: [-152.71, 9.47],
                            symmetric: [16, 16], symmetricReward: [-152.42, 6.65], actor: [4, 4], critic: [16, 16],
                            asymmetricReward: [-167.57, 14.53], reduction: 0.8838),
            Table1Reference(algorithm: "ddpg", environment: "Pendulum-v0", threshold: -160, baseline: [400, 300], baselineReward: [-145.56, 10.64],
                            symmetric: [16, 16], symmetricReward: [-150.28, 9.08], actor: [4, 4], critic: [16, 16],
                            asymmetricReward: [-158.97, 5.33], reduction: 0.8838),
        ]
        let measurements = InferenceBenchmark.paperSizes.map { hidden -> InferenceMeasurement in
            let p = ParameterCount.mlp(inputs: 11, hidden: hidden, outputs: 2)
            let hz = 4e8 / Double(p + 2000)
            return InferenceMeasurement(hidden: hidden, observationCount: 11, actionCount: 2, parameters: p, hertz: hz,
                                        hertzRange: (hz * 0.9)...(hz * 1.05), flashBytes: 4 * p + 8, ramBytes: 8 * (hidden.max() ?? 1))
        }
        input = ReportInput(
            pipeline: "paper-small", title: "Good actors, small budget",
            doc: "The paper's experiments at a tenth of the budget.",
            stages: [ReportInput.Stage(name: "toy", kind: "train", doc: "Section 3's toy problem: does a **tiny actor** learn when its critic is large?"),
                     ReportInput.Stage(name: "pendulum", kind: "train", doc: "TD3 on Pendulum with two actors."),
                     ReportInput.Stage(name: "evaluate", kind: "evaluate", doc: "Fresh episodes of each Pendulum model."),
                     ReportInput.Stage(name: "reacher", kind: "search", doc: "The size search for SAC on Reacher (Figure 4)."),
                     ReportInput.Stage(name: "pendulum-search", kind: "search", doc: nil),
                     ReportInput.Stage(name: "report", kind: "report", doc: "Table 1 and Figure 3.")],
            trainRuns: runs, evaluations: evaluations, searches: [reacher, pendulumSearch], reference: reference,
            toyRollouts: rollouts,
            inference: ReportInput.Inference(measurements: measurements, cpuModel: "Test CPU", blasKernel: "Haswell"),
            provenance: ReportInput.Provenance(commit: "0123456789abcdef0123456789abcdef01234567", dirty: false, toolVersion: "asym 0.1.0",
                                               numericsID: "openblas/Haswell", date: date, host: "test host",
                                               budgets: [("steps", "one tenth of the paper's"), ("seeds", "3 (paper: 6)")],
                                               reducedBudget: "scale 0.1"))
        self.probeRuns = probeRuns
    }
}

/// Mean and population standard deviation, computed here rather than by Report's `Summary`.
func meanStd(_ x: [Double]) -> (mean: Double, std: Double) {
    let m = x.reduce(0, +) / Double(x.count)
    return (m, (x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count)).squareRoot())
}

/// The cells of the Markdown table row that starts with `prefix`, below the heading `section`.
func tableRow(_ markdown: String, section: String, prefix: String) -> [String]? {
    guard let start = markdown.range(of: "### \(section)") else { return nil }
    let rest = markdown[start.upperBound...]
    let end = rest.range(of: "\n### ")?.lowerBound ?? rest.endIndex
    guard let line = rest[..<end].split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
    return line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
        .map { $0.trimmingCharacters(in: .whitespaces) }
}

@Suite("Pipeline report", .serialized)
struct PipelineReportTests {
    static let figureNames = ["curves-pendulum", "figure1", "figure2", "figure3", "figure4", "figure5", "figureA1", "search-pendulum-search"]

    @Test("The report over hand-made artifacts writes every file, and Table 1's rows are the artifacts' numbers")
    func writesEverything() throws {
        let fixture = ReportFixture()
        let (dir, keep) = try figureDirectory("pipeline-report")
        defer { if !keep { try? FileManager.default.removeItem(at: dir) } }
        let written = try PipelineReport.write(fixture.input, to: dir.path)
        let expected = (Self.figureNames.flatMap { n in ["dat", "gp", "png", "svg"].map { "\(n).\($0)" } } + ["REPORT.md", "table1.md"]).sorted()
        #expect(written == expected)
        for name in written {
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            #expect(data.count > 100, "\(name) is \(data.count) bytes")
            if name.hasSuffix(".png") { #expect(Array(data.prefix(4)) == [0x89, 0x50, 0x4E, 0x47], "\(name) is not a PNG") }
        }

        // Table 1: each cell of ours is mean ± std over seeds of the probe runs' evaluation means.
        let table = try String(contentsOf: dir.appendingPathComponent("table1.md"), encoding: .utf8)
        func cell(_ stage: String, _ actor: [Int], _ critic: [Int]) throws -> String {
            let runs = try #require(fixture.probeRuns[ReportFixture.probeID(stage, actor, critic)])
            let perSeed = runs.map { run -> Double in let e = run.artifact.arrays["eval"]!.doubles; return e.reduce(0, +) / Double(e.count) }
            let s = meanStd(perSeed)
            return "\(Table1Markdown.number(s.mean)) ± \(Table1Markdown.number(s.std))"
        }
        let sac = try #require(tableRow(table, section: "Reacher-v2", prefix: "| SAC | ours"))
        #expect(sac[1] == "ours (reduced budget: scale 0.1)")
        #expect(sac[2] == "-6.5")
        #expect(sac[3] == "[256, 256] (69,378)")   // 11·256+256 + 256·256+256 + 256·2+2
        // The baseline's mean (about −5.2) lies above the paper's −5.96 ± 0.47: marked.
        #expect(sac[4] == (try cell("reacher", [256, 256], [256, 256])) + " ‡")
        #expect(sac[5] == "[128, 128] (18,306)")
        #expect(sac[6] == (try cell("reacher", [128, 128], [128, 128])))
        #expect(sac[7] == "[16, 16] (498)")
        #expect(sac[8] == "97.28%")
        #expect(sac[9] == "[128, 128]")
        #expect(sac[10] == (try cell("reacher", [16, 16], [128, 128])))
        let sacPaper = try #require(tableRow(table, section: "Reacher-v2", prefix: "|  | paper"))
        #expect(sacPaper[4] == "-5.96 ± 0.47" && sacPaper[8] == "97.28%")

        let td3 = try #require(tableRow(table, section: "Pendulum-v0", prefix: "| TD3 | ours"))
        #expect(td3[4].hasPrefix(try cell("pendulum-search", [400, 300], [400, 300])))
        #expect(td3[6].hasPrefix(try cell("pendulum-search", [16, 16], [16, 16])))
        #expect(td3[7] == "[4, 4] (41)" && td3[8] == "88.39%")   // 1 − 41/353 = 88.385 %; the paper prints 88.38
        #expect(td3[10].hasPrefix(try cell("pendulum-search", [4, 4], [16, 16])))
        let ddpg = try #require(tableRow(table, section: "Pendulum-v0", prefix: "| DDPG | ours"))
        #expect(ddpg[2] == "not run yet")

        // REPORT.md: stages in order, each doc before its outputs; provenance last; every link resolves.
        let md = try String(contentsOf: dir.appendingPathComponent("REPORT.md"), encoding: .utf8)
        func at(_ s: String) throws -> String.Index { try #require(md.range(of: s)?.lowerBound, "REPORT.md lacks \(s)") }
        let order = ["# Good actors, small budget", "a tenth of the budget", "## 1. toy", "tiny actor", "**Runs**", "![Figure 1", "![Figure 2", "![Figure A.1",
                     "## 2. pendulum", "![Training curves of stage pendulum", "## 3. evaluate",
                     "**Evaluations**", "## 4. reacher", "Smallest symmetric size: **[128,128]**", "![Figure 4",
                     "## 5. pendulum-search", "## 6. report", "**Table 1", "![Figure 3", "![Figure 5", "## Provenance",
                     "| budget: reduced budget | scale 0.1 |"]
        for (a, b) in zip(order, order.dropFirst()) { #expect(try at(a) < at(b), "\(a) before \(b)") }
        let links = md.components(separatedBy: "](").dropFirst().map { String($0.prefix { $0 != ")" }) }
        #expect(links.count == 4 * Self.figureNames.count + 1)   // png, svg, dat, gp per figure; table1.md
        for link in links { #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(link).path), "\(link)") }
        #expect(md.contains("| pendulum[a4x4,s2] | `\(fixtureKey(48))` | computed |"))
        #expect(md.contains("| nodes | 92: 86 cached, 6 computed by this run |"), "\(md.split(separator: "\n").filter { $0.contains("| nodes") })")
    }

    @Test("Same input, same bytes: only REPORT.md's date line follows the date")
    func deterministic() throws {
        let (a, keepA) = try figureDirectory("report-a"), (b, keepB) = try figureDirectory("report-b")
        defer {
            if !keepA { try? FileManager.default.removeItem(at: a) }
            if !keepB { try? FileManager.default.removeItem(at: b) }
        }
        let first = try PipelineReport.write(ReportFixture(date: Date(timeIntervalSince1970: 1_800_000_000)).input, to: a.path)
        let second = try PipelineReport.write(ReportFixture(date: Date(timeIntervalSince1970: 1_900_000_000)).input, to: b.path)
        #expect(first == second)
        for name in first where name != "REPORT.md" {
            #expect(try Data(contentsOf: a.appendingPathComponent(name)) == Data(contentsOf: b.appendingPathComponent(name)), "\(name) differs")
        }
        let lines = { (dir: URL) in try String(contentsOf: dir.appendingPathComponent("REPORT.md"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) }
        let la = try lines(a), lb = try lines(b)
        try #require(la.count == lb.count)
        let differing = zip(la, lb).filter { $0 != $1 }
        #expect(differing.count == 1 && differing.first.map { $0.0.hasPrefix("| date | ") } == true, "\(differing)")
    }

    @Test("A pipeline with only a reference and nothing run: Table 1 says so, REPORT.md needs no gnuplot")
    func nothingRun() throws {
        let (dir, keep) = try figureDirectory("report-empty")
        defer { if !keep { try? FileManager.default.removeItem(at: dir) } }
        var input = ReportFixture().input
        input.trainRuns = []; input.evaluations = []; input.searches = []; input.toyRollouts = []; input.inference = nil
        // No gnuplot on this PATH: nothing to draw, so nothing asks for it.
        let written = try PipelineReport.write(input, to: dir.path, gnuplot: nil)
        #expect(written == ["REPORT.md", "table1.md"])
        let table = try String(contentsOf: dir.appendingPathComponent("table1.md"), encoding: .utf8)
        #expect(table.contains("No search of this pipeline has run yet"))
        #expect(tableRow(table, section: "Reacher-v2", prefix: "| SAC | ours")?[2] == "not run yet")
        let md = try String(contentsOf: dir.appendingPathComponent("REPORT.md"), encoding: .utf8)
        #expect(md.contains("No run of this stage has a result yet.") && md.contains("No search of this stage has a result yet."))
    }

    @Test("Figures need gnuplot: without it, one line naming gnuplot-nox")
    func gnuplotMissing() throws {
        #expect(throws: ReportError.gnuplotMissing) { try Gnuplot(path: "/nonexistent") }
        #expect(ReportError.gnuplotMissing.description.contains("gnuplot-nox") && !ReportError.gnuplotMissing.description.contains("\n"))
    }
}

@Suite("Curves over seeds whose steps differ")
struct ResampledCurveTests {
    @Test("Windows over the common span: each seed's mean in the window, mean and population std over seeds")
    func windows() {
        let a: [(step: Double, value: Double)] = [(100, 1), (300, 3), (500, 5)]
        let b: [(step: Double, value: Double)] = [(200, 2), (400, 4), (600, 6)]
        let c = Curve.overSeeds(label: "x", runs: [a, b], maxPoints: 2)
        // Span [200, 500] in two windows ending at 350 and 500: a gives mean(1, 3) then 5, b gives 2 then 4.
        #expect(c.points == [CurvePoint(x: 350, mean: 2, std: 0), CurvePoint(x: 500, mean: 4.5, std: 0.5)])
    }

    @Test("A seed that logged nothing in a window keeps its latest value")
    func carriesForward() {
        let sparse: [(step: Double, value: Double)] = [(0, 10), (1000, 20)]
        let dense: [(step: Double, value: Double)] = stride(from: 0.0, through: 1000, by: 100).map { ($0, $0 / 100) }
        let c = Curve.overSeeds(label: "x", runs: [sparse, dense], maxPoints: 4)
        #expect(c.points.map(\.x) == [250, 500, 750, 1000])
        // Window (250, 500]: sparse holds 10; dense logged 3, 4, 5.
        #expect(c.points[1] == CurvePoint(x: 500, mean: (10 + 4) / 2, std: 3))
        #expect(c.points[3] == CurvePoint(x: 1000, mean: (20 + 9) / 2, std: 5.5))   // dense: 8, 9, 10 → 9
    }

    @Test("Runs on one schedule and few points: exactly the per-step statistics")
    func aligned() {
        let runs: [[(step: Double, value: Double)]] = [[(1, 1), (2, 4)], [(1, 3), (2, 8)]]
        #expect(Curve.overSeeds(label: "x", runs: runs) == Curve(label: "x", seeds: runs))
    }
}
