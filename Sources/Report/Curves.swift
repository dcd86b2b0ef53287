import Foundation

// Data models for figures: learning curves over seeds, panels of them, and
// the writer that turns a grid of panels into a gnuplot figure (Figures 2, A.1, 4).

/// One point of a curve: the mean over seeds at `x` and its spread.
public struct CurvePoint: Sendable, Equatable, Codable {
    public let x: Double
    public let mean: Double
    /// Population standard deviation over seeds (0 for one seed).
    public let std: Double
    public init(x: Double, mean: Double, std: Double) { self.x = x; self.mean = mean; self.std = std }
}

/// A metric over training, summarised over seeds: the line is the mean, the band ± one std.
public struct Curve: Sendable, Equatable, Codable {
    public let label: String
    public let points: [CurvePoint]
    public init(label: String, points: [CurvePoint]) { self.label = label; self.points = points }

    /// Summarises one run per seed, each a list of (step, value). Only steps
    /// every run logged are kept (runs of one spec log on one schedule, so
    /// normally that is all of them); values that are not finite are dropped
    /// from their step's statistics.
    public init(label: String, seeds runs: [[(step: Double, value: Double)]]) {
        self.label = label
        guard let first = runs.first else { points = []; return }
        var byStep: [Double: [Double]] = [:]
        var common = Set(first.map { $0.step })
        for run in runs.dropFirst() { common.formIntersection(run.map { $0.step }) }
        for run in runs {
            for (step, value) in run where common.contains(step) && value.isFinite { byStep[step, default: []].append(value) }
        }
        points = common.sorted().compactMap { step in
            guard let values = byStep[step], !values.isEmpty else { return nil }
            let s = Summary(values)
            return CurvePoint(x: step, mean: s.mean, std: s.std)
        }
    }
}

extension Curve {
    /// Summarises one run per seed when their steps need not line up (episode
    /// returns of episodes of different lengths, on-policy rollouts). When
    /// every run logged the same steps and there are at most `maxPoints`, this
    /// is `init(label:seeds:)`. Otherwise the span every run covers is cut into
    /// `maxPoints` equal windows; in each, a seed contributes the mean of its
    /// values there, or its latest earlier value when it logged none (a
    /// return holds until the next episode ends), and the point sits at the
    /// window's end.
    public static func overSeeds(label: String, runs: [[(step: Double, value: Double)]], maxPoints: Int = 150) -> Curve {
        let runs = runs.map { $0.filter { $0.value.isFinite }.sorted { $0.step < $1.step } }.filter { !$0.isEmpty }
        guard let first = runs.first else { return Curve(label: label, points: []) }
        let sameSteps = runs.allSatisfy { $0.map(\.step) == first.map(\.step) }
        if sameSteps && first.count <= maxPoints { return Curve(label: label, seeds: runs) }
        let lo = runs.map { $0[0].step }.max()!, hi = runs.map { $0[$0.count - 1].step }.min()!
        guard hi > lo, maxPoints > 1 else { return Curve(label: label, seeds: runs) }
        let windows = maxPoints
        let width = (hi - lo) / Double(windows)
        var perSeed = [[Double]](repeating: [], count: windows)
        for run in runs {
            var i = 0
            var latest = run[0].value
            for k in 0..<windows {
                let start = k == 0 ? lo - width : lo + width * Double(k)
                let end = k == windows - 1 ? hi : lo + width * Double(k + 1)
                var sum = 0.0, n = 0
                while i < run.count && run[i].step <= end {
                    if run[i].step > start { sum += run[i].value; n += 1 }
                    latest = run[i].value
                    i += 1
                }
                perSeed[k].append(n > 0 ? sum / Double(n) : latest)
            }
        }
        let points = (0..<windows).map { k -> CurvePoint in
            let s = Summary(perSeed[k])
            return CurvePoint(x: k == windows - 1 ? hi : lo + width * Double(k + 1), mean: s.mean, std: s.std)
        }
        return Curve(label: label, points: points)
    }
}

