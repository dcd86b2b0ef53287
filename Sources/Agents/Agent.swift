import Foundation
import Nets
import Envs

/// The algorithms Asym trains.
public enum Algorithm: String, CaseIterable, Codable, Sendable {
    case ddpg, td3, sac, ppo, trpo
}

/// Where default hyper-parameters come from. Every preset also sets the step
/// budget (`Agent.budget`, which `asym train --steps` defaults to).
public enum Preset: String, CaseIterable, Codable, Sendable {
    /// OpenAI Spinning Up's defaults (openai/spinningup @ 038665d, `spinup/algos/pytorch/*`),
    /// PPO and TRPO included; budget epochs × steps_per_epoch.
    case spinup
    /// The RL Baselines3 Zoo's per-environment settings with Stable-Baselines3's
    /// semantics (noise in [−1, 1] action units, PPO value loss vf_coef · mse),
    /// falling back on SB3's library defaults; the zoo's budgets.
    case zoo
    /// The paper's setup as far as it can be known (Mysore et al. 2021, §4: Spinning
    /// Up's DDPG, TD3 and SAC, Baselines' ppo2, "hyper-parameters from the RL-zoo"):
    /// the SB2 rl-baselines-zoo (araffin/rl-baselines-zoo @ ff84f39, Feb 2021) values
    /// and budgets where it has an entry, the library's defaults otherwise, and time
    /// limits handled as that code did (`timeout_terminal`). See `PaperSetup`.
    case paper
    /// Asym's own tuned settings, measured by us and not from any library: discrete
    /// SAC on Acrobot-v1 (fixed α 0.003, lr 1e-4, start_steps 0). Elsewhere `zoo`.
    case tuned
}

/// What every training run is built from: the parts of a spec that are not hyper-parameters.
public struct RunSpec: Codable, Sendable, Equatable, Hashable {
    public var algorithm: Algorithm
    public var env: String
    public var actorHidden: [Int]
    public var criticHidden: [Int]
    public var seed: UInt64
    public var preset: Preset
    public init(algorithm: Algorithm, env: String, actorHidden: [Int], criticHidden: [Int],
                seed: UInt64, preset: Preset = .spinup) {
        self.algorithm = algorithm; self.env = env; self.actorHidden = actorHidden
        self.criticHidden = criticHidden; self.seed = seed; self.preset = preset
    }
}

/// Receives metrics as training goes. Names are stable and namespaced:
/// `train/episode_return`, `train/episode_length`, `loss/critic`, `loss/actor`,
/// `train/alpha`, `perf/steps_per_second`, `loss/value`, `loss/policy`,
/// `train/entropy`, `train/kl`, `train/clip_fraction`, and from periodic
/// evaluation (`Training.Evaluation`) `eval/return_mean`, `eval/return_std`.
public protocol MetricsSink: AnyObject {
    func record(_ name: String, step: Int, value: Double)
}

/// Keeps every metric in memory, in arrival order.
public final class MemoryMetrics: MetricsSink {
    public private(set) var series: [String: [(step: Int, value: Double)]] = [:]
    public init() {}
    public func record(_ name: String, step: Int, value: Double) { series[name, default: []].append((step, value)) }
    public func last(_ name: String) -> Double? { series[name]?.last?.value }
}

/// Discards metrics.
public final class NullMetrics: MetricsSink {
    public init() {}
    public func record(_ name: String, step: Int, value: Double) {}
}

/// A learning agent that owns its environment(s) and advances one environment
/// step at a time, so training can stop, checkpoint and resume at any step.
///
/// Checkpoint protocol: `stateDict()` captures the complete training state —
/// weights, target networks, optimizer moments, buffers, generators,
/// environment state, counters — and `load(_:)` on an agent built from the
/// same spec and config restores it, so that k steps + save + load + (N − k)
/// steps equals N steps bit for bit.
public protocol Agent: AnyObject {
    var spec: RunSpec { get }
    /// Environment steps taken so far (summed over parallel environments).
    var stepsDone: Int { get }
    /// The config as canonical JSON (every default explicit): part of the cache key.
    var configJSON: String { get }
    /// The preset's step budget for this run (the config's `total_steps`, or
    /// PPO's `total_timesteps`): what a run trains for unless told otherwise.
    var budget: Int { get }

    /// Takes one environment step (each of `n_envs` for on-policy agents) and
    /// whatever updates fall due, reporting metrics to `metrics`.
    func trainStep(metrics: MetricsSink)

