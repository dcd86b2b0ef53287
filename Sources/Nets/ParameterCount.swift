/// The paper's network-size convention (Mysore et al. 2021, Table 1): the number
/// of weights plus biases of a plain MLP obs → hidden… → act. No extra heads
/// (SAC's log-std layer) and no PPO log-std vector; discrete actions count one
/// output per action (Acrobot: 3 logits). See rl-facts.md §5.
public enum ParameterCount {
    /// Weights plus biases of an MLP with layer widths `[inputs] + hidden + [outputs]`.
    public static func mlp(inputs: Int, hidden: [Int], outputs: Int) -> Int {
        let widths = [inputs] + hidden + [outputs]
        var total = 0
        for (fanIn, fanOut) in zip(widths, widths.dropFirst()) { total += fanIn * fanOut + fanOut }
        return total
    }

    /// The "Reduction" column: 1 − small/baseline, in percent.
    public static func reductionPercent(small: Int, baseline: Int) -> Double {
        precondition(baseline > 0, "baseline must have parameters")
        return (1 - Double(small) / Double(baseline)) * 100
    }
}
