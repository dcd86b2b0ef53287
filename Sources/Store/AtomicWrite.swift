import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one way Asym writes a file (checkpoints, objects, run records).
///
/// A write goes to a temporary file created exclusively in the target's own
/// folder; every HDF5 return is checked, the close included (HDF5 flushes
/// there, so a full disk often shows up only then); the file is fsynced,
/// renamed over the target and the folder fsynced. Any failure removes the
/// temporary file and leaves the previous target as it was. Targets that exist
/// and are not regular files (devices, folders, symbolic links) are refused,
/// never replaced.
///
/// Temporary files are named `.<name>.<host>-<pid>-<n>.tmp`, so the next run
/// on the same host can remove those whose process has died.
public enum AtomicWrite {
    /// Longest file name most file systems accept (`NAME_MAX`).
    static let nameLimit = 255

    // MARK: Checking a target before long work

    /// Checks that `path` can be written: a file name (not a folder, not empty,
    /// not too long), an existing target that is a regular file, a folder that
    /// exists (created if needed) and accepts new files. Removes temporary
    /// files that dead processes left there. Call it before training whose
    /// result goes to `path`.
    public static func prepare(_ path: String) throws {
        try checkTarget(path)
        let folder = self.folder(of: path)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw StoreError.notWritable(path: path, why: "cannot create folder \(folder)")
        }
        // A real file, created and removed: catches read-only mounts, /proc,
        // full inode tables and permissions that `access` would not.
        let probe = temporaryPath(for: path)
        let fd = open(probe, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError.notWritable(path: path, why: "cannot create a file in \(folder): \(StoreError.reason(errno: errno))")
        }
        close(fd)
        unlink(probe)
        removeStaleTemporaries(in: folder)
    }

    /// Refuses a path that cannot name a regular file we may replace.
    public static func checkTarget(_ path: String) throws {
        guard !path.isEmpty else { throw StoreError.notWritable(path: path, why: "the path is empty") }
        guard !path.hasSuffix("/") else {
            throw StoreError.notWritable(path: path, why: "the path ends in '/', so it names a folder, not a file")
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard name.utf8.count <= nameLimit else {
            throw StoreError.notWritable(path: path.count > 80 ? String(path.prefix(60)) + "…" : path,
                                         why: "the file name is \(name.utf8.count) bytes long; the limit is \(nameLimit)")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }   // absent: fine, it will be created
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw StoreError.notWritable(path: path, why: "it is a folder")
        case S_IFLNK:
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
            throw StoreError.notWritable(path: path, why: "it is a symbolic link to \(target); name the target itself to write there")
        default:
            throw StoreError.notWritable(path: path, why: "it is a device or special file, not a regular file")
        }
    }

    // MARK: Writing

    /// Writes an HDF5 file to `path` through a temporary file: `body` fills the
    /// open file; the rest (close, fsync, rename, fsync of the folder) happens here.
    public static func writeHDF5(to path: String, _ body: (HDF5File) throws -> Void) throws {
        try checkTarget(path)
        ignoreFileSizeSignal
        let temporary = temporaryPath(for: path)
        do {
            // One lock for the whole file: its handle must close before the rename.
            try withHDF5Lock {
                let file = try HDF5File.create(temporary, exclusive: true)
                do { try body(file) } catch { try? file.close(); throw error }
                try file.close()
            }
            try fsync(path: temporary, directory: false)
            try checkTarget(path)   // something may have appeared there meanwhile
            guard rename(temporary, path) == 0 else {
                throw StoreError.writeFailed(path: path, why: "cannot move the new file into place: \(StoreError.reason(errno: errno))")
            }
        } catch {
            unlink(temporary)
            throw rephrase(error, temporary: temporary, target: path)
        }
        // The rename is done; without this fsync a crash could still undo it.
        try fsync(path: folder(of: path), directory: true)
    }

    /// Writes bytes (a run record) to `path` through a temporary file, like `writeHDF5`.
    public static func writeBytes(_ bytes: [UInt8], to path: String) throws {
        try checkTarget(path)
        ignoreFileSizeSignal
        let temporary = temporaryPath(for: path)
        do {
            let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw StoreError.writeFailed(path: path, why: StoreError.reason(errno: errno)) }
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                guard n > 0 else { let code = errno; close(fd); throw StoreError.writeFailed(path: path, why: StoreError.reason(errno: code)) }
                written += n
            }
            guard Glibc.fsync(fd) == 0 else { let code = errno; close(fd); throw StoreError.writeFailed(path: path, why: StoreError.reason(errno: code)) }
            guard close(fd) == 0 else { throw StoreError.writeFailed(path: path, why: StoreError.reason(errno: errno)) }
            try checkTarget(path)
            guard rename(temporary, path) == 0 else {
                throw StoreError.writeFailed(path: path, why: "cannot move the new file into place: \(StoreError.reason(errno: errno))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        try fsync(path: folder(of: path), directory: true)
    }

    /// Errors about the temporary file, told about the target the user named.
    static func rephrase(_ error: Error, temporary: String, target: String) -> Error {
        switch error as? StoreError {
        case .writeFailed(let p, let why) where p == temporary: return StoreError.writeFailed(path: target, why: why)
        case .hdf5(let call, let p) where p == temporary:
            return StoreError.writeFailed(path: target, why: "HDF5 call \(call) failed")
        case .notWritable(let p, let why) where p == temporary: return StoreError.notWritable(path: target, why: why)
        default: return error
        }
    }

    static func fsync(path: String, directory: Bool) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0))
        guard fd >= 0 else { throw StoreError.writeFailed(path: path, why: "cannot open for fsync: \(StoreError.reason(errno: errno))") }
        defer { close(fd) }
        guard Glibc.fsync(fd) == 0 else {
            throw StoreError.writeFailed(path: path, why: "fsync failed: \(StoreError.reason(errno: errno))")
        }
    }

    /// Without this, exceeding `ulimit -f` kills the process with SIGXFSZ
    /// instead of failing the write with EFBIG, which we can report.
    static let ignoreFileSizeSignal: Void = { signal(SIGXFSZ, SIG_IGN) }()

    // MARK: Temporary files

    static func folder(of path: String) -> String {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return folder.isEmpty ? "." : folder
    }

    nonisolated(unsafe) static var counter = 0
    static let counterLock = NSLock()

    /// This host's name as it appears in temporary file names (letters, digits, `_`).
    static let hostTag: String = {
        let name = ProcessInfo.processInfo.hostName
        return String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" }.prefix(32))
    }()

    static func temporaryPath(for path: String) -> String {
        let n: Int = counterLock.withLock { counter += 1; return counter }
        let name = String(URL(fileURLWithPath: path).lastPathComponent.prefix(150))
        return folder(of: path) + "/.\(name).\(hostTag)-\(getpid())-\(n).tmp"
    }

    /// The pid that wrote a temporary file of ours on this host, or nil when
    /// `name` is not one (or comes from another host).
    static func writerPID(ofTemporary name: String) -> Int32? {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return nil }
        let stem = name.dropLast(4)
        guard let dot = stem.lastIndex(of: ".") else { return nil }
        let tag = stem[stem.index(after: dot)...]
        if tag.allSatisfy(\.isNumber) { return Int32(tag) }   // `.NAME.<pid>.tmp` of earlier versions
        let parts = tag.split(separator: "-")
        guard parts.count == 3, parts[0] == hostTag, parts[2].allSatisfy(\.isNumber) else { return nil }
        return Int32(parts[1])
    }

    /// Removes temporary files in `folder` whose writer (same host) is gone;
    /// returns their names.
    @discardableResult
    public static func removeStaleTemporaries(in folder: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        for name in names {
            guard let pid = writerPID(ofTemporary: name), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH, unlink(folder + "/" + name) == 0 { removed.append(name) }
        }
        return removed.sorted()
    }
}
