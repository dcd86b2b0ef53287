#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Nets

// Figure 5: how fast an actor runs one observation on this host, and how much
// flash its weights would take on the paper's STM32F722 (Mysore et al. 2021, §5).

/// One network size's measured inference rate and modelled footprint.
public struct InferenceMeasurement: Sendable, Equatable, Codable {
    public let hidden: [Int]
    public let observationCount: Int, actionCount: Int
    public let parameters: Int
    /// Forward passes per second at batch 1 on one thread (the median of the repeats).
    public let hertz: Double
    /// Slowest and fastest repeat, in Hz.
    public let hertzRange: ClosedRange<Double>
    /// Modelled: bytes of constant data of the C export (`ExportableActor.flashBytes`).
    public let flashBytes: Int
    /// Modelled: stack bytes of the C export.
    public let ramBytes: Int
}

public enum InferenceBenchmark {
    /// The paper's search ladder plus Figure 5's [256,128].
    public static let paperSizes: [[Int]] = [[1, 1], [4, 4], [8, 8], [16, 16], [32, 32], [64, 64],
                                             [128, 128], [256, 128], [256, 256], [400, 300]]

    /// Flash available to the control firmware on the STM32F722RE (the paper's
    /// §5: 181 kB), counted here as 181 × 1024 bytes.
    public static let stm32FlashBudgetBytes = 181 * 1024

    /// Inference rates the paper reports on the STM32F722RE (§5 text): a
    /// classical PID loop at 1 kHz, [128,128] at about 400 Hz, [256,128] at about 250 Hz.
    public static let paperTargetHertz = 1000.0
    public static let paperReportedHertz: [(hidden: [Int], hertz: Double)] = [([128, 128], 400), ([256, 128], 250)]

