import Foundation

/// Runs a program to completion and captures what it prints: the one way
/// Asym starts git, gnuplot and Slurm's commands. Both outputs are read at
/// once (standard error on a second thread), so a program that fills one
/// pipe while we wait on the other cannot deadlock; standard input is empty.
public enum Subprocess {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// `arguments[0]` is found on PATH (through /usr/bin/env) unless `executable` names the file.
    public static func capture(_ arguments: [String], executable: URL? = nil, environment: [String: String]? = nil,
                               directory: URL? = nil) throws -> Output {
        let p = Process()
        if let executable { p.executableURL = executable; p.arguments = arguments }
        else { p.executableURL = URL(fileURLWithPath: "/usr/bin/env"); p.arguments = arguments }
        if let environment { p.environment = environment }
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