    /// Mean and per-episode returns of the deterministic policy on fresh
    /// episodes of a separate evaluation environment seeded with `seed`.
    /// Leaves the training state untouched.
    func evaluate(episodes: Int, seed: UInt64) -> [Double]

    func stateDict() -> StateDict
    func load(_ state: StateDict) throws

    /// What the deterministic policy needs and nothing more (no replay buffer,
    /// no environment state): the learner's networks and, for on-policy agents,
    /// the observation statistics. A stored model, small enough to keep with
    /// every result, from which an evaluate stage rebuilds the policy.
    func policyState() -> StateDict
    /// Restores `policyState()` into a freshly built agent of the same spec.
    func loadPolicy(_ state: StateDict) throws
}

/// Errors that name what the user typed.
public enum AgentError: Error, Equatable, CustomStringConvertible {
    case unknownAlgorithm(String)
    case unknownKey(String, algorithm: Algorithm, known: [String])
    case badValue(key: String, value: String, expected: String)
    case unsupported(String)
    case checkpointMismatch(String)

    public var description: String {
        switch self {
        case .unknownAlgorithm(let a):
            return "unknown algorithm '\(a)' (expected \(Algorithm.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .unknownKey(let k, let algo, let known):
            return "unknown \(algo.rawValue) hyper-parameter '\(k)' (known: \(known.joined(separator: ", ")))"
        case .badValue(let k, let v, let expected):
            return "hyper-parameter '\(k)': cannot use '\(v)' (expected \(expected))"
        case .unsupported(let why): return why
        case .checkpointMismatch(let why): return "checkpoint does not fit this run: \(why)"
        }
    }
}

// MARK: - Hyper-parameter overrides

/// Applies `key=value` overrides onto a config through its JSON form, so every
/// config gets the same checks: unknown keys are errors (listing the known
/// ones), values must parse as the field's type.
public func applyOverrides<C: Codable>(_ overrides: [(key: String, value: String)], to config: C,
                                       algorithm: Algorithm) throws -> C {
    guard !overrides.isEmpty else { return config }
    guard case .object(var fields) = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(config)) else {
        throw AgentError.unsupported("\(C.self) does not encode as a JSON object")
    }
    for (key, value) in overrides {
        guard let current = fields[key] else {
            throw AgentError.unknownKey(key, algorithm: algorithm, known: fields.keys.sorted())
        }
        fields[key] = try parseOverride(key: key, value: value, like: current)
        try OverrideRange.check(key: key, value: fields[key]!, raw: value)
    }
    do { return try JSONDecoder().decode(C.self, from: JSONEncoder().encode(JSONValue.object(fields))) }
    catch {
        throw AgentError.badValue(key: overrides.map(\.key).joined(separator: ", "),
                                  value: overrides.map(\.value).joined(separator: ", "),
                                  expected: "values of the fields' types")
    }
}

private func parseOverride(key: String, value: String, like current: JSONValue) throws -> JSONValue {
    switch current {
    case .bool:
        switch value.lowercased() {
        case "true", "1", "yes": return .bool(true)
        case "false", "0", "no": return .bool(false)
        default: throw AgentError.badValue(key: key, value: value, expected: "true or false")
        }
    case .number:
        guard let d = Double(value), d.isFinite else { throw AgentError.badValue(key: key, value: value, expected: "a number") }
        return .number(d)
    case .string:
        return .string(value)
    case .array:
        let trimmed = value.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
        if trimmed.isEmpty { return .array([]) }
        var out: [JSONValue] = []
        for part in trimmed.split(separator: ",") {
            guard let d = Double(part.trimmingCharacters(in: .whitespaces)) else {
                throw AgentError.badValue(key: key, value: value, expected: "a comma-separated list of numbers")
            }
            out.append(.number(d))
        }
        return .array(out)
    case .object, .null:
        throw AgentError.badValue(key: key, value: value, expected: "a value of the field's type")
    }
}

/// Canonical JSON: sorted keys, no whitespace. Throws when the value cannot be
/// encoded (a non-finite number), rather than letting two configs share a key.
public func canonicalJSON<C: Encodable>(_ value: C) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do { return String(decoding: try encoder.encode(value), as: UTF8.self) }
    catch { throw AgentError.unsupported("cannot encode \(C.self) as JSON: \(error)") }
}
