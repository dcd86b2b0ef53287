import Foundation

// REPORT.md: the pipeline as a rendered notebook. Stages in order, each with
// the Markdown of its `doc:` field, then its outputs (figures with captions,
// tables), then how its results came to be; the run's provenance closes it.

/// Something a stage shows in the report.
public enum ReportOutput: Sendable, Equatable {
    /// A rendered figure: file stem relative to REPORT.md's folder (`figure2`
    /// for figure2.png/.svg/.dat/.gp) and its caption.
    case figure(name: String, caption: String)
    /// A Markdown table (or any Markdown block) with an optional heading.
    case table(title: String?, markdown: String)
    /// Free Markdown.
    case text(String)
}

/// How one node of a stage was obtained.
public struct NodeProvenance: Sendable, Equatable {
    public let node: String
    public let key: String
    /// Found in the store (true) or computed by this run.
    public let cached: Bool
    /// Wall-clock seconds this node took to compute (when it was computed, by this run or the run that stored it).
    public let computeSeconds: Double?
    public init(node: String, key: String, cached: Bool, computeSeconds: Double?) {
        self.node = node; self.key = key; self.cached = cached; self.computeSeconds = computeSeconds
    }
}

/// One stage of the pipeline as REPORT.md shows it.
public struct StageSection: Sendable, Equatable {
    public let name: String
    public let kind: String
    /// The stage's `doc:` Markdown, shown as written.
    public let doc: String?
    public let outputs: [ReportOutput]
    public let nodes: [NodeProvenance]
    public init(name: String, kind: String, doc: String?, outputs: [ReportOutput], nodes: [NodeProvenance]) {
        self.name = name; self.kind = kind; self.doc = doc; self.outputs = outputs; self.nodes = nodes
    }
}

/// Where the results came from.
public struct RunProvenance: Sendable, Equatable {
    public let commit: String
    public let dirty: Bool
    public let toolVersion: String
    public let numericsID: String
    public let date: Date
    public let host: String?
    /// Budgets in force (name → value, e.g. "steps" → "50,000 (paper: 1,000,000)"), shown in this order.
    public let budgets: [(name: String, value: String)]

    public init(commit: String, dirty: Bool, toolVersion: String, numericsID: String, date: Date, host: String?,
                budgets: [(name: String, value: String)]) {
        self.commit = commit; self.dirty = dirty; self.toolVersion = toolVersion; self.numericsID = numericsID
        self.date = date; self.host = host; self.budgets = budgets
    }

    public static func == (a: RunProvenance, b: RunProvenance) -> Bool {
        a.commit == b.commit && a.dirty == b.dirty && a.toolVersion == b.toolVersion && a.numericsID == b.numericsID
            && a.date == b.date && a.host == b.host && a.budgets.map(\.name) == b.budgets.map(\.name)
            && a.budgets.map(\.value) == b.budgets.map(\.value)
    }
}

/// The whole report.
public struct ReportDocument: Sendable, Equatable {
    public let title: String
    /// The pipeline file, as the user named it.
    public let pipeline: String
    public let stages: [StageSection]
    public let provenance: RunProvenance
    /// The pipeline's own `doc:` Markdown, shown under the title.
    public let intro: String?

    public init(title: String, pipeline: String, stages: [StageSection], provenance: RunProvenance, intro: String? = nil) {
        self.title = title; self.pipeline = pipeline; self.stages = stages; self.provenance = provenance; self.intro = intro
    }

