// Pipeline errors that point into the file: every problem found before
// anything runs becomes one line `FILE:LINE:COLUMN: field: message`, the
// format compilers use, so editors jump to the spot.
import Yams

/// A place in a pipeline file (1-based line and column, as editors count).
public struct SourceMark: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    init(_ mark: Mark?) { self.init(line: mark?.line ?? 1, column: mark?.column ?? 1) }
    public static func < (a: SourceMark, b: SourceMark) -> Bool { (a.line, a.column) < (b.line, b.column) }
    public var description: String { "\(line):\(column)" }
}

/// One problem in a pipeline file.
public struct PipelineDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var mark: SourceMark
    /// Dotted path of the offending field, e.g. `stages.toy.matrix.actor`.
    public var field: String
    public var message: String
    public init(file: String, mark: SourceMark, field: String, message: String) {
        self.file = file; self.mark = mark; self.field = field; self.message = message
    }
    public var description: String { "\(file):\(mark.line):\(mark.column): \(field): \(message)" }
}

/// Every problem found in a pipeline file, in file order, one per line.
public struct PipelineErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [PipelineDiagnostic]
    public init(_ diagnostics: [PipelineDiagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects diagnostics for one file, dropping exact repeats (a bad value
/// under a matrix is reported once, not once per combination).
struct DiagnosticLog {
    let file: String
    private(set) var items: [PipelineDiagnostic] = []
    private var seen: Set<PipelineDiagnostic> = []
    init(file: String) { self.file = file }

    mutating func error(_ mark: SourceMark, _ field: String, _ message: String) {
        let d = PipelineDiagnostic(file: file, mark: mark, field: field, message: message)
        if seen.insert(d).inserted { items.append(d) }
    }

    var isEmpty: Bool { items.isEmpty }
    var sorted: [PipelineDiagnostic] {
        items.enumerated().sorted { ($0.element.mark, $0.offset) < ($1.element.mark, $1.offset) }.map(\.element)
    }
}

/// The closest of `candidates` to `word` when it is plausibly a typo.
func suggestion(for word: String, among candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var previous = row[0]; row[0] = i + 1
            for (j, cb) in b.enumerated() {
                let substitute = previous + (ca == cb ? 0 : 1)
                previous = row[j + 1]
                row[j + 1] = min(substitute, row[j] + 1, row[j + 1] + 1)
            }
        }
        return row[b.count]
    }
    let w = Array(word.lowercased())
    let scored = candidates.map { ($0, distance(w, Array($0.lowercased()))) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, w.count / 3) else { return nil }
    return best.0
}

func didYouMean(_ word: String, _ candidates: [String]) -> String {
    suggestion(for: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
}
