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

/// One panel of curves with its axes.
public struct CurvePanel: Sendable, Equatable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var curves: [Curve]
    /// Logarithmic y (value losses span decades); non-positive values are not drawn.
    public var logY: Bool
    public var keyPosition: String

    public init(title: String, xLabel: String, yLabel: String, curves: [Curve], logY: Bool = false,
                keyPosition: String = "bottom right") {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.curves = curves
        self.logY = logY; self.keyPosition = keyPosition
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
        for row in rows {
            for panel in row {
                panels += "    set title \(gpQuoted(panel.title))\n"
                panels += "    set xlabel \(gpQuoted(panel.xLabel))\n    set ylabel \(gpQuoted(panel.yLabel))\n"
                panels += "    set key \(panel.keyPosition)\n"
                panels += panel.logY ? "    set logscale y\n    set format y '10^{%L}'\n" : "    unset logscale y\n    set format y '%g'\n"
                panels += "    set format x '%.1s%c'\n"
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
                    panels += "    set label 1 'no data' at graph 0.5, graph 0.5 center\n    plot NaN notitle\n    unset label 1\n"
                } else {
                    panels += "    plot " + plots.joined(separator: ", \\\n         ") + "\n"
                }
            }
            for _ in row.count..<columns { panels += "    set multiplot next\n" }
        }
        let body = Templates.fill(try Templates.text("curves"), [
            "ROWS": String(rows.count), "COLUMNS": String(columns), "TITLE": title, "TITLEFONTSIZE": "14", "PANELS": panels,
        ])
        return GnuplotFigure(name: name, caption: caption, blocks: blocks, body: body,
                             width: panelWidth * columns, height: panelHeight * rows.count + 40)
    }
}
