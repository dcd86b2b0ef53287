import ArgumentParser
import Foundation
import Nets

extension Asym {
    struct Params: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count an actor's weights and biases, and its reduction against a baseline.",
            discussion: """
            Sizes follow the paper's convention: weights plus biases of the MLP
            obs → hidden… → act (Table 1's "Reduction" = 1 − actor/baseline).
            Use the number of discrete actions for --act on discrete tasks
            (Acrobot-v1: 3), and an empty list for a hidden-less actor.

            Examples:
              asym params --obs 3 --act 1 --actor 4,4 --baseline 16,16     # Pendulum: 88.39%
              asym params --obs 111 --act 8 --actor 32,32 --baseline 256,256
              asym params --obs 1 --act 1 --actor ""                        # the toy problem's 1-neuron actor
            """)

        @Option(parsing: .unconditional, help: "Observation dimension.") var obs: Int
        @Option(parsing: .unconditional, help: "Action dimension (number of actions for discrete spaces).") var act: Int
        @Option(parsing: .unconditional, help: "Actor hidden sizes, comma separated (\"\" for none).") var actor: HiddenSizes
        @Option(parsing: .unconditional, help: "Baseline (symmetric) actor hidden sizes to compare against.") var baseline: HiddenSizes?

        func validate() throws {
            guard obs > 0 else { throw ValidationError("--obs must be positive (got \(obs))") }
            guard act > 0 else { throw ValidationError("--act must be positive (got \(act))") }
        }

        func run() throws {
            // Counts are computed before anything is printed: an overflow is one error line, not half a result.
            let small = try userFacing { try ParameterCount.checkedMLP(inputs: obs, hidden: actor.sizes, outputs: act) }
            var lines = ["actor \(actor): \(small) parameters"]
            if let baseline {
                let big = try userFacing { try ParameterCount.checkedMLP(inputs: obs, hidden: baseline.sizes, outputs: act) }
                lines.append("baseline \(baseline): \(big) parameters")
                let r = ParameterCount.reductionPercent(small: small, baseline: big)
                lines.append("reduction: \(formatFixed(r, digits: 2))%")
            }
            try StandardOutput.line(lines.joined(separator: "\n"))
        }
    }
}

/// Hidden layer sizes as typed on the command line: "64,64", "" or "[]" for none.
struct HiddenSizes: ExpressibleByArgument, CustomStringConvertible {
    let sizes: [Int]
    /// Nil for anything but positive integers separated by single commas
    /// ("4,,4", " , " and "4," are typos, not sizes).
    init?(argument: String) {
        let trimmed = argument.trimmingCharacters(in: .init(charactersIn: "[] "))
        if trimmed.isEmpty { sizes = []; return }
        var parsed: [Int] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n > 0 else { return nil }
            parsed.append(n)
        }
        sizes = parsed
    }
    var description: String { "[" + sizes.map(String.init).joined(separator: ",") + "]" }
    static var defaultCompletionKind: CompletionKind { .default }
}

/// Fixed-point formatting without Foundation's locale-dependent String(format:).
func formatFixed(_ x: Double, digits: Int) -> String {
    // Int(_:) of a non-finite or huge Double is undefined under -Ounchecked (it printed
    // -9223372036854775808.-9223…): such values print as themselves.
    guard x.isFinite, abs(x) < 1e15 else { return x.isNaN ? "nan" : x.isFinite ? "\(x)" : x > 0 ? "inf" : "-inf" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (abs(x) * scale).rounded()
    let sign = x < 0 && rounded != 0 ? "-" : ""
    let intPart = Int(rounded / scale)
    let frac = Int(rounded) - intPart * Int(scale)
    guard digits > 0 else { return sign + String(intPart) }
    var fracString = String(frac)
    while fracString.count < digits { fracString = "0" + fracString }
    return sign + String(intPart) + "." + fracString
}
