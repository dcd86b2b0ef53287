import Foundation
import Testing

/// Runs the built `asym` binary (it sits beside the test bundle) and captures its output.
func runAsym(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("asym")
    process.arguments = arguments
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, stdout, stderr)
}

@Suite("asym env")
struct EnvCommandTests {
    @Test("env list shows every classic environment with its sizes")
    func list() throws {
        let (status, stdout, _) = try runAsym(["env", "list"])
        #expect(status == 0)
        #expect(stdout.contains("Pendulum-v0             3    Box(1) [-2.0, 2.0]  200"))
        #expect(stdout.contains("Acrobot-v1              6    Discrete(3)         500"))
        #expect(stdout.contains("ToyTracking-v0          1    Box(1) [-1.0, 1.0]  150"))
    }

    @Test("env replay prints obs0 and one entry per action")
    func replay() throws {
        let (status, stdout, stderr) = try runAsym(
            ["env", "replay", "--env", "Pendulum-v1", "--input", "-"],
            stdin: #"{"state": {"theta": 0, "thetadot": 0}, "actions": [[0], [0]]}"#)
        #expect(status == 0, "\(stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        #expect((json?["obs0"] as? [Any])?.count == 3)
        #expect((json?["steps"] as? [Any])?.count == 2)
    }

    @Test("bad input exits 2 with one line naming the file and field", arguments: [
        (["--env", "Acrobot-v1"], #"{"state": {"s": [0, 0]}, "actions": []}"#, "<stdin>: state.s: expected 4 numbers, got 2"),
        (["--env", "Pendulum-v9"], #"{}"#, "unknown environment 'Pendulum-v9'"),
        (["--env", "Pendulum-v0"], #"{"state": "#, "<stdin>: not valid JSON"),
    ])
    func badInput(options: [String], input: String, message: String) throws {
        let (status, stdout, stderr) = try runAsym(["env", "replay"] + options + ["--input", "-"], stdin: input)
        #expect(status == 2)
        #expect(stdout.isEmpty)
        #expect(stderr.split(separator: "\n").count == 1)
        #expect(stderr.contains(message), "\(stderr)")
    }

    @Test("a missing input file exits 2 and names it")
    func missingFile() throws {
        let (status, _, stderr) = try runAsym(["env", "replay", "--env", "Pendulum-v0", "--input", "/nonexistent/run.json"])
        #expect(status == 2)
        #expect(stderr.contains("/nonexistent/run.json"))
    }
}
