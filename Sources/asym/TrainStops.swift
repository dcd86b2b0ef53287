import Agents

/// How `asym train` reports a run that stopped before its budget
/// (`TrainingError`), as one line with the exit code the README promises:
/// a resumed checkpoint past the budget is bad input (2); a diverged run is
/// a failure (1) that never reports a result; a signal exits 128 + its number
/// (130 for SIGINT, 143 for SIGTERM), saying where the checkpoint is.
/// `continueWith` says how to go on from the checkpoint (default: `--resume FILE`).
func reportingTrainingStops<T>(checkpoint: String?, lastSavedStep: () -> Int?, continueWith: String? = nil,
                               _ body: () throws -> T) throws -> T {
    do { return try body() }
    catch let error as TrainingError {
        switch error {
        case .budgetExceeded:
            throw UserError(message: error.description, exitCode: 2)
        case .diverged:
            let kept: String
            if let checkpoint, let step = lastSavedStep() {
                kept = "; the last good checkpoint, \(checkpoint) (step \(step)), is kept"
            } else if checkpoint != nil {
                kept = "; no checkpoint was written"
            } else {
                kept = ""
            }
            throw UserError(message: error.description + kept + " (try a smaller learning rate)", exitCode: 1)
        case .interrupted(let signal, let step, let saved):
            var message = "stopped by \(signalName(signal)) after step \(step)"
            if saved, let checkpoint {
                message += "; checkpoint saved to \(checkpoint) (continue with \(continueWith ?? "--resume " + checkpoint))"
            } else {
                message += "; no checkpoint was asked for (--checkpoint FILE)"
            }
            throw UserError(message: message, exitCode: 128 + signal)
        }
    }
}
