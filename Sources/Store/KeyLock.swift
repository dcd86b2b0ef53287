import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One process computing a key at a time: an exclusive `flock` on
/// `locks/<key>.lock`, whose text names the holder (host, pid, start time).
/// The kernel releases the lock when its holder dies, however it dies, so a
/// dead holder's lock is taken over by the next process without any cleanup,
/// and no interleaving of processes can leave two holders. Lock files stay
/// (removing one while another process waits on it would let two hold "it").
public final class KeyLock {
    /// Who holds a lock, as its file says.
    public struct Holder: Codable, Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var pid: Int32
        public var started: String
        public var description: String { "pid \(pid) on \(host), started \(started)" }

        public static var current: Holder {
            Holder(host: ProcessInfo.processInfo.hostName, pid: getpid(),
                   started: ISO8601DateFormatter().string(from: Date()))
        }
    }

    public let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) { self.path = path; self.fd = fd }
    deinit { release() }

    /// Takes the lock at `path`. If another process holds it: with `wait`,
    /// calls `onWait` with the holder once, then blocks until it is free;
    /// without, throws `StoreError.locked` naming the holder.
    public static func acquire(_ path: String, wait: Bool, onWait: (Holder?) -> Void = { _ in }) throws -> KeyLock {
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.notWritable(path: path, why: "cannot open the lock: \(StoreError.reason(errno: errno))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else {
                close(fd)
                throw StoreError.notWritable(path: path, why: "cannot lock: \(StoreError.reason(errno: errno))")
            }
            let holder = readHolder(fd: fd)
            guard wait else { close(fd); throw StoreError.locked(path: path, holder: holder?.description ?? "another process") }
            onWait(holder)
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    close(fd)
                    throw StoreError.notWritable(path: path, why: "cannot lock: \(StoreError.reason(errno: errno))")
                }
            }
        }
        // Ours now: say who we are (the lock, not this text, is what excludes).
        let text = Array((try? JSONEncoder().encode(Holder.current)) ?? Data())
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return KeyLock(path: path, fd: fd)
    }

    public func release() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        _ = flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    /// The holder of the lock at `path`, or nil when nobody holds it (`probe`:
    /// tested by trying the lock, which is then released at once).
    public static func holder(of path: String, probe: Bool) -> Holder? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if probe, flock(fd, LOCK_SH | LOCK_NB) == 0 { _ = flock(fd, LOCK_UN); return nil }
        return readHolder(fd: fd) ?? Holder(host: "?", pid: 0, started: "?")
    }

    static func readHolder(fd: Int32) -> Holder? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return try? JSONDecoder().decode(Holder.self, from: Data(buffer[0..<n]))
    }
}
