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

/// Runs `asym` with `arguments` (and `stdin`, if given) and waits for it,
/// in `currentDirectory` when given (commands that ask git about the current folder).
func runAsym(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
             currentDirectory: URL? = nil) throws
    -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    process.executableURL = asymBinary()
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    // Each call gets its own empty artifact store unless the test names one:
    // no test sees another's cached results, and none writes into the checkout.
    let privateStore = FileManager.default.temporaryDirectory.appendingPathComponent("asym-cli-store-\(UUID().uuidString)").path
    env["ASYM_STORE"] = privateStore
    defer { try? FileManager.default.removeItem(atPath: privateStore) }
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read stderr on another thread so a chatty child cannot fill one pipe while we wait on the other.
    nonisolated(unsafe) var stderrData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        stderrData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdoutData, as: UTF8.self),
            String(decoding: stderrData, as: UTF8.self))
}
