// The report stage's plainest output: every result it reads as one Markdown
// table (node, sizes, seed, mean ± std of the final evaluation, key), and each
// search's probes and outcome. It reads the store only.
import Foundation
import Agents
import Store

public enum ResultsTable {
    /// The folder a report node writes into: its `output`, or `plots/<pipeline>`, under `base`.
    public static func folder(of node: PipelineNode, pipeline: Pipeline, base: String) -> String {
        guard case .report(let spec) = node.spec else { return base }
        let relative = spec.output ?? "plots/\(pipeline.name)"
        return relative.hasPrefix("/") ? relative : base + "/" + relative
    }

    /// The Markdown of the results that `node` (a report) reads.
    public static func markdown(for node: PipelineNode, pipeline: Pipeline, store: ArtifactStore) throws -> String {
        guard case .report(let spec) = node.spec else { return "" }
        var lines = ["# \(spec.title)", "", "| node | actor | critic | seed | return (mean ± std) | episodes | key |",
                     "|---|---|---|---:|---:|---:|---|"]
        var searches: [String] = []
        for id in spec.inputs {
            guard let input = pipeline.graph[id], let key = try NodeKeys.key(of: input),
                  case .found(let artifact) = try store.lookup(key) else {
                lines.append("| \(id) | | | | not computed | | |"); continue
            }
            switch input.spec {
            case .train(let t):
                lines.append(row(id, t.actor, t.critic, t.seed, artifact, key))
            case .evaluate(let e):
                lines.append(row(id, e.train.actor, e.train.critic, e.train.seed, artifact, key))
            case .search:
                searches.append(contentsOf: searchSection(id, artifact))
            case .report: break
            }
        }
        return (lines + searches).joined(separator: "\n") + "\n"
    }

    static func row(_ id: String, _ actor: [Int], _ critic: [Int], _ seed: UInt64, _ artifact: Artifact, _ key: String) -> String {
        let result = RunResult(returns: artifact.arrays["eval"]?.doubles ?? [])
        let value = String(format: "%.2f ± %.2f", result.mean ?? 0, result.std ?? 0)
        return "| \(id) | \(actor) | \(critic) | \(seed) | \(value) | \(result.returns.count) | `\(key.prefix(12))` |"
    }

    static func searchSection(_ id: String, _ artifact: Artifact) -> [String] {
        var lines = ["", "## \(id)", ""]
        if let o = SearchArtifact.outcome(artifact) {
            lines.append("Threshold \(String(format: "%.2f", o.threshold)), pass mark \(String(format: "%.2f", o.passMark)); "
                         + "smallest symmetric \(o.symmetric.map { "\($0)" } ?? "none"); "
                         + "smallest asymmetric \(o.asymmetric.map { "actor \($0.actor) critic \($0.critic)" } ?? "none").")
            lines.append("")
        }
        lines.append("| phase | actor | critic | seeds | mean | passed | decision |")
        lines.append("|---|---|---|---|---:|---|---|")
        for r in SearchArtifact.records(artifact) {
            lines.append("| \(r.phase.rawValue) | \(r.sizes.actor) | \(r.sizes.critic) | \(r.seeds.map(String.init).joined(separator: ",")) "
                         + "| \(String(format: "%.2f", r.mean)) | \(r.passed ? "yes" : "no") | \(r.decision) |")
        }
        return lines
    }
}

/// A report is current when its folder's stamp names the key of what it read:
/// the report spec and the keys of its inputs. A warm re-run rewrites nothing.
public enum ReportStamp {
    public static func key(of node: PipelineNode, in pipeline: Pipeline) throws -> String? {
        guard case .report(let spec) = node.spec else { return nil }
        let inputs = try spec.inputs.map { id -> String in
            guard let input = pipeline.graph[id] else { return "missing:" + id }
            return try NodeKeys.key(of: input) ?? "report:" + id
        }
        return ArtifactKey.compute(spec: try CanonicalJSON(parsing: try node.spec.canonical), inputs: inputs)
    }

    public static func path(folder: String) -> String { folder + "/.asym-report-key" }

    public static func isCurrent(folder: String, key: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path(folder: folder)) else { return false }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == key
    }

    public static func write(folder: String, key: String) throws {
        try AtomicWrite.writeBytes(Array((key + "\n").utf8), to: path(folder: folder))
    }
}
