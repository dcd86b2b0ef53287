import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A content-addressed store of artifacts in one folder:
///
///     objects/<first 2 hex>/<key>.h5   finished artifacts
///     partial/<key>.h5                 checkpoints of unfinished runs
///     runs/<time>-<what>.json          run records (which keys a run produced)
///     quarantine/<name>.<time>         damaged files, never used again
///     locks/<key>.lock                 one per key ever computed (held while computing)
///     verified.tsv                     objects whose checksum held, by file identity
///
/// Every write goes through `AtomicWrite`. Reads verify checksums; a damaged
/// object is moved to quarantine and reported, and the caller recomputes it.
public final class ArtifactStore: Sendable {
    public let root: String
    let verified: VerifiedIndex

    /// The folder to use: `--store DIR`, else `$ASYM_STORE`, else `artifacts`.
    public static func resolveRoot(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let option { return option }
        if let env = environment["ASYM_STORE"], !env.isEmpty { return env }
        return "artifacts"
    }

    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        verified = VerifiedIndex(path: self.root + "/verified.tsv")
    }

    public func objectPath(_ key: String) -> String { "\(root)/objects/\(key.prefix(2))/\(key).h5" }
    public func partialPath(_ key: String) -> String { "\(root)/partial/\(key).h5" }
    public func lockPath(_ key: String) -> String { "\(root)/locks/\(key).lock" }
    public var runsFolder: String { root + "/runs" }
    public var quarantineFolder: String { root + "/quarantine" }

    /// Creates the layout and checks that the store accepts new files (a
    /// read-only store fails here, before any work, with one line).
    public func prepareForWriting() throws {
        for folder in ["objects", "partial", "runs", "quarantine", "locks"] {
            let path = root + "/" + folder
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw StoreError.notWritable(path: path, why: "it is a file, not a folder") }
                continue
            }
            if mkdir(root, 0o755) != 0 && errno != EEXIST {
                throw StoreError.notWritable(path: root, why: "cannot create the store: \(StoreError.reason(errno: errno))")
            }
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw StoreError.notWritable(path: root, why: "cannot create \(folder)/: \(StoreError.reason(errno: errno))")
            }
        }
        try AtomicWrite.prepare(partialPath("probe"))
    }

    // MARK: Objects

    /// What happened to an object on lookup, for the one line the user sees.
    public enum Lookup {
        case found(Artifact)
        case absent
        /// It was damaged and is now in quarantine at `movedTo`; recompute it.
        case quarantined(why: String, movedTo: String)
    }

    /// The verified object for `key`. A damaged file is quarantined; a file
    /// that reads whole but is not this key's artifact is an error (it is not
    /// ours to move).
    public func lookup(_ key: String) throws -> Lookup {
        let path = objectPath(key)
        guard FileManager.default.fileExists(atPath: path) else { return .absent }
        let artifact: Artifact
        do { artifact = try Artifact.read(path) }
        catch StoreError.corrupt(_, let why) {
            return .quarantined(why: why, movedTo: try quarantine(path))
        }
        guard artifact.attributes["key"] == key else {
            throw StoreError.foreign(path: path, why: "its key attribute is \(artifact.attributes["key"].map { "'\($0)'" } ?? "absent")")
        }
        return .found(artifact)
    }

    /// Whether the object for `key` is in the store, as an unchanged file whose
    /// checksum held when it was last read whole: what `asym run` asks of every
    /// cached node. An object is read and verified (`lookup`) the first time
    /// and whenever its file changed since (another inode, size, modification
    /// or status-change time, which any write, copy or edit moves; git's index
    /// trusts files the same way), so a no-op run over a large warm store costs
    /// a stat per node. A damaged object found so is quarantined and reported
    /// absent; whoever reads an object still verifies it (`lookup`).
    public func isStored(_ key: String) throws -> Bool {
        let path = objectPath(key)
        guard let identity = VerifiedIndex.identity(path) else { return false }
        if verified.contains(key, identity: identity) { return true }
        guard case .found = try lookup(key), let after = VerifiedIndex.identity(path) else { return false }
        verified.record(key, identity: after)
        return true
    }

    /// Moves a damaged file out of the way; returns where it went.
    public func quarantine(_ path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: quarantineFolder, withIntermediateDirectories: true)
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let target = "\(quarantineFolder)/\(URL(fileURLWithPath: path).lastPathComponent).\(stamp).\(getpid())"
        guard rename(path, target) == 0 else {
            throw StoreError.notWritable(path: path, why: "cannot move the damaged file to quarantine: \(StoreError.reason(errno: errno))")
        }
        try? AtomicWrite.fsync(path: quarantineFolder, directory: true)
        return target
    }

    /// Stores `artifact` as the object for its `key` attribute.
    public func put(_ artifact: Artifact) throws {
        guard let key = artifact.attributes["key"], ArtifactKey.isKey(key) else {
            preconditionFailure("an artifact must carry its key")
        }
        let folder = URL(fileURLWithPath: objectPath(key)).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try artifact.write(to: objectPath(key))
    }

    /// Keys of every object file (names only; nothing is read).
    public func objectKeys() -> [String] {
        let objects = root + "/objects"
        var keys: [String] = []
        for shard in ((try? FileManager.default.contentsOfDirectory(atPath: objects)) ?? []).sorted() {
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: objects + "/" + shard)) ?? []).sorted()
            where name.hasSuffix(".h5") {
                let key = String(name.dropLast(3))
                if ArtifactKey.isKey(key) && key.hasPrefix(shard) { keys.append(key) }
            }
        }
        return keys
    }

    /// Files under objects/ that are not named like objects (reported, never touched).
    public func foreignFiles() -> [String] {
        let objects = root + "/objects"
        var foreign: [String] = []
        for shard in ((try? FileManager.default.contentsOfDirectory(atPath: objects)) ?? []).sorted() {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: objects + "/" + shard)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") {
                let key = name.hasSuffix(".h5") ? String(name.dropLast(3)) : ""
                if !(ArtifactKey.isKey(key) && key.hasPrefix(shard)) { foreign.append("objects/\(shard)/\(name)") }
            }
        }
        return foreign
    }

    /// The one key starting with `prefix`.
    public func resolve(prefix: String) throws -> String {
        let lowered = prefix.lowercased()
        guard !lowered.isEmpty, lowered.allSatisfy(\.isHexDigit) else { throw StoreError.badKey(prefix) }
        let matches = objectKeys().filter { $0.hasPrefix(lowered) }
        switch matches.count {
        case 1: return matches[0]
        case 0: throw StoreError.noObject(prefix: prefix, store: root)
        default: throw StoreError.ambiguous(prefix: prefix, matches: matches)
        }
    }

    // MARK: Run records

    /// Writes a run record naming the keys a run produced or used (gc keeps what records reach).
    @discardableResult
    public func recordRun(command: String, keys: [String], extra: [String: CanonicalJSON] = [:]) throws -> String {
        let created = Date()
        let stamp = ISO8601DateFormatter().string(from: created).replacingOccurrences(of: ":", with: "")
        let path = "\(runsFolder)/\(stamp)-\(keys.first.map { String($0.prefix(12)) } ?? command)-\(getpid()).json"
        var fields = extra
        fields["command"] = .string(command)
        fields["keys"] = .array(keys.map(CanonicalJSON.string))
        fields["created"] = .string(ISO8601DateFormatter().string(from: created))
        let text = CanonicalJSON.object(fields).text + "\n"
        try FileManager.default.createDirectory(atPath: runsFolder, withIntermediateDirectories: true)
        try AtomicWrite.writeBytes(Array(text.utf8), to: path)
        return path
    }

    /// Every key that some run record names; a file in runs/ that is not a
    /// run record is an error (it may name objects that must be kept).
    public func keptKeys() throws -> Set<String> {
        var kept = Set<String>()
        for (path, keys) in runRecords() {
            guard let keys else { throw StoreError.foreignRunRecord(path: path) }
            kept.formUnion(keys)
        }
        return kept
    }

    /// Files in runs/ that are not run records (reported by ls; gc refuses to run past them).
    public func foreignRunRecords() -> [String] {
        runRecords().filter { $0.keys == nil }.map(\.path)
    }

    /// Every file in runs/ (hidden ones aside: a record being written) with the
    /// keys it names, nil when it is not a run record.
    func runRecords() -> [(path: String, keys: [String]?)] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: runsFolder)) ?? []).sorted()
        return names.filter { !$0.hasPrefix(".") }.map { name in
            let path = runsFolder + "/" + name
            guard name.hasSuffix(".json"), let data = FileManager.default.contents(atPath: path),
                  let record = try? JSONDecoder().decode(CanonicalJSON.self, from: data),
                  case .array(let keys)? = record["keys"] else { return (path, nil) }
            return (path, keys.compactMap { if case .string(let k) = $0 { k } else { nil } })
        }
    }

    // MARK: Garbage collection

    public struct Collection: Sendable {
        public var objects: [String] = []
        public var partials: [String] = []
        public var bytes: Int64 = 0
    }

    /// Removes (or with `dryRun` only lists) objects that no run record reaches
    /// and partial files older than `grace` seconds whose key is not locked.
    public func collectGarbage(dryRun: Bool, grace: TimeInterval = 7 * 24 * 3600, now: Date = Date()) throws -> Collection {
        let kept = try keptKeys()
        var result = Collection()
        func size(_ path: String) -> Int64 { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0 }
        for key in objectKeys() where !kept.contains(key) {
            let path = objectPath(key)
            result.objects.append(path)
            result.bytes += size(path)
            if !dryRun { unlink(path) }
        }
        let partial = root + "/partial"
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: partial)) ?? []).sorted() where name.hasSuffix(".h5") {
            let key = String(name.dropLast(3))
            let path = partial + "/" + name
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                  now.timeIntervalSince(modified) > grace, KeyLock.holder(of: lockPath(key), probe: true) == nil else { continue }
            result.partials.append(path)
            result.bytes += size(path)
            if !dryRun { unlink(path) }
        }
        if !dryRun { AtomicWrite.removeStaleTemporaries(in: partial) }
        return result
    }
}

/// The objects a store has verified, by file identity (`verified.tsv`: one
/// line per verification, `key<TAB>identity`, the newest line wins). Lines are
/// appended with one `write` to an O_APPEND file, so concurrent processes never
/// interleave them; a line that does not parse is ignored, and a missing or
/// unwritable index only means objects are verified again.
final class VerifiedIndex: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var loaded = false
    private var identities: [String: String] = [:]

    init(path: String) { self.path = path }

    /// inode, size, and modification and status-change times in nanoseconds.
    static func identity(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return "\(st.st_ino) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)"
    }

    func contains(_ key: String, identity: String) -> Bool {
        lock.withLock {
            if !loaded {
                loaded = true
                if let data = FileManager.default.contents(atPath: path) {
                    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                        let parts = line.split(separator: "\t", maxSplits: 1)
                        if parts.count == 2 { identities[String(parts[0])] = String(parts[1]) }
                    }
                }
            }
            return identities[key] == identity
        }
    }

    func record(_ key: String, identity: String) {
        lock.withLock {
            identities[key] = identity
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return }
            defer { close(fd) }
            let line = Array("\(key)\t\(identity)\n".utf8)
            _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }
}
