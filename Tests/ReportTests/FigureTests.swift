import Foundation
import Nets
import Testing
@testable import Report

/// Where rendered test figures go: $ASYM_REPORT_TEST_OUT if set (to look at
/// them), else a temporary folder removed afterwards.
func figureDirectory(_ label: String) throws -> (url: URL, keep: Bool) {
    if let out = ProcessInfo.processInfo.environment["ASYM_REPORT_TEST_OUT"] {
        let url = URL(fileURLWithPath: out).appendingPathComponent(label)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return (url, true)
    }
    return (try temporaryDirectory(label), false)
}

/// Renders and checks every file: PNG signature, an SVG document, the data
/// rows the blocks hold, and the script naming its data file.
func renderAndCheck(_ figure: GnuplotFigure, _ label: String) throws {
    let (dir, keep) = try figureDirectory(label)
    defer { if !keep { try? FileManager.default.removeItem(at: dir) } }
    let rendered = try Gnuplot().render(figure, into: dir)
    let png = try Data(contentsOf: rendered.png)
    #expect(png.count > 5000 && Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47], "\(label).png")
    let svg = try String(contentsOf: rendered.svg, encoding: .utf8)
    #expect(svg.contains("<svg") && svg.contains("</svg>"), "\(label).svg")
    let dat = try String(contentsOf: rendered.data, encoding: .utf8)
    let dataRows = dat.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.count
    #expect(dataRows == figure.blocks.map(\.rows.count).reduce(0, +))
    let gp = try String(contentsOf: rendered.script, encoding: .utf8)
    #expect(gp.contains("datafile = '\(figure.name).dat'") && !gp.contains("@"), "the script is fully filled in")
    // Re-rendering by hand from the written script alone reproduces the PNG.
    try FileManager.default.removeItem(at: rendered.png)
    let again = try run("gnuplot", [rendered.script.lastPathComponent], in: dir)
    #expect(again.status == 0 && FileManager.default.fileExists(atPath: rendered.png.path), "\(again.err)")
}

/// Synthetic learning curves over three seeds: a return rising towards
/// `final` at `rate`, and a loss falling, with seed noise.
func syntheticRuns(final: Double, start: Double, rate: Double, seeds: Int = 3, steps: Int = 30,
                   stepSize: Double = 1000, seed: UInt64) -> [[(step: Double, value: Double)]] {
    var rng = Xoshiro256(seed: seed)
    return (0..<seeds).map { _ in
        (1...steps).map { i in
            let x = Double(i) * stepSize
            let v = final + (start - final) * exp(-rate * Double(i)) + 0.05 * abs(final - start) * rng.normal() / (1 + Double(i) * 0.1)
            return (x, v)
        }
    }
}

let toyConfigurations: [(label: String, final: Double, loss: Double)] = [
    ("symmetric [1]", -900, 20), ("symmetric [4,4,1]", -400, 5), ("symmetric [8,8,1]", -80, 0.8),
    ("symmetric [16,16,1]", -40, 0.2), ("asymmetric [1] / critic [16,16,1]", -45, 0.25),
]

func toyTraining(_ algorithm: String, seed: UInt64) -> PaperFigures.ToyTraining {
    PaperFigures.ToyTraining(
        algorithm: algorithm,
        rewards: toyConfigurations.enumerated().map { k, c in
            Curve(label: c.label, seeds: syntheticRuns(final: c.final, start: -1200, rate: 0.15, seed: seed + UInt64(k)))
        },
        valueLosses: toyConfigurations.enumerated().map { k, c in
            Curve(label: c.label, seeds: syntheticRuns(final: c.loss, start: 200, rate: 0.2, seed: seed + 10 + UInt64(k)).map {
                $0.map { (step: $0.step, value: abs($0.value)) }
            })
        })
}

@Suite("Figures")
struct FigureTests {
    @Test("Curves over seeds: mean and population std at the steps every seed logged")
    func curveOverSeeds() {
        let c = Curve(label: "x", seeds: [[(0, 1), (10, 3), (20, 5)], [(0, 3), (10, 5)]])
        #expect(c.points == [CurvePoint(x: 0, mean: 2, std: 1), CurvePoint(x: 10, mean: 4, std: 1)])
    }

