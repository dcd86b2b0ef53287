import Testing
import Foundation
import Nets
@testable import Store

let sampleSpec = #"{"kind":"train","algorithm":"sac","env":"Pendulum-v1","actor":[4],"critic":[16],"steps":4000,"seed":3,"config":{"gamma":0.99,"pi_lr":0.001,"batch_size":256}}"#

@Suite("Cache keys")
struct KeyTests {
    let spec = try! CanonicalJSON(parsing: sampleSpec)

    @Test("the same spec with its keys in another order, or numbers written differently, has the same key")
    func canonical() throws {
        let reordered = try CanonicalJSON(parsing: #"{"seed":3,"steps":4.0e3,"critic":[16],"actor":[4],"env":"Pendulum-v1","config":{"batch_size":256.0,"pi_lr":1e-3,"gamma":0.99},"algorithm":"sac","kind":"train"}"#)
        #expect(reordered.text == spec.text)
        #expect(ArtifactKey.compute(spec: reordered) == ArtifactKey.compute(spec: spec))
        #expect(spec.text.hasPrefix(#"{"actor":[4],"algorithm":"sac","config":{"batch_size":256,"gamma":0.99,"pi_lr":0.001}"#))
    }

    @Test("the key changes with the spec, an input, the numerics id and the fingerprinted code")
    func sensitivity() throws {
        let key = ArtifactKey.compute(spec: spec)
        #expect(ArtifactKey.isKey(key))
        let seed4 = try CanonicalJSON(parsing: sampleSpec.replacingOccurrences(of: #""seed":3"#, with: #""seed":4"#))
        let lr = try CanonicalJSON(parsing: sampleSpec.replacingOccurrences(of: "0.001", with: "0.0003"))
        #expect(ArtifactKey.compute(spec: seed4) != key)
        #expect(ArtifactKey.compute(spec: lr) != key)
        #expect(ArtifactKey.compute(spec: spec, inputs: [key]) != key)
        #expect(ArtifactKey.compute(spec: spec, numerics: "openblas/Prescott") != key)
        #expect(ArtifactKey.compute(spec: spec, code: String(repeating: "0", count: 64)) != key)
    }

    @Test("the code fingerprint covers Kernels, Nets, Envs and Agents (SAC included) and nothing else")
    func fingerprintScope() throws {
        let names = SourceFingerprint.fileNames
        #expect(names.contains("Agents/SAC.swift") && names.contains("Nets/MLP.swift") && names.contains("Envs/Pendulum.swift")
                && names.contains("Kernels/Products.swift"))
        let modules = ["Kernels/", "Nets/", "Envs/", "Agents/"]
        #expect(names.allSatisfy { name in modules.contains { name.hasPrefix($0) } })
        #expect(!names.contains { $0.contains("Report") || $0.contains("Pipeline") || $0.contains("README") || $0.hasPrefix("asym/") })
        // The embedded text is the source as built, and the fingerprint is its digest.
        let files = SourceFingerprint.files
        #expect(SourceFingerprint.digest(of: files) == SourceFingerprint.current)
        let sac = try #require(files.first { $0.name == "Agents/SAC.swift" })
        #expect(String(decoding: sac.contents, as: UTF8.self).contains("struct SAC"))
        // Editing SAC (one byte) changes the fingerprint, hence every key.
        var edited = files
        let i = try #require(edited.firstIndex { $0.name == "Agents/SAC.swift" })
        edited[i].contents.append(UInt8(ascii: " "))
        let changed = SourceFingerprint.digest(of: edited)
        #expect(changed != SourceFingerprint.current)
        #expect(ArtifactKey.compute(spec: spec, code: changed) != ArtifactKey.compute(spec: spec))
    }
}

func sampleArtifact(key: String) -> Artifact {
    var a = Artifact(attributes: ["kind": "train", "key": key, "spec": sampleSpec, "note": "ünïcode ✓"])
    a.setMetric("train/episode_return", [(200, -1200.5), (400, -900.25)])
    a.arrays["eval"] = ShapedArray([-150.0, -160.0])
    a.arrays["weights/actor/0.weight"] = ShapedArray((0..<12).map { Float($0) }, shape: [4, 3])
    a.arrays["replay/observations"] = ShapedArray((0..<30_000).map { Float($0 % 97) }, shape: [10_000, 3])
    return a
}

@Suite("Artifacts and the store")
struct ArtifactStoreTests {
    @Test("an artifact round-trips: shapes, UTF-8 attributes, metrics; large arrays are compressed")
    func roundTrip() throws {
        let folder = freshFolder("artifact")
        let path = folder + "/a.h5"
        let artifact = sampleArtifact(key: String(repeating: "a", count: 64))
        try artifact.write(to: path)
        let back = try Artifact.read(path)
        #expect(back == artifact)
        #expect(back.arrays["replay/observations"]?.shape == [10_000, 3])
        #expect(back.metric("train/episode_return").map(\.value) == [-1200.5, -900.25])
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        #expect(size < 120_000 / 2, "30,000 floats of 97 values should compress (file is \(size) bytes)")
    }

    @Test("a flipped byte is caught on lookup: the object goes to quarantine, and the key reads as absent")
    func quarantine() throws {
        let store = ArtifactStore(root: freshFolder("store"))
        try store.prepareForWriting()
        let key = ArtifactKey.compute(spec: try CanonicalJSON(parsing: sampleSpec))
        try store.put(sampleArtifact(key: key))
        guard case .found = try store.lookup(key) else { Issue.record("stored object not found"); return }
        let path = store.objectPath(key)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let eval = [-150.0, -160.0].withUnsafeBytes { [UInt8]($0) }
        let at = try #require((0..<(bytes.count - eval.count)).first { Array(bytes[$0..<($0 + eval.count)]) == eval })
        bytes[at + 3] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        guard case .quarantined(let why, let movedTo) = try store.lookup(key) else { Issue.record("damage not detected"); return }
        #expect(why == "checksum mismatch" && movedTo.hasPrefix(store.quarantineFolder))
        #expect(!FileManager.default.fileExists(atPath: path))
        guard case .absent = try store.lookup(key) else { Issue.record("quarantined object still visible"); return }
    }

    @Test("isStored trusts an object verified before only while its file is unchanged: flipped bytes written in place, even under the old modification time, are caught")
    func verifiedIndex() throws {
        let store = ArtifactStore(root: freshFolder("store"))
        try store.prepareForWriting()
        let key = ArtifactKey.compute(spec: try CanonicalJSON(parsing: sampleSpec))
        #expect(try !store.isStored(key))
        try store.put(sampleArtifact(key: key))
        #expect(try store.isStored(key))
        #expect(try String(contentsOfFile: store.root + "/verified.tsv", encoding: .utf8).hasPrefix(key + "\t"))
        // A second process (a fresh store object) trusts the index while the file is the same.
        #expect(try ArtifactStore(root: store.root).isStored(key))

        let path = store.objectPath(key)
        let before = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let eval = [-150.0, -160.0].withUnsafeBytes { [UInt8]($0) }
        let at = try #require((0..<(bytes.count - eval.count)).first { Array(bytes[$0..<($0 + eval.count)]) == eval })
        bytes[at + 3] ^= 0x01
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))   // in place: same inode and size
        try handle.write(contentsOf: Data(bytes)); try handle.close()
        try FileManager.default.setAttributes([.modificationDate: before], ofItemAtPath: path)
        #expect(try !ArtifactStore(root: store.root).isStored(key), "the status-change time moved, so the file is read and its checksum fails")
        #expect(!FileManager.default.fileExists(atPath: path), "the damaged object is in quarantine")
    }

