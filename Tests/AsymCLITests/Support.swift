import Foundation

/// The `asym` binary built beside the test bundle (same configuration and scratch folder).
func asymBinary() -> URL {
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var dir = runner.deletingLastPathComponent()
    // On Linux the runner is `<build>/AsymPackageTests.xctest`; elsewhere it may sit deeper.
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("asym")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: ".build/release/asym")
}

struct ProcessResult {
    let stdout: String
    let stderr: String
    let status: Int32
}

/// Runs `asym` with `arguments` and waits for it.
func runAsym(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = asymBinary()
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting so a chatty child cannot fill the pipe and block.
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    let stderrData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(stdout: String(decoding: stdoutData, as: UTF8.self),
                         stderr: String(decoding: stderrData, as: UTF8.self),
                         status: process.terminationStatus)
}