/// One panel of curves with its axes.
public struct CurvePanel: Sendable, Equatable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var curves: [Curve]
    /// Logarithmic y (value losses span decades); non-positive values are not drawn.
    public var logY: Bool
    public var keyPosition: String
    /// A fixed y range (panels meant to be compared share one); nil lets gnuplot choose.
    public var yRange: ClosedRange<Double>?

    public init(title: String, xLabel: String, yLabel: String, curves: [Curve], logY: Bool = false,
                keyPosition: String = "bottom right", yRange: ClosedRange<Double>? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.curves = curves
        self.logY = logY; self.keyPosition = keyPosition; self.yRange = yRange
    }
}

/// Panels in rows and columns, rendered with the `curves.gp` template.
public struct CurveGrid: Sendable, Equatable {
    public var title: String
    public var rows: [[CurvePanel]]
    public init(title: String, rows: [[CurvePanel]]) { self.title = title; self.rows = rows }

    public func figure(name: String, caption: String, panelWidth: Int = 430, panelHeight: Int = 330) throws -> GnuplotFigure {
        guard let columns = rows.map(\.count).max(), columns > 0 else { throw ReportError.badInput("figure \(name) has no panels") }
        var blocks: [DataBlock] = []
        var panels = ""
        // When every panel draws the same series (Figures 2 and A.1), one key
        // below the grid names them all and no key covers any data.
        let labels = rows.flatMap { $0 }.map { $0.curves.map(\.label) }
        let sharedKey = labels.count > 1 && Set(labels).count == 1 && !(labels.first ?? []).isEmpty
        let width = panelWidth * columns, height = panelHeight * rows.count + (sharedKey ? 110 : 40)
        var margins = ""
        if sharedKey {
            // Fractions of the canvas from pixel sizes: room for tick labels and
            // axis titles left and between panels, the key at the bottom.
            func fx(_ px: Int) -> String { gpNumber((Double(px) / Double(width) * 1000).rounded() / 1000) }
            func fy(_ px: Int) -> String { gpNumber((Double(px) / Double(height) * 1000).rounded() / 1000) }
            margins = "margins \(fx(95)), \(fx(width - 30)), \(fy(150)), \(fy(height - 75)) spacing \(fx(125)), \(fy(125))"
        }
        let panelCount = rows.map(\.count).reduce(0, +)
        var drawn = 0
        for row in rows {
            for panel in row {
                drawn += 1
                panels += "    set title \(gpQuoted(panel.title))\n"
                panels += "    set xlabel \(gpQuoted(panel.xLabel))\n    set ylabel \(gpQuoted(panel.yLabel))\n"
                if sharedKey {
                    // gnuplot fits a key inside one panel's width, so the shared
                    // key is drawn by hand (line samples and labels in screen
                    // coordinates) with the last panel.
                    panels += "    unset key\n"
                    if drawn == panelCount { panels += sharedKeyCommands(labels: labels[0], width: width, height: height) }
                } else {
                    panels += "    set key \(panel.keyPosition)\n"
                }
                panels += panel.logY ? "    set logscale y\n    set format y '10^{%L}'\n" : "    unset logscale y\n    set format y '%g'\n"
                panels += xTicsCommands(maxX: panel.curves.flatMap { $0.points.map(\.x) }.max())
                panels += panel.yRange.map { "    set yrange [\(gpNumber($0.lowerBound)):\(gpNumber($0.upperBound))]\n" } ?? "    set yrange [*:*]\n"
                var plots: [String] = []
                for (k, curve) in panel.curves.enumerated() {
                    let index = blocks.count
                    blocks.append(DataBlock(title: "\(panel.title): \(curve.label)", columns: ["x", "mean", "std"],
                                            rows: curve.points.map { [gpNumber($0.x), gpNumber($0.mean), gpNumber($0.std)] }))
                    let lt = k + 1
                    let band = panel.logY
                        ? "using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3)"   // a band below zero has no log
                        : "using 1:($2-$3):($2+$3)"
                    plots.append("datafile index \(index) \(band) with filledcurves lt \(lt) notitle")
                    plots.append("datafile index \(index) using 1:2 with lines lt \(lt) title \(gpQuoted(curve.label))")
                }
                if plots.isEmpty {
                    // A constant outside the range draws an empty frame (`plot NaN` is an error in gnuplot 5.4).
                    panels += "    unset logscale y\n    set label 1 'no data' at graph 0.5, graph 0.5 center\n    set xrange [0:1]\n    set yrange [0:1]\n"
                        + "    plot -1 notitle\n    unset label 1\n    set xrange [*:*]\n"
                } else {
                    panels += "    plot " + plots.joined(separator: ", \\\n         ") + "\n"
                }
            }
            for _ in row.count..<columns { panels += "    set multiplot next\n" }
        }
        let body = Templates.fill(try Templates.text("curves"), [
            "ROWS": String(rows.count), "COLUMNS": String(columns), "TITLE": title, "TITLEFONTSIZE": "14",
            "MARGINS": margins, "PANELS": panels,
        ])
        return GnuplotFigure(name: name, caption: caption, blocks: blocks, body: body, width: width, height: height)
    }
}