    @Test("a file under another key's name is foreign: an error, and left in place")
    func foreign() throws {
        let store = ArtifactStore(root: freshFolder("store-foreign"))
        let key = String(repeating: "b", count: 64), other = String(repeating: "c", count: 64)
        try store.put(sampleArtifact(key: other))
        try FileManager.default.createDirectory(atPath: store.root + "/objects/bb", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: store.objectPath(other), toPath: store.objectPath(key))
        #expect { _ = try store.lookup(key) } throws: { "\($0)".contains("not an artifact of this store") }
        #expect(FileManager.default.fileExists(atPath: store.objectPath(key)))
    }

    @Test("key prefixes resolve to one object, or list the ones they match")
    func prefixes() throws {
        let store = ArtifactStore(root: freshFolder("store-prefix"))
        let k1 = "ab" + String(repeating: "1", count: 62), k2 = "ab" + String(repeating: "2", count: 62)
        try store.put(sampleArtifact(key: k1)); try store.put(sampleArtifact(key: k2))
        #expect(try store.resolve(prefix: "ab1") == k1)
        #expect { _ = try store.resolve(prefix: "ab") } throws: { "\($0)".contains("matches 2 objects") }
        #expect { _ = try store.resolve(prefix: "ff") } throws: { "\($0)".contains("no object") }
    }

    @Test("gc removes what no run record reaches and old unlocked partials; --dry-run removes nothing")
    func garbage() throws {
        let store = ArtifactStore(root: freshFolder("store-gc"))
        try store.prepareForWriting()
        let kept = "1" + String(repeating: "a", count: 63), dropped = "2" + String(repeating: "a", count: 63)
        try store.put(sampleArtifact(key: kept)); try store.put(sampleArtifact(key: dropped))
        try store.recordRun(command: "train", keys: [kept])
        let oldPartial = store.partialPath(String(repeating: "d", count: 64))
        let lockedPartial = store.partialPath(String(repeating: "e", count: 64))
        for p in [oldPartial, lockedPartial] { try StateFile.write(smallState(1), to: p) }
        let lock = try KeyLock.acquire(store.lockPath(String(repeating: "e", count: 64)), wait: false)
        defer { lock.release() }
        let later = Date().addingTimeInterval(30 * 24 * 3600)
        let dry = try store.collectGarbage(dryRun: true, now: later)
        #expect(dry.objects == [store.objectPath(dropped)] && dry.partials == [oldPartial])
        #expect(store.objectKeys().count == 2)
        _ = try store.collectGarbage(dryRun: false, now: later)
        #expect(store.objectKeys() == [kept])
        #expect(!FileManager.default.fileExists(atPath: oldPartial) && FileManager.default.fileExists(atPath: lockedPartial))
    }

    @Test("a held key lock is reported with its holder; released, it is taken at once")
    func locks() throws {
        let path = freshFolder("locks") + "/k.lock"
        let lock = try KeyLock.acquire(path, wait: false)
        #expect(KeyLock.holder(of: path, probe: false)?.pid == getpid())
        lock.release()
        #expect(KeyLock.holder(of: path, probe: true) == nil)
        let again = try KeyLock.acquire(path, wait: false)
        again.release()
    }
}
