#if canImport(Glibc)
import Glibc
#endif

/// Stable-Baselines3 steps/s from the TSV that Peer/sb3_throughput.py prints
/// (columns algo, hidden, threads, env_sps, env_sps_median, …; `#` lines are
/// comments), measured on this machine in the same `make bench-peer` run as our figures.
struct PeerFigures {
    /// env steps/s at one torch thread over the training phase, by algorithm ("SAC") and hidden size ("[256,256]").
    var stepsPerSecond: [String: Double] = [:]
    /// The median over the training phase's windows of at least a second (absent from older TSVs).
    var medianStepsPerSecond: [String: Double] = [:]
    /// The script's first comment line: torch, SB3 and gymnasium versions.
    var versions = ""

    init(path: String) throws(PeerError) {
        guard let f = fopen(path, "r") else { throw .unreadable(path) }
        defer { fclose(f) }
        var header: [String]?
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), f) != nil {
            let line = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.split(separator: "\n").first.map(String.init) ?? ""
            if line.hasPrefix("#") {
                if versions.isEmpty { versions = String(line.dropFirst(2)) }
                continue
            }
            let fields = line.split(separator: "\t").map(String.init)
            guard let columns = header else { header = fields; continue }
            guard fields.count == columns.count,
                  let algo = columns.firstIndex(of: "algo"), let hidden = columns.firstIndex(of: "hidden"),
                  let threads = columns.firstIndex(of: "threads"), let sps = columns.firstIndex(of: "env_sps"),
                  let rate = Double(fields[sps]) else { throw .malformed(path, line) }
            guard fields[threads] == "1" else { continue }
            stepsPerSecond["\(fields[algo]) \(fields[hidden])"] = rate
            if let median = columns.firstIndex(of: "env_sps_median"), let value = Double(fields[median]), value.isFinite {
                medianStepsPerSecond["\(fields[algo]) \(fields[hidden])"] = value
            }
        }
        guard header != nil else { throw .malformed(path, "no header line") }
    }

    /// SB3's figure for `algo` (e.g. "SAC") with hidden sizes `hidden`: the
    /// training phase's mean, or the median of its windows' rates (`median`).
    func rate(_ algo: String, _ hidden: [Int], median: Bool = false) -> Double? {
        let key = "\(algo.uppercased()) [\(hidden.map(String.init).joined(separator: ","))]"
        return median ? medianStepsPerSecond[key] : stepsPerSecond[key]
    }
}

enum PeerError: Error, CustomStringConvertible {
    case unreadable(String), malformed(String, String)
    var description: String {
        switch self {
        case .unreadable(let p): "cannot read peer figures \(p)"
        case .malformed(let p, let line): "\(p): not a sb3_throughput.py TSV line: \(line)"
        }
    }
}

/// One line `asym-bench: …` on stderr, exit 2.
func fail(_ message: String) -> Never {
    let line = "asym-bench: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}
