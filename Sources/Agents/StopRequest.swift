import Foundation

/// A request to stop training at the next step boundary, e.g. from a signal
/// handler: `Training.run` polls it once per step (one uncontended lock), and
/// when it is set saves a checkpoint (if the run has one) and throws
/// `TrainingError.interrupted`. Whoever catches signals sets it; the
/// library never installs handlers itself.
public final class StopRequest: @unchecked Sendable {
    /// The one the command line's signal handlers set, and `Training.run` polls by default.
    public static let process = StopRequest()

    private let lock = NSLock()
    private var requestedSignal: Int32?

    public init() {}

    /// Asks the run to stop; `signal` is reported in the error (SIGINT = 2, SIGTERM = 15).
    public func request(signal: Int32) {
        lock.lock(); defer { lock.unlock() }
        if requestedSignal == nil { requestedSignal = signal }
    }

    /// The signal of the first request, or nil.
    public var signal: Int32? {
        lock.lock(); defer { lock.unlock() }
        return requestedSignal
    }
}