    @Test("Figure 2 and A.1: toy rewards and value losses")
    func figure2() throws {
        try renderAndCheck(try PaperFigures.toyTraining([toyTraining("DDPG", seed: 1), toyTraining("TRPO", seed: 2)],
                                                         name: "figure2", number: "2"), "figure2")
        try renderAndCheck(try PaperFigures.toyTraining([toyTraining("SAC", seed: 3), toyTraining("TD3", seed: 4),
                                                          toyTraining("PPO", seed: 5)], name: "figureA1", number: "A.1"), "figureA1")
    }

    @Test("Figure 1: toy state transitions and state–action pairs against a = o")
    func figure1() throws {
        var rng = Xoshiro256(seed: 9)
        func rollout(_ actor: [Int], _ critic: [Int], gain: Double, bias: Double) -> ToyRollout {
            var s = 0.0, g = 0.5
            var steps: [ToyStep] = []
            for t in 0..<150 {
                if t % 40 == 0 { g = rng.uniform(-1, 1) }
                let o = g - s
                let a = max(-1, min(1, gain * o + bias))
                steps.append(ToyStep(t: t, state: s, goal: g, observation: o, action: a))
                s = max(-1, min(1, s + a))
            }
            return ToyRollout(algorithm: "DDPG", actorHidden: actor, criticHidden: critic, steps: steps)
        }
        let figure = try PaperFigures.figure1([rollout([16, 16], [16, 16], gain: 0.95, bias: 0),
                                               rollout([], [], gain: 0.2, bias: 0.3),
                                               rollout([], [16, 16], gain: 0.9, bias: 0.02)])
        #expect(figure.blocks[1].title == "DDPG [a] [1]  [c] [1]")
        try renderAndCheck(figure, "figure1")
    }

    @Test("Figure 3: relative actor sizes and rewards of the smallest actors")
    func figure3() throws {
        func row(_ env: String, _ algo: String, obs: Int, act: Int, base: [Int], sym: [Int], asym: [Int],
                 symReward: Double, asymReward: Double, spread: Double) -> PaperFigures.SizeComparison {
            PaperFigures.SizeComparison(
                environment: env, algorithm: algo,
                baselineParameters: ParameterCount.mlp(inputs: obs, hidden: base, outputs: act),
                symmetricParameters: ParameterCount.mlp(inputs: obs, hidden: sym, outputs: act),
                asymmetricParameters: ParameterCount.mlp(inputs: obs, hidden: asym, outputs: act),
                symmetricReward: Summary(count: 6, mean: symReward, std: spread),
                asymmetricReward: Summary(count: 6, mean: asymReward, std: spread * 1.2))
        }
        let rows = [
            row("Pendulum-v0", "DDPG", obs: 3, act: 1, base: [400, 300], sym: [16, 16], asym: [4, 4], symReward: -150.28, asymReward: -158.97, spread: 9),
            row("Pendulum-v0", "TD3", obs: 3, act: 1, base: [400, 300], sym: [16, 16], asym: [4, 4], symReward: -152.42, asymReward: -167.57, spread: 10),
            row("Pendulum-v0", "SAC", obs: 3, act: 1, base: [256, 256], sym: [16, 16], asym: [4, 4], symReward: -155.32, asymReward: -153.86, spread: 11),
            row("Reacher-v2", "DDPG", obs: 11, act: 2, base: [400, 300], sym: [64, 64], asym: [8, 8], symReward: -4.75, asymReward: -4.80, spread: 0.3),
            row("Reacher-v2", "SAC", obs: 11, act: 2, base: [256, 256], sym: [128, 128], asym: [16, 16], symReward: -6.05, asymReward: -6.02, spread: 1),
            row("HalfCheetah-v2", "TD3", obs: 17, act: 6, base: [400, 300], sym: [64, 64], asym: [32, 32], symReward: 8315, asymReward: 8145, spread: 262),
            row("HalfCheetah-v2", "SAC", obs: 17, act: 6, base: [256, 256], sym: [64, 64], asym: [32, 32], symReward: 10180, asymReward: 9619, spread: 500),
        ]
        let figure = try PaperFigures.figure3(rows)
        #expect(figure.blocks.map(\.title) == ["Pendulum-v0", "Reacher-v2", "HalfCheetah-v2"])
        try renderAndCheck(figure, "figure3")
    }

