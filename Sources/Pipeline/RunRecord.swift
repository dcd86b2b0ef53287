// The record of one `asym run`: which commit and numerics computed what, node
// by node, so that `asym status` can say why a node is stale, `asym gc` keeps
// what some record names, and the report and `asym diff` can cite provenance.
import Foundation
import Agents
import Nets
import Store

public struct RunRecord: Codable, Sendable {
    public struct Node: Codable, Sendable {
        public var key: String?
        /// cached, computed, failed or skipped.
        public var disposition: String
        public var seconds: Double?
        public var message: String?
    }

    public var command: String
    public var pipeline: String
    public var pipelineName: String
    /// SHA-256 of the pipeline file's bytes.
    public var pipelineHash: String
    public var gitCommit: String
    public var gitDirty: String
    public var toolVersion: String
    public var numerics: String
    /// Fingerprint of the source of each module whose code decides results.
    public var code: [String: String]
    public var created: String
    public var wallSeconds: Double
    public var jobs: Int
    public var executor: String
    public var nodes: [String: Node]
    /// Every key this run used (what `asym gc` keeps).
    public var keys: [String]
    public var stopped: Bool
    /// "full budget", or the `--scale`/`--seeds` the run used.
    public var budget: String?

    enum CodingKeys: String, CodingKey {
        case command, pipeline, keys, nodes, numerics, code, created, jobs, executor, stopped, budget
        case pipelineName = "pipeline_name", pipelineHash = "pipeline_sha256", gitCommit = "git_commit"
        case gitDirty = "git_dirty", toolVersion = "tool_version", wallSeconds = "wall_seconds"
    }

    /// Per-module digests of the fingerprinted source (Kernels, Nets, Envs, Agents).
    public static let moduleFingerprints: [String: String] = {
        var byModule: [String: [(name: String, contents: [UInt8])]] = [:]
        for file in SourceFingerprint.files {
            let module = String(file.name.split(separator: "/").first ?? "")
            byModule[module, default: []].append(file)
        }
        return byModule.mapValues { SourceFingerprint.digest(of: $0) }
    }()

    public static func fileHash(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return ArtifactKey.sha256(Array(data))
    }

    /// Writes the record to `runs/<time>-<commit>.json` and returns its path.
    public func write(in store: ArtifactStore) throws -> String {
        let stamp = created.replacingOccurrences(of: ":", with: "")
        let commit = gitCommit.isEmpty ? "nogit" : String(gitCommit.prefix(12))
        try FileManager.default.createDirectory(atPath: store.runsFolder, withIntermediateDirectories: true)
        var path = "\(store.runsFolder)/\(stamp)-\(commit).json"
        if FileManager.default.fileExists(atPath: path) { path = "\(store.runsFolder)/\(stamp)-\(commit)-\(getpid()).json" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try AtomicWrite.writeBytes(Array(try encoder.encode(self)) + [10], to: path)
        return path
    }

    /// The run records in the store, oldest first (unreadable files are skipped).
    public static func all(in store: ArtifactStore) -> [(path: String, record: RunRecord)] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: store.runsFolder)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { name in
            let path = store.runsFolder + "/" + name
            guard let data = FileManager.default.contents(atPath: path),
                  let record = try? JSONDecoder().decode(RunRecord.self, from: data), record.command == "run" else { return nil }
            return (path, record)
        }
    }

    /// The newest record of `pipelineName`.
    public static func latest(of pipelineName: String, in store: ArtifactStore) -> RunRecord? {
        all(in: store).last { $0.record.pipelineName == pipelineName }?.record
    }

    public static func read(_ path: String) throws -> RunRecord {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.notFound(path: path) }
        do { return try JSONDecoder().decode(RunRecord.self, from: data) }
        catch { throw StoreError.foreign(path: path, why: "not a run record of `asym run`: \(error)") }
    }
}
