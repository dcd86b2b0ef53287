import Foundation

// The Markdown of `asym diff A B`: per node and metric, both sides' values
// over seeds, the change, and Welch's t-test p-value (DVC's `metrics diff`
// with statistics).

/// One side of a diff: a label (git revision or run record) and, per node,
/// per metric, one value per seed.
public struct DiffSide: Sendable, Equatable {
    public let label: String
    public let metrics: [String: [String: [Double]]]
    public init(label: String, metrics: [String: [String: [Double]]]) { self.label = label; self.metrics = metrics }
}

public enum DiffMarkdown {
    /// Compares `a` (before) with `b` (after). Nodes present on both sides get
    /// a table row per metric; nodes on one side only are listed after it.
    public static func render(_ a: DiffSide, _ b: DiffSide) -> String {
        let common = Set(a.metrics.keys).intersection(b.metrics.keys).sorted()
        let onlyA = Set(a.metrics.keys).subtracting(b.metrics.keys).sorted()
        let onlyB = Set(b.metrics.keys).subtracting(a.metrics.keys).sorted()
        var out = "Comparing **\(a.label)** (A) with **\(b.label)** (B): mean ± std over seeds (n), Δ = B − A, p from Welch's t-test (two-sided).\n\n"
        if common.isEmpty {
            out += "No node is on both sides.\n"
        } else {
            out += "| node | metric | A | B | Δ | p |\n|---|---|---:|---:|---:|---:|\n"
            for node in common {
                let ma = a.metrics[node]!, mb = b.metrics[node]!
                for metric in Set(ma.keys).union(mb.keys).sorted() {
                    out += row(node: node, metric: metric, ma[metric], mb[metric])
                }
            }
        }
        if !onlyA.isEmpty { out += "\nOnly in A (\(a.label)): " + onlyA.map { "`\($0)`" }.joined(separator: ", ") + "\n" }
        if !onlyB.isEmpty { out += "\nOnly in B (\(b.label)): " + onlyB.map { "`\($0)`" }.joined(separator: ", ") + "\n" }
        return out
    }

    static func row(node: String, metric: String, _ a: [Double]?, _ b: [Double]?) -> String {
        func cell(_ v: [Double]?) -> String {
            guard let v, !v.isEmpty else { return "—" }
            let s = Summary(v)
            return v.count == 1 ? "\(fmt(s.mean)) (1)" : "\(fmt(s.mean)) ± \(fmt(s.std)) (\(v.count))"
        }
        var delta = "—", p = "—"
        if let a, let b, !a.isEmpty, !b.isEmpty {
            delta = signed(Summary(b).mean - Summary(a).mean)
            if let w = Statistics.welch(a, b) { p = pValue(w.pValue) }
            else if a.count > 1 && b.count > 1 { p = Summary(a).mean == Summary(b).mean ? "1" : "0 (no spread)" }
            else { p = "n/a (one seed)" }
        }
        return "| \(node) | \(metric) | \(cell(a)) | \(cell(b)) | \(delta) | \(p) |\n"
    }

    /// Four significant digits.
    static func fmt(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        if x == 0 { return "0" }
        let magnitude = abs(x)
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.3e", x) }
        let decimals = max(0, 3 - Int(log10(magnitude).rounded(.down)))
        return String(format: "%.\(decimals)f", x)
    }

    static func signed(_ x: Double) -> String { x > 0 ? "+" + fmt(x) : fmt(x) }

    static func pValue(_ p: Double) -> String {
        p < 1e-4 ? String(format: "%.1e", p) : String(format: "%.4f", p)
    }
}
