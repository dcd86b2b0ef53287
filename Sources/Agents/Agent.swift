import Foundation
import Nets
import Envs

/// The algorithms Asym trains.
public enum Algorithm: String, CaseIterable, Codable, Sendable {
    case ddpg, td3, sac, ppo, trpo
}

/// Where default hyper-parameters come from (rl-facts.md §2–3).
public enum Preset: String, CaseIterable, Codable, Sendable {
    /// OpenAI Spinning Up's defaults (PPO and TRPO included; Baselines' ppo2
    /// MuJoCo defaults are `PPO.Config()` and the zoo's fallback).
    case spinup
    /// The RL Zoo's per-environment settings, falling back on library defaults.
    case zoo
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
/// `train/entropy`, `train/kl`, `train/clip_fraction`.
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

    /// Takes one environment step (each of `n_envs` for on-policy agents) and
    /// whatever updates fall due, reporting metrics to `metrics`.
    func trainStep(metrics: MetricsSink)

    /// Mean and per-episode returns of the deterministic policy on fresh
    /// episodes of a separate evaluation environment seeded with `seed`.
    /// Leaves the training state untouched.
    func evaluate(episodes: Int, seed: UInt64) -> [Double]

    func stateDict() -> StateDict
    func load(_ state: StateDict) throws
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
        return config
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

/// Canonical JSON: sorted keys, no whitespace.
public func canonicalJSON<C: Encodable>(_ value: C) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}
