import Foundation

/// What `asym ls` and `asym show` print, computed here so any front end prints the same.
extension ArtifactStore {
    /// One object as `asym ls` shows it.
    public struct Row: Sendable {
        public var fields: [(name: String, value: String)]
        public var line: String { fields.map(\.value).joined(separator: "  ") }
        public func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }
    }

    /// Rows for every readable object, optionally of one kind and matching
    /// every filter (`field=value`, or a word that appears in the row). Damaged
    /// or foreign files are reported through `problem` and skipped.
    public func rows(kind: String?, filters: [String], problem: (String) -> Void) -> [Row] {
        for path in foreignFiles() { problem("\(root)/\(path): not an artifact of this store (ignored)") }
        for path in foreignRunRecords() { problem(StoreError.foreignRunRecord(path: path).description) }
        var rows: [Row] = []
        for key in objectKeys() {
            let artifact: Artifact
            do { artifact = try Artifact.read(objectPath(key)) } catch { problem("\(error)"); continue }
            guard artifact.attributes["key"] == key else {
                // A copy or a rename: listing it would show it under a key it was not computed for.
                problem(StoreError.foreign(path: objectPath(key),
                                           why: "its key attribute is \(artifact.attributes["key"].map { "'\($0)'" } ?? "absent")").description)
                continue
            }
            let row = Self.row(key: key, artifact)
            if let kind, row.value("kind") != kind { continue }
            let matches = filters.allSatisfy { filter in
                if let eq = filter.firstIndex(of: "=") {
                    return row.value(String(filter[..<eq])) == String(filter[filter.index(after: eq)...])
                }
                return row.line.contains(filter)
            }
            if matches { rows.append(row) }
        }
        return rows.sorted { ($0.value("created") ?? "") < ($1.value("created") ?? "") }
    }

    static func row(key: String, _ artifact: Artifact) -> Row {
        let spec = artifact.attributes["spec"].flatMap { try? CanonicalJSON(parsing: $0) }
        let summary = artifact.attributes["summary"].flatMap { try? CanonicalJSON(parsing: $0) }
        func text(_ v: CanonicalJSON?) -> String {
            switch v {
            case .string(let s)?: return s
            case .integer(let i)?: return String(i)
            case .number(let d)?: return String(format: "%.1f", d)
            case .array(let a)?: return "[" + a.map { text($0) }.joined(separator: ",") + "]"
            default: return "–"
            }
        }
        return Row(fields: [
            ("key", String(key.prefix(12))), ("kind", artifact.attributes["kind"] ?? "–"),
            ("algo", text(spec?["algorithm"])), ("env", text(spec?["env"])),
            ("actor", text(spec?["actor"])), ("critic", text(spec?["critic"])),
            ("seed", text(spec?["seed"])), ("steps", text(spec?["steps"])),
            ("return", text(summary?["eval_return_mean"])), ("created", artifact.attributes["created"] ?? "–"),
        ])
    }

    /// `asym show`: spec, provenance, datasets with shapes, metric summaries.
    public static func describe(key: String, _ artifact: Artifact) -> String {
        var out = "key \(key)\n"
        out += "spec \(artifact.attributes["spec"] ?? "–")\n"
        out += "provenance\n"
        for name in artifact.attributes.keys.sorted() where !["spec", "key"].contains(name) && !name.hasPrefix("perf_") {
            out += "  \(name): \(artifact.attributes[name]!)\n"
        }
        out += "datasets\n"
        for name in artifact.arrays.keys.sorted() {
            let a = artifact.arrays[name]!
            let type: String
            switch a.values { case .floats: type = "float32"; case .doubles: type = "float64"; case .integers: type = "int64" }
            out += "  /\(name)  \(type) (\(a.shape.map(String.init).joined(separator: ", ")))\n"
        }
        let metrics = artifact.metricNames
        if !metrics.isEmpty { out += "metrics (count, first step → last step: first → last value, min … max)\n" }
        for name in metrics {
            let series = artifact.metric(name)
            guard let first = series.first, let last = series.last else { out += "  \(name): empty\n"; continue }
            let values = series.map(\.value)
            func f(_ x: Double) -> String { String(format: "%.4g", x) }
            out += "  \(name): \(series.count), \(first.step) → \(last.step): \(f(first.value)) → \(f(last.value)), \(f(values.min()!)) … \(f(values.max()!))\n"
        }
        if let eval = artifact.arrays["eval"] {
            out += "eval returns \(eval.doubles.map { String(format: "%.2f", $0) }.joined(separator: " "))\n"
        }
        return out
    }
}
