import Envs

/// Ranges of hyper-parameters given by `--set key=value` (or a pipeline's
/// overrides), checked before anything trains: a negative learning rate or
/// noise scale would run to the end and report a meaningless result.
/// Structural limits (positive sizes, γ in [0, 1], …) are the algorithms' own
/// `validate` checks; these are the ones no algorithm checked.
enum OverrideRange {
    /// Keys by the range their values must lie in, as the message states it.
    static let positive: Set<String> = ["lr", "pi_lr", "q_lr", "learning_rate", "vf_lr", "alpha", "adam_epsilon", "delta"]
    static let nonNegative: Set<String> = ["act_noise", "target_noise", "noise_clip", "ent_coef", "vf_coef",
                                           "damping_coeff", "num_test_episodes"]
    /// Positive, or −1 for "off" (and 0, which the algorithms also read as off).
    static let positiveOrOff: Set<String> = ["target_kl", "clip_range_vf", "max_grad_norm"]

    static func check(key: String, value: JSONValue, raw: String) throws {
        guard case .number(let x) = value else { return }
        if positive.contains(key), !(x > 0) {
            throw AgentError.badValue(key: key, value: raw, expected: "a positive number")
        }
        if nonNegative.contains(key), !(x >= 0) {
            throw AgentError.badValue(key: key, value: raw, expected: "a number ≥ 0")
        }
        if positiveOrOff.contains(key), !(x >= 0 || x == -1) {
            throw AgentError.badValue(key: key, value: raw, expected: "a positive number, or -1 (or 0) for off")
        }
        if key == "vf_learning_rate", !(x > 0 || x == -1) {
            throw AgentError.badValue(key: key, value: raw, expected: "a positive number, or -1 for learning_rate's")
        }
    }
}
