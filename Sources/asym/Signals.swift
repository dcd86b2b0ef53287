import Agents
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM during training: the first one asks `Training.run`
/// (through `StopRequest.process`) to finish its step, save a checkpoint and
/// stop; a second one ends the process at once. The handlers run on a
/// dispatch queue, not in signal context, so they may take locks.
enum StopSignals {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() {
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)   // the dispatch source receives it instead of the default action
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if StopRequest.process.signal != nil { _exit(128 + sig) }
                StopRequest.process.request(signal: sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}
