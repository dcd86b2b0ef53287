import Nets

/// Watches metrics on their way to the real sink and remembers the first
/// non-finite one: a NaN or infinite loss, return or entropy means the run has
/// diverged, and every step after it would train on garbage.
///
/// This costs one `isFinite` per recorded metric (a few per episode or update
/// window), not a scan of the weights per step; `Training.run` checks the
/// weights only when it is about to save them.
final class DivergenceWatch: MetricsSink {
    let next: MetricsSink
    private(set) var first: (name: String, step: Int, value: Double)?
    init(forwardingTo next: MetricsSink) { self.next = next }
    func record(_ name: String, step: Int, value: Double) {
        if !value.isFinite && first == nil { first = (name, step, value) }
        next.record(name, step: step, value: value)
    }
}

/// The first non-finite Float entry of a state (weights, optimizer moments,
/// buffers), or nil. Doubles are left alone: they hold environment snapshots,
/// whose simulator fields are not ours to judge.
func firstNonFinite(_ state: StateDict) -> (name: String, value: Double)? {
    for name in state.floats.keys.sorted() {
        if let v = state.floats[name]!.first(where: { !$0.isFinite }) { return (name, Double(v)) }
    }
    return nil
}

/// Why `Training.run` stopped before its budget.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A metric or a saved quantity became NaN or infinite at `step`.
    case diverged(step: Int, quantity: String, value: Double)
    /// The agent has already taken more steps than the run's budget (a resumed checkpoint of a longer run).
    case budgetExceeded(stepsDone: Int, totalSteps: Int)
    /// A stop was requested (SIGINT, SIGTERM) and honoured after step `step`.
    case interrupted(signal: Int32, step: Int, checkpointSaved: Bool)

    public var description: String {
        switch self {
        case .diverged(let step, let quantity, let value):
            return "training diverged at step \(step): \(quantity) is \(value)"
        case .budgetExceeded(let done, let total):
            return "the checkpoint has already trained \(done) steps, more than --steps \(total)"
        case .interrupted(let signal, let step, let saved):
            return "stopped by \(signalName(signal)) after step \(step)" + (saved ? ", checkpoint saved" : "")
        }
    }
}

/// "SIGINT", "SIGTERM", or "signal N".
public func signalName(_ signal: Int32) -> String {
    switch signal {
    case 2: return "SIGINT"
    case 15: return "SIGTERM"
    case 1: return "SIGHUP"
    default: return "signal \(signal)"
    }
}
