#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output whose failures are errors: a result written to a full
/// disk, `/dev/full` or a closed descriptor is lost, so the command must not
/// exit 0 (Swift's `print` ignores write errors).
enum StandardOutput {
    /// Set when the process started with descriptor 1 closed; see `guardClosedDescriptor`.
    nonisolated(unsafe) static var startedClosed = false

    /// When the process starts with descriptor 1 closed, the next file it
    /// opens (a checkpoint) would get number 1 and receive the output. Parks
    /// /dev/null there instead, and remembers to fail the first write.
    static func guardClosedDescriptor() {
        guard fcntl(STDOUT_FILENO, F_GETFD) == -1 else { return }
        startedClosed = true
        let fd = open("/dev/null", O_WRONLY)
        if fd >= 0 && fd != STDOUT_FILENO { dup2(fd, STDOUT_FILENO); close(fd) }
    }

    /// Writes `text` and a newline, all of it, or throws a one-line error with exit code 1.
    static func line(_ text: String) throws { try write(text + "\n") }

    static func write(_ text: String) throws {
        guard !startedClosed else { throw UserError(message: "cannot write the output: standard output is closed", exitCode: 1) }
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = n < 0 ? String(cString: strerror(errno)) : "nothing written"
                throw UserError(message: "cannot write the output to standard output: \(reason)", exitCode: 1)
            }
            done += n
        }
    }
}
