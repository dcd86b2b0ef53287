import Foundation
import Testing
import Nets
import Agents
import Pipeline
import Store

/// What `asym train` does with a partial checkpoint (store/partial/KEY.h5) that
/// is not this run's: another spec's, another numerics id's, damaged, or not
/// HDF5 at all. Each case: one clear line and no crash; the store keeps
/// whatever is not provably damaged.
@Suite("asym train with a partial checkpoint that is not its own", .serialized)
struct StorePartialTests {
    static let base = ["train", "--algo", "td3", "--env", "Pendulum-v0", "--critic", "8", "--steps", "400",
                       "--eval-episodes", "1", "--set", "start_steps=100", "--set", "update_after=100",
                       "--set", "batch_size=32", "--checkpoint-every", "100"]
    static func arguments(actor: String = "4", seed: Int = 2) -> [String] { base + ["--actor", actor, "--seed", "\(seed)"] }

    /// The same run as `arguments(actor:seed:)`, as a `TrainNode` in this process.
    static func node(actor: [Int] = [4], seed: UInt64 = 2) throws -> TrainNode {
        try TrainNode(spec: RunSpec(algorithm: .td3, env: "Pendulum-v0", actorHidden: actor, criticHidden: [8], seed: seed),
                      overrides: [("start_steps", "100"), ("update_after", "100"), ("batch_size", "32")],
                      steps: 400, evaluation: .init(episodes: 1))
    }