    /// Measures one deterministic actor (ReLU hidden layers, tanh output, as
    /// DDPG's) of the given size: Nets' `MLP.forward` at batch 1 on one BLAS
    /// thread, `repeats` timed runs of about `secondsPerRepeat` each after a
    /// warm-up, reporting the median rate. Weights are random: speed does not
    /// depend on their values.
    public static func measure(hidden: [Int], observationCount: Int, actionCount: Int,
                               secondsPerRepeat: Double = 0.2, repeats: Int = 5, seed: UInt64 = 0) -> InferenceMeasurement {
        precondition(repeats > 0 && secondsPerRepeat > 0)
        setSingleThreadedBLAS()
        var rng = Xoshiro256(seed: seed)
        let net = MLP(inputs: observationCount, hidden: hidden, outputs: actionCount,
                      hiddenActivation: .relu, outputActivation: .tanh, rng: &rng)
        let ws = net.makeWorkspace(batch: 1)
        var observation = (0..<observationCount).map { _ in rng.uniformFloat(-1, 1) }
        var sink: Float = 0
        /// Runs `n` forward passes; each feeds a little of its output back into
        /// the input so none can be skipped or hoisted by the optimiser.
        func passes(_ n: Int) {
            observation.withUnsafeMutableBufferPointer { o in
                for _ in 0..<n {
                    let y = net.forward(o.baseAddress!, batch: 1, workspace: ws)
                    o[0] = y[0] * 1e-3 + 0.5
                    sink += y[0]
                }
            }
        }
        // Calibrate: double the pass count until one batch takes a tenth of a repeat.
        var perBatch = 1
        while true {
            let start = monotonicSeconds()
            passes(perBatch)
            let elapsed = monotonicSeconds() - start
            if elapsed >= secondsPerRepeat / 10 || perBatch >= 1 << 30 { break }
            perBatch *= 2
        }
        var rates: [Double] = []
        for _ in 0..<repeats {
            var count = 0
            let start = monotonicSeconds()
            var elapsed = 0.0
            repeat {
                passes(perBatch)
                count += perBatch
                elapsed = monotonicSeconds() - start
            } while elapsed < secondsPerRepeat
            rates.append(Double(count) / elapsed)
        }
        if sink.isNaN { print("", terminator: "") }   // keeps `sink` observable
        rates.sort()
        let actor = try! ExportableActor(network: net, head: .tanhDeterministic(actionLimit: [Float](repeating: 1, count: actionCount)))
        return InferenceMeasurement(hidden: hidden, observationCount: observationCount, actionCount: actionCount,
                                    parameters: net.parameterCount, hertz: rates[rates.count / 2],
                                    hertzRange: rates[0]...rates[rates.count - 1],
                                    flashBytes: actor.flashBytes, ramBytes: actor.ramBytes)
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// The CPU model of this host (`model name` in /proc/cpuinfo, as lscpu shows it).
    public static var cpuModel: String {
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in info.split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return "unknown CPU"
    }

    /// Figure 5: measured inference rate (left, log scale, with the paper's
    /// 1 kHz target and its STM32 figures) and modelled flash footprint (right,
    /// against the 181 kB budget), per network size.
    public static func figure5(_ measurements: [InferenceMeasurement], cpuModel: String, blasKernel: String,
                               name: String = "figure5") throws -> GnuplotFigure {
        guard let first = measurements.first else { throw ReportError.badInput("figure 5 needs at least one measurement") }
        let budgetKB = Double(stm32FlashBudgetBytes) / 1024
        var rows: [[String]] = []
        for (i, m) in measurements.enumerated() {
            let paper = paperReportedHertz.first { $0.hidden == m.hidden }?.hertz ?? .nan
            rows.append([String(i), gpQuoted(hiddenSizeLabel(m.hidden)), String(m.parameters), gpNumber(m.hertz),
                         gpNumber(m.hertzRange.lowerBound), gpNumber(m.hertzRange.upperBound),
                         gpNumber(Double(m.flashBytes) / 1024), gpNumber(paper)])
        }
        let block = DataBlock(title: "obs \(first.observationCount), act \(first.actionCount); measured on \(cpuModel), 1 thread, batch 1",
                              columns: ["i", "hidden", "parameters", "hz_median", "hz_min", "hz_max", "flash_kB", "paper_stm32_hz"],
                              rows: rows)
        let last = measurements.count - 1
        // A decade of headroom above the fastest rate keeps the key off the data.
        let slowest = min(measurements.map(\.hertzRange.lowerBound).min()!, paperReportedHertz.map(\.hertz).min()!)
        let fastest = measurements.map(\.hertzRange.upperBound).max()!
        let rateRange = "[\(gpNumber(pow(10, log10(slowest).rounded(.down)))):\(gpNumber(pow(10, log10(fastest).rounded(.up) + 1)))]"
        let panels = """
            set title 'measured: forward passes per second on this host'
            set xlabel 'actor hidden sizes'
            set ylabel 'inference rate (Hz, log scale)'
            set logscale y
            set format y '10^{%L}'
            set xrange [-0.5:\(Double(last) + 0.5)]
            set yrange \(rateRange)
            set xtics rotate by -45 left
            set key top right
            plot datafile index 0 using 1:4:5:6:xtic(2) with yerrorlines lt 1 title 'measured (median, min-max)', \\
                 \(paperTargetHertz) with lines ls 101 title 'paper: 1 kHz PID loop rate', \\
                 datafile index 0 using 1:8 with points lt 2 pt 9 ps 1.6 title 'paper: STM32F722 (text, §5)'
            set title 'modelled: flash for the exported float32 actor'
            set ylabel 'flash (kB, log scale)'
            set format y '%g'
            set key top left
            set style fill solid 0.8 border -1
            set boxwidth 0.7
            set yrange [\(gpNumber(pow(10, log10(measurements.map { Double($0.flashBytes) / 1024 }.min()!).rounded(.down)))):\(gpNumber(pow(10, log10(max(budgetKB, measurements.map { Double($0.flashBytes) / 1024 }.max()!)).rounded(.up) + 1)))]
            plot datafile index 0 using 1:7:xtic(2) with boxes lt 6 title '4 bytes per weight, code not counted', \\
                 \(budgetKB) with lines ls 101 title 'STM32F722 budget: 181 kB'

        """
        let body = Templates.fill(try Templates.text("inference"), [
            "TITLE": "Actor size against inference rate and memory", "TITLEFONTSIZE": "14", "PANELS": panels,
        ])
        return GnuplotFigure(
            name: name,
            caption: "Figure 5. Inference rate against actor size (obs \(first.observationCount) → hidden → act \(first.actionCount), ReLU hidden, tanh output). Left, measured: Nets' forward pass at batch 1 on one thread on this host (\(cpuModel), OpenBLAS kernel \(blasKernel)); the paper's rates on the STM32F722RE microcontroller are from its text and are not comparable in absolute terms. Right, modelled: the C export's constant data (4 bytes per weight and bias) against the STM32F722's 181 kB (181 × 1024 bytes) available to firmware.",
            blocks: [block], body: body, width: 900, height: 460)
    }
}