    /// The Markdown of REPORT.md.
    public var markdown: String {
        let p = provenance
        var out = "# \(title)\n\n"
        out += "Generated from `\(pipeline)` at commit `\(shortCommit(p.commit))`\(p.dirty ? " (with uncommitted changes)" : ""); the date and the rest of the provenance close the report. "
        out += "Each section is one stage of the pipeline, in order: its description, its outputs, and how they were obtained.\n"
        if let intro = intro?.trimmingCharacters(in: .whitespacesAndNewlines), !intro.isEmpty { out += "\n" + intro + "\n" }
        for (i, stage) in stages.enumerated() {
            out += "\n## \(i + 1). \(stage.name)\n\n"
            if let doc = stage.doc?.trimmingCharacters(in: .whitespacesAndNewlines), !doc.isEmpty { out += doc + "\n\n" }
            for output in stage.outputs {
                switch output {
                case .figure(let name, let caption):
                    out += "![\(markdownAltText(caption))](\(name).png)\n\n"
                    out += "*\(caption)* ([SVG](\(name).svg), [data](\(name).dat), [gnuplot script](\(name).gp))\n\n"
                case .table(let title, let markdown):
                    if let title { out += "**\(title)**\n\n" }
                    out += markdown.trimmingCharacters(in: .newlines) + "\n\n"
                case .text(let markdown):
                    out += markdown.trimmingCharacters(in: .newlines) + "\n\n"
                }
            }
            out += nodeSummary(stage)
        }
        out += "\n## Provenance\n\n| | |\n|---|---|\n"
        out += "| commit | `\(p.commit)`\(p.dirty ? " (dirty: uncommitted changes)" : " (clean)") |\n"
        out += "| tool version | \(p.toolVersion) |\n"
        out += "| numerics | `\(p.numericsID)` |\n"
        out += "| date | \(Self.formatDate(p.date)) |\n"
        if let host = p.host { out += "| host | \(host) |\n" }
        for b in p.budgets { out += "| budget: \(b.name) | \(b.value) |\n" }
        let nodes = stages.flatMap(\.nodes)
        let computed = nodes.filter { !$0.cached }
        out += "| nodes | \(nodes.count): \(nodes.count - computed.count) cached, \(computed.count) computed by this run |\n"
        out += "| compute time | \(Self.formatDuration(computed.compactMap(\.computeSeconds).reduce(0, +))) this run; \(Self.formatDuration(nodes.compactMap(\.computeSeconds).reduce(0, +))) in all |\n"
        return out
    }

    func nodeSummary(_ stage: StageSection) -> String {
        guard !stage.nodes.isEmpty else { return "" }
        let computed = stage.nodes.filter { !$0.cached }
        let seconds = stage.nodes.compactMap(\.computeSeconds).reduce(0, +)
        var out = "<details><summary>\(stage.kind) stage: \(stage.nodes.count) node\(stage.nodes.count == 1 ? "" : "s"), "
        out += "\(stage.nodes.count - computed.count) cached, \(computed.count) computed; \(Self.formatDuration(seconds)) of compute</summary>\n\n"
        out += "| node | key | result | compute time |\n|---|---|---|---:|\n"
        for n in stage.nodes {
            out += "| \(n.node) | `\(n.key)` | \(n.cached ? "cached" : "computed") | \(n.computeSeconds.map(Self.formatDuration) ?? "-") |\n"
        }
        return out + "\n</details>\n"
    }

    func shortCommit(_ c: String) -> String { String(c.prefix(12)) }

    /// The caption's first sentence (after a "Figure N." or "Figure A.1." label), brackets made parentheses.
    func markdownAltText(_ caption: String) -> String {
        var rest = Substring(caption), label = ""
        if caption.hasPrefix("Figure "), let end = caption.range(of: ". ") {
            label = String(caption[..<end.upperBound])
            rest = caption[end.upperBound...]
        }
        let sentence = rest.range(of: ". ").map { rest[..<$0.lowerBound] } ?? rest
        var alt = label + sentence
        if alt.hasSuffix(".") { alt.removeLast() }
        return alt.replacingOccurrences(of: "[", with: "(").replacingOccurrences(of: "]", with: ")")
    }

    static func formatDate(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return f.string(from: d)
    }

    /// "0.4 s", "12 s", "3 min 05 s", "2 h 01 min".
    static func formatDuration(_ s: Double) -> String {
        if s < 10 { return String(format: "%.1f s", s) }
        let total = Int(s.rounded())
        if total < 60 { return "\(total) s" }
        if total < 3600 { return String(format: "%d min %02d s", total / 60, total % 60) }
        return String(format: "%d h %02d min", total / 3600, (total % 3600) / 60)
    }
}