/// A key below the whole grid: one line sample and label per series, in
/// rows that fit the canvas, centred.
func sharedKeyCommands(labels: [String], width: Int, height: Int) -> String {
    let charPx = 7.5, samplePx = 30.0, gapPx = 28.0
    let entries = labels.map { Double($0.count) * charPx + samplePx + 8 + gapPx }
    var rows: [[Int]] = [[]]
    var used = 0.0
    for (i, w) in entries.enumerated() {
        if used + w > Double(width) - 60 && !rows[rows.count - 1].isEmpty { rows.append([]); used = 0 }
        rows[rows.count - 1].append(i); used += w
    }
    var out = ""
    for (r, row) in rows.enumerated() {
        let total = row.map { entries[$0] }.reduce(0, +) - gapPx
        var x = (Double(width) - total) / 2
        let y = 22.0 + Double(rows.count - 1 - r) * 24
        for i in row {
            let fx = { (px: Double) in gpNumber((px / Double(width) * 10000).rounded() / 10000) }
            let fy = gpNumber((y / Double(height) * 10000).rounded() / 10000)
            out += "    set arrow \(200 + i) from screen \(fx(x)), screen \(fy) to screen \(fx(x + samplePx)), screen \(fy) nohead lt \(i + 1) lw 2 front\n"
            out += "    set label \(200 + i) \(gpQuoted(labels[i])) at screen \(fx(x + samplePx + 8)), screen \(fy) left front\n"
            x += entries[i]
        }
    }
    return out
}


/// A tick step of 1, 2 or 5 × 10^k giving at most about five intervals up to `span`.
func niceTickStep(_ span: Double, intervals: Double = 5) -> Double {
    guard span > 0, span.isFinite else { return 1 }
    let raw = span / intervals
    let decade = pow(10, (log10(raw)).rounded(.down))
    for m in [1.0, 2, 5, 10] where m * decade >= raw * (1 - 1e-9) { return m * decade }
    return 10 * decade
}

/// x tics for a steps axis: about five, labelled 0, 5k, 10k, … 1M (gnuplot's
/// default step crowds a 500-pixel panel with "10.0k"-wide labels).
func xTicsCommands(maxX: Double?) -> String {
    guard let maxX, maxX > 0 else { return "    set xrange [*:*]\n    set xtics autofreq\n    set format x '%g'\n" }
    let step = niceTickStep(maxX)
    // "%.0s%c" (5k, 1M) rounds the mantissa, so it only suits ticks that are whole
    // in their own prefix unit: steps of 500 up to 2000 would print 1500 as "2k"
    // beside 2000's "2k". Otherwise plain numbers.
    let ticks = stride(from: step, through: maxX + step, by: step)
    let whole = ticks.allSatisfy { t in t.truncatingRemainder(dividingBy: pow(1000, (log10(t) / 3).rounded(.down))) == 0 }
    let format = step >= 1 && whole ? "%.0s%c" : "%g"
    // The axis starts at step 0, so a run's first logged point sits where it happened.
    return "    set xrange [0:*]\n    set xtics 0, \(gpNumber(step))\n    set format x '\(format)'\n"
}
