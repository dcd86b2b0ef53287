import Foundation

/// Errors of the artifact store, each one readable sentence naming the file.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// An HDF5 call failed; `call` names the C function.
    case hdf5(call: String, path: String)
    case notFound(path: String)
    case missingDataset(name: String, path: String)
    case corrupt(path: String, why: String)
    case notWritable(path: String, why: String)
    /// A write failed; the previous file at `path` (if any) is unchanged.
    case writeFailed(path: String, why: String)
    /// A file in the store that is not what its place says (never moved or removed by us).
    case foreign(path: String, why: String)
    case locked(path: String, holder: String)
    case badKey(String)
    case noObject(prefix: String, store: String)
    case ambiguous(prefix: String, matches: [String])
    /// A partial checkpoint that belongs to another run.
    case partialMismatch(path: String, why: String)
    /// A file in runs/ that is not a run record: gc cannot know what it keeps.
    case foreignRunRecord(path: String)

    public var description: String {
        switch self {
        case .hdf5(let call, let path): return "\(path): HDF5 call \(call) failed (is the file damaged or the disk full?)"
        case .notFound(let path): return "\(path): no such file"
        case .missingDataset(let name, let path): return "\(path): no dataset '\(name)'"
        case .corrupt(let path, let why): return "\(path): damaged artifact (\(why))"
        case .notWritable(let path, let why): return "\(path.isEmpty ? "''" : path): cannot write here (\(why))"
        case .writeFailed(let path, let why): return "\(path): write failed: \(why); the previous file is unchanged"
        case .foreign(let path, let why): return "\(path): not an artifact of this store (\(why)); move it out of the store"
        case .locked(let path, let holder): return "\(path): being computed by \(holder) (run without --no-wait to wait for it)"
        case .badKey(let text): return "'\(text)' is not a key or key prefix (hex digits)"
        case .noObject(let prefix, let store): return "no object in \(store) has a key starting with '\(prefix)'"
        case .ambiguous(let prefix, let matches):
            return "key prefix '\(prefix)' matches \(matches.count) objects: \(matches.map { String($0.prefix(16)) }.joined(separator: ", "))"
        case .partialMismatch(let path, let why): return "\(path): partial checkpoint of another run (\(why)); remove it to start over"
        case .foreignRunRecord(let path):
            return "\(path): not a run record of this store; gc removes nothing until it is moved out of runs/ (it may name objects to keep)"
        }
    }

    /// Why a system call failed, in words a user can act on.
    static func reason(errno code: Int32) -> String {
        switch code {
        case ENOSPC: return "the disk is full (ENOSPC)"
        case EDQUOT: return "the disk quota is exhausted (EDQUOT)"
        case EFBIG: return "the file size limit is reached (EFBIG; see `ulimit -f`)"
        case EROFS: return "the file system is read-only (EROFS)"
        default: return String(cString: strerror(code))
        }
    }

    /// A failed HDF5 call, named by the system error behind it when there is one
    /// (a full disk, a size limit), else by the C function.
    static func hdf5Failure(call: String, path: String) -> StoreError {
        if let code = hdf5SystemErrno() { return .writeFailed(path: path, why: reason(errno: code)) }
        return .hdf5(call: call, path: path)
    }
}
