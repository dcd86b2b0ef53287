import Foundation
import Testing

// Helpers for the fault-injection suites (FaultInjection*.swift): run the
// built `asym` under a fault (a signal, a full or closed stdout, a hostile
// file) and check the README's promise: exit 0 success, 2 bad input, 1 other
// failures, and exactly one readable line on stderr starting `asym: `.

/// What one run of `asym` did.
struct Outcome {
    var status: Int32
    /// Killed by a signal (then `status` is the signal number).
    var signaled: Bool
    var stdout: String
    var stderr: String
    /// Lines of stderr that are not progress reports.
    var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("steps ") } }
}

/// A fresh temporary folder, removed by `cleanup`.
func scratchDirectory(_ label: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("asym-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Starts `asym` with `arguments`; `shellRedirect` (e.g. `>/dev/full`, `>&-`)
/// is applied to it through /bin/sh, so stdout can be a device or closed;
/// `input`, if given, is written to its stdin (else stdin is /dev/null).
func startAsym(_ arguments: [String], shellRedirect: String? = nil, input: String? = nil) throws -> (Process, Pipe, Pipe) {
    let process = Process()
    if let shellRedirect {
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \"$0\" \"$@\" \(shellRedirect)", asymBinary().path] + arguments
    } else {
        process.executableURL = asymBinary()
        process.arguments = arguments
    }
    // A store of its own (under this test process's temporary folder), unless the
    // caller chose one: no run is answered from another test's cache, and nothing
    // lands in the repository's artifacts/.
    var environment = ProcessInfo.processInfo.environment
    if environment["ASYM_STORE"] == nil {
        environment["ASYM_STORE"] = FileManager.default.temporaryDirectory
            .appendingPathComponent("asym-fault-store-\(getpid())-\(UUID().uuidString)").path
    }
    process.environment = environment
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let inPipe = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
    try process.run()
    if let input {
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        try inPipe.fileHandleForWriting.close()
    }
    return (process, out, err)
}

/// Waits for a started run, killing it (and failing the test) after `timeout`
/// seconds: a hang is a defect, never a stuck test suite.
func finish(_ started: (Process, Pipe, Pipe), timeout: Double = 60,
            sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
    let (process, out, err) = started
    nonisolated(unsafe) var outData = Data(), errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(5_000) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        Issue.record("asym \(process.arguments ?? []) did not finish within \(timeout) s (a hang)", sourceLocation: sourceLocation)
    }
    process.waitUntilExit()
    group.wait()
    return Outcome(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                   stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs `asym` to the end (or `timeout`).
func run(_ arguments: [String], shellRedirect: String? = nil, timeout: Double = 60) throws -> Outcome {
    finish(try startAsym(arguments, shellRedirect: shellRedirect), timeout: timeout)
}

/// Checks a failed run: exit `code`, nothing on stdout, and exactly one line
/// on stderr besides progress reports, starting `asym: ` and containing `message`.
func expectFailure(_ r: Outcome, code: Int32, message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!r.signaled, "killed by signal \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.status == code, "exit \(r.status), expected \(code): \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stdout.isEmpty, "stdout: \(r.stdout)", sourceLocation: sourceLocation)
    #expect(r.errorLines.count == 1, "expected one line on stderr, got: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.errorLines.first?.hasPrefix("asym: ") == true, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(message), "stderr lacks '\(message)': \(r.stderr)", sourceLocation: sourceLocation)
}

/// The summary line without its wall-clock field: what must be equal between runs.
func resultPart(_ stdout: String) -> String {
    let line = stdout.split(separator: "\n").last.map(String.init) ?? ""
    return line.replacingOccurrences(of: #","steps_per_second":[0-9.e+-]+"#, with: "", options: .regularExpression)
}

/// SplitMix64: seeded choices of kill moments, the same on every run of the suite.
struct SeededMoments {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// The inode of `path`, or nil: every atomic replace of a checkpoint gives a new one.
func inode(_ path: String) -> UInt64? {
    var st = stat()
    return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
}
