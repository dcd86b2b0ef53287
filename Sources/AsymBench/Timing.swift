#if canImport(Glibc)
import Glibc
#endif

/// Monotonic seconds.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Runs `body` repeatedly for at least `seconds` (after one warm-up call) and
/// returns the best per-call time over a few rounds, in seconds.
func measure(seconds: Double = 0.3, rounds: Int = 3, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<rounds {
        var calls = 0
        let start = now()
        var elapsed = 0.0
        repeat {
            for _ in 0..<8 { body() }
            calls += 8
            elapsed = now() - start
        } while elapsed < seconds / Double(rounds)
        best = min(best, elapsed / Double(calls))
    }
    return best
}

/// Left-padded to `width` (numbers in columns).
func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}

func fixed(_ x: Double, _ digits: Int) -> String {
    if digits == 0 { return String(Int(x.rounded())) }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (x * scale).rounded() / scale
    var s = String(r)
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 { s += "." + String(repeating: "0", count: digits) }
    return s
}

/// Right-padded to `width`, with at least one space after (names in columns).
func padRight(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

/// The CPU's model name (`lscpu`'s "Model name"), from /proc/cpuinfo.
func cpuModel() -> String {
    guard let f = fopen("/proc/cpuinfo", "r") else { return "unknown" }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 1024)
    while fgets(&line, Int32(line.count), f) != nil {
        let s = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if s.hasPrefix("model name"), let colon = s.firstIndex(of: ":") {
            return String(s[s.index(after: colon)...].drop { $0 == " " || $0 == "\t" }.prefix { $0 != "\n" })
        }
    }
    return "unknown"
}