    /// A genuine partial checkpoint of `node` after 150 steps, written where `path` says.
    static func writePartial(of node: TrainNode, to path: String) throws {
        let agent = try node.makeAgent()
        while agent.stepsDone < 150 { agent.trainStep(metrics: NullMetrics()) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try node.writePartial(agent.stateDict(), metrics: MemoryMetrics(), to: path)
    }

    /// Rewrites the root attributes of the state file at `path` (contents and checksum unchanged).
    static func rewriteAttributes(_ path: String, _ change: (inout [String: String]) -> Void) throws {
        var attributes: [String: String] = [:]
        do {
            let file = try HDF5File.open(path)
            for name in try file.attributeNames() where name != StateFile.checksumAttribute {
                attributes[name] = try file.attribute(name)
            }
        }
        change(&attributes)
        try StateFile.write(StateFile.read(path), to: path, attributes: attributes)
    }

    /// The key and datasets of the run computed from scratch in a store of its own.
    static func reference() throws -> (key: String, arrays: [String: ShapedArray]) {
        let store = scratchFolder("partial-ref")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let r = try runAsym(arguments() + ["--store", store])
        #expect(r.status == 0, "\(r.stderr)")
        let key = try #require(keyLine(r.stderr))
        // The key computed here is the binary's: the partial files below are named by it.
        try #require(Numerics.kernel == Numerics.portableKernel, "run `make test` (OPENBLAS_CORETYPE=\(Numerics.portableKernel))")
        #expect(try node().key == key)
        return (key, try Artifact.read(try #require(storeObjects(store).first)).arrays)
    }

    func files(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    func expectOneLineFailure(_ r: (status: Int32, stdout: String, stderr: String), code: Int32, _ parts: String...) {
        #expect(r.status == code, "\(r.stderr)")
        #expect(r.stdout.isEmpty, "\(r.stdout)")
        let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("key ") }
        #expect(lines.count == 1 && lines[0].hasPrefix("asym: "), "\(r.stderr)")
        for part in parts { #expect(r.stderr.contains(part), "no '\(part)' in: \(r.stderr)") }
    }

    @Test("another spec's partial under this key: refused naming what differs; the file and the store stay as they were")
    func anotherSpec() throws {
        let (key, _) = try Self.reference()
        let store = scratchFolder("partial-spec")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let partial = ArtifactStore(root: store).partialPath(key)
        try Self.writePartial(of: Self.node(seed: 9), to: partial)
        let before = try Data(contentsOf: URL(fileURLWithPath: partial))

        let r = try runAsym(Self.arguments() + ["--store", store])
        expectOneLineFailure(r, code: 1, partial, "partial checkpoint of another run", "spec differs in seed", "remove it to start over")
        #expect(try Data(contentsOf: URL(fileURLWithPath: partial)) == before)
        #expect(storeObjects(store).isEmpty)
        #expect(files(store + "/quarantine").isEmpty)
    }

    @Test("a partial checkpoint keeps its arrays' shapes: replay rows of (N, obs_dim), metrics as (step, value) rows, UTF-8 attributes")
    func shapedDatasets() throws {
        let folder = scratchFolder("partial-shapes")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/p.h5"
        try Self.writePartial(of: Self.node(), to: path)
        let file = try HDF5File.open(path)
        // Pendulum: 3 observations, 1 action; 150 transitions stored after 150 steps.
        #expect(try file.shape("agent/replay/observations") == [150, 3])
        #expect(try file.shape("agent/replay/next_observations") == [150, 3])
        #expect(try file.shape("agent/replay/actions") == [150, 1])
        #expect(try file.shape("agent/replay/rewards") == [150])
        #expect(try file.attribute("kind") == "partial")
        // And it reads back to the same state, which the resume tests run from.
        let state = try StateFile.read(path)
        #expect(state.shapes["agent/replay/observations"] == [150, 3])
    }

    @Test("a partial computed under other numerics: refused naming both ids")
    func otherNumerics() throws {
        let (key, _) = try Self.reference()
        let store = scratchFolder("partial-numerics")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let partial = ArtifactStore(root: store).partialPath(key)
        try Self.writePartial(of: Self.node(), to: partial)
        let elsewhere = "native/openblas-0.3.21/SkylakeX"
        try Self.rewriteAttributes(partial) { $0["numerics"] = elsewhere }

        let r = try runAsym(Self.arguments() + ["--store", store])
        expectOneLineFailure(r, code: 1, "partial checkpoint of another run", "numerics \(elsewhere)",
                             "this process \(Numerics.id)")
        #expect(FileManager.default.fileExists(atPath: partial))
        #expect(storeObjects(store).isEmpty)
    }

    @Test("this key's partial with another network's state inside: refused in one line, not a crash")
    func wrongContents() throws {
        let (key, _) = try Self.reference()
        let store = scratchFolder("partial-contents")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let partial = ArtifactStore(root: store).partialPath(key)
        // An actor of [8] where the spec says [4], under this run's key and spec: labelled right, the contents wrong.
        try Self.writePartial(of: Self.node(actor: [8]), to: partial)
        let spec = try Self.node().spec.text
        try Self.rewriteAttributes(partial) { $0["key"] = key; $0["spec"] = spec }

        let r = try runAsym(Self.arguments() + ["--store", store])
        expectOneLineFailure(r, code: 1, partial, "partial checkpoint of another run", "actorHidden [8] (checkpoint) vs [4]",
                             "remove it to start over")
        #expect(FileManager.default.fileExists(atPath: partial))
        #expect(storeObjects(store).isEmpty)
    }

    @Test("a damaged partial (flipped data bytes, or not HDF5 at all) is quarantined, and the run starts over to the same result",
          arguments: ["flipped", "garbage", "empty"])
    func damaged(kind: String) throws {
        let (key, expected) = try Self.reference()
        let store = scratchFolder("partial-damaged")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let partial = ArtifactStore(root: store).partialPath(key)
        try Self.writePartial(of: Self.node(), to: partial)
        switch kind {
        case "flipped":
            // Flip a bit inside the first stored weights (found by value), not in HDF5's own structures.
            let state = try StateFile.read(partial)
            let name = try #require(state.floats.keys.sorted().first { $0.contains("actor") })
            let pattern = state.floats[name]!.prefix(4).withUnsafeBytes { [UInt8]($0) }
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: partial)))
            let at = try #require((0..<(bytes.count - pattern.count)).first { Array(bytes[$0..<($0 + pattern.count)]) == pattern })
            bytes[at + 1] ^= 0x10
            try Data(bytes).write(to: URL(fileURLWithPath: partial))
        case "garbage": try Data("not an HDF5 file\n".utf8).write(to: URL(fileURLWithPath: partial))
        default: try Data().write(to: URL(fileURLWithPath: partial))
        }

        let r = try runAsym(Self.arguments() + ["--store", store])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("\(partial): damaged (") && r.stderr.contains("starting over"), "\(r.stderr)")
        #expect(files(store + "/quarantine").count == 1)
        #expect(!FileManager.default.fileExists(atPath: partial))
        let objects = storeObjects(store)
        #expect(objects.count == 1)
        #expect(try Artifact.read(try #require(objects.first)).arrays == expected)
    }
}

