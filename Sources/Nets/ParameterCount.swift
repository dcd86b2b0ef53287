/// The paper's network-size convention (Mysore et al. 2021, Table 1): the number
/// of weights plus biases of a plain MLP obs → hidden… → act. No extra heads
/// (SAC's log-std layer) and no PPO log-std vector; discrete actions count one
/// output per action (Acrobot: 3 logits). See rl-facts.md §5.
public enum ParameterCount {
    /// Weights plus biases of an MLP with layer widths `[inputs] + hidden + [outputs]`.
    /// Stops the process on overflow; sizes from users or files go through `checkedMLP`.
    public static func mlp(inputs: Int, hidden: [Int], outputs: Int) -> Int {
        guard let total = try? checkedMLP(inputs: inputs, hidden: hidden, outputs: outputs) else {
            fatalError("parameter count of \([inputs] + hidden + [outputs]) overflows")
        }
        return total
    }

    /// As `mlp`, but an overflowing count is `SizeError.overflow`, not a wrapped number.
    public static func checkedMLP(inputs: Int, hidden: [Int], outputs: Int) throws -> Int {
        let widths = [inputs] + hidden + [outputs]
        let what = "the MLP " + widths.map(String.init).joined(separator: " → ")
        var total = 0
        for (fanIn, fanOut) in zip(widths, widths.dropFirst()) {
            total = try CheckedSize.sum(total, CheckedSize.sum(CheckedSize.product(fanIn, fanOut, what), fanOut, what), what)
        }
        return total
    }

    /// The "Reduction" column: 1 − small/baseline, in percent.
    public static func reductionPercent(small: Int, baseline: Int) -> Double {
        precondition(baseline > 0, "baseline must have parameters")
        return (1 - Double(small) / Double(baseline)) * 100
    }
}