    @Test("Figure 4: SAC on Reacher, Q loss by critic and by actor, returns")
    func figure4() throws {
        let critics: [[Int]] = [[16, 16], [32, 32], [64, 64], [128, 128], [256, 256]]
        let criticSweep = critics.enumerated().map { k, h in
            Curve(label: "[a] = [c] = \(hiddenSizeLabel(h))", seeds: syntheticRuns(final: 0.02 * pow(0.5, Double(k)), start: 2, rate: 0.2, seed: 40 + UInt64(k)).map { $0.map { ($0.step, abs($0.value)) } })
        }
        let actorSweep = [[1, 1], [4, 4], [8, 8], [16, 16]].enumerated().map { k, h in
            Curve(label: "[a] = \(hiddenSizeLabel(h))", seeds: syntheticRuns(final: 0.004, start: 2, rate: 0.2, seed: 50 + UInt64(k)).map { $0.map { ($0.step, abs($0.value)) } })
        }
        let returns = [("[a] = [c] = [128,128]", -6.0), ("[a] = [16,16], [c] = [128,128]", -6.1), ("[a] = [c] = [16,16]", -9.5)].enumerated().map { k, c in
            Curve(label: c.0, seeds: syntheticRuns(final: c.1, start: -40, rate: 0.25, seed: 60 + UInt64(k)))
        }
        try renderAndCheck(try PaperFigures.figure4(criticSweep: criticSweep, actorSweep: actorSweep, returns: returns,
                                                    fixedCritic: [128, 128]), "figure4")
    }

    @Test("Figure 5: measured inference rate and modelled flash against the STM32 budget")
    func figure5() throws {
        // A very short measurement: this checks the plumbing, not the speed
        // ($ASYM_REPORT_FIGURE5_SECONDS per repeat measures for real).
        let seconds = ProcessInfo.processInfo.environment["ASYM_REPORT_FIGURE5_SECONDS"].flatMap(Double.init) ?? 0.004
        let measurements = InferenceBenchmark.paperSizes.map {
            InferenceBenchmark.measure(hidden: $0, observationCount: 11, actionCount: 2, secondsPerRepeat: seconds, repeats: 3)
        }
        for m in measurements {
            #expect(m.hertz.isFinite && m.hertz > 0 && m.hertzRange.contains(m.hertz))
            #expect(m.parameters == ParameterCount.mlp(inputs: 11, hidden: m.hidden, outputs: 2))
            #expect(m.flashBytes == 4 * m.parameters + 4 * 2)
        }
        // The paper's §5: [256,128] fits the 181 kB budget, [256,256] does not.
        let fits = Dictionary(uniqueKeysWithValues: measurements.map { (hiddenSizeLabel($0.hidden), $0.flashBytes <= InferenceBenchmark.stm32FlashBudgetBytes) })
        #expect(fits["[256,128]"] == true && fits["[256,256]"] == false)
        let figure = try InferenceBenchmark.figure5(measurements, cpuModel: InferenceBenchmark.cpuModel, blasKernel: Numerics.kernel)
        #expect(figure.caption.contains(InferenceBenchmark.cpuModel))
        try renderAndCheck(figure, "figure5")
    }

    @Test("Without gnuplot on PATH: one line naming the Debian package")
    func gnuplotMissing() {
        #expect(throws: ReportError.gnuplotMissing) { try Gnuplot(path: "/nonexistent") }
        #expect(ReportError.gnuplotMissing.description.contains("gnuplot-nox"))
        #expect(!ReportError.gnuplotMissing.description.contains("\n"))
    }
}