/// `asym ls` (and gc) with files in the store that are not its objects or run records.
@Suite("asym ls with foreign files in the store", .serialized)
struct StoreListingCLITests {
    /// A store holding one real object; returns its folder and key.
    static func storeWithOneObject(_ name: String) throws -> (store: String, key: String) {
        let store = scratchFolder(name)
        let r = try runAsym(StorePartialTests.arguments() + ["--store", store])
        #expect(r.status == 0, "\(r.stderr)")
        return (store, try #require(keyLine(r.stderr)))
    }

    func problemLines(_ stderr: String) -> [Substring] { stderr.split(separator: "\n") }

    @Test("a stray file in objects/ is one line on stderr; the real objects are still listed; exit 0")
    func strayFileInObjects() throws {
        let (store, key) = try Self.storeWithOneObject("ls-stray")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let stray = "\(store)/objects/\(key.prefix(2))/notes.txt"
        try Data("my notes\n".utf8).write(to: URL(fileURLWithPath: stray))

        let r = try runAsym(["ls", "--store", store])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 1 && r.stdout.hasPrefix(String(key.prefix(12))), "\(r.stdout)")
        #expect(problemLines(r.stderr) == ["asym: \(stray): not an artifact of this store (ignored)"], "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: stray))
    }

    @Test("an object under another key's name is reported as foreign, not listed under the wrong key")
    func objectUnderAnotherName() throws {
        let (store, key) = try Self.storeWithOneObject("ls-renamed")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let s = ArtifactStore(root: store)
        let other = String(key.reversed())
        try FileManager.default.createDirectory(atPath: (s.objectPath(other) as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: s.objectPath(key), toPath: s.objectPath(other))

        let r = try runAsym(["ls", "--store", store])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 1 && r.stdout.hasPrefix(String(key.prefix(12))), "\(r.stdout)")
        let lines = problemLines(r.stderr)
        #expect(lines.count == 1 && lines[0].hasPrefix("asym: \(s.objectPath(other)): not an artifact of this store")
                && lines[0].contains(key), "\(r.stderr)")
    }

    @Test("a file named like an object that is not HDF5: one line naming it as damaged")
    func garbageObject() throws {
        let (store, key) = try Self.storeWithOneObject("ls-garbage")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let s = ArtifactStore(root: store)
        let other = String(repeating: "0", count: 64)
        try FileManager.default.createDirectory(atPath: store + "/objects/00", withIntermediateDirectories: true)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: s.objectPath(other)))

        let r = try runAsym(["ls", "--store", store])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix(String(key.prefix(12))), "\(r.stdout)")
        let lines = problemLines(r.stderr)
        #expect(lines.count == 1 && lines[0].hasPrefix("asym: \(s.objectPath(other)): damaged"), "\(r.stderr)")
    }

    @Test("a foreign file in runs/: ls names it in one line; gc refuses in one line and removes nothing")
    func foreignRunRecord() throws {
        let (store, key) = try Self.storeWithOneObject("ls-runs")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let foreign = store + "/runs/mine.json"
        try Data("{\"not\": \"a record\"}".utf8).write(to: URL(fileURLWithPath: foreign))
        let objects = storeObjects(store)

        let ls = try runAsym(["ls", "--store", store])
        #expect(ls.status == 0, "\(ls.stderr)")
        #expect(ls.stdout.hasPrefix(String(key.prefix(12))), "\(ls.stdout)")
        let lines = problemLines(ls.stderr)
        #expect(lines.count == 1 && lines[0].hasPrefix("asym: \(foreign): not a run record"), "\(ls.stderr)")

        let gc = try runAsym(["gc", "--store", store])
        #expect(gc.status == 1, "\(gc.stderr)")
        #expect(gc.stdout.isEmpty)
        let gcLines = problemLines(gc.stderr)
        #expect(gcLines.count == 1 && gcLines[0].hasPrefix("asym: \(foreign): not a run record"), "\(gc.stderr)")
        #expect(storeObjects(store) == objects)
        #expect(FileManager.default.fileExists(atPath: foreign))
    }
}
