import Foundation
import Nets
import Envs

/// What a finished training run reports: its final evaluation and summary.
/// One definition, so `asym train` and the pipeline give the same numbers for
/// the same spec.
public struct RunResult: Sendable, Equatable {
    /// The final evaluation: `episodes` fresh episodes of the deterministic
    /// policy on a separate environment, the first reset seeded with
    /// `seed(forRun:)` (the rest continue its stream).
    public struct EvaluationProtocol: Codable, Sendable, Equatable {
        public var episodes: Int
        public init(episodes: Int = 10) { self.episodes = episodes }

        /// Far from the training seed's own stream, fixed for ever: changing it changes every result.
        public static let seedOffset: UInt64 = 1_000_003
        public func seed(forRun runSeed: UInt64) -> UInt64 { runSeed &+ Self.seedOffset }
    }

    /// Per-episode returns of the final evaluation.
    public var returns: [Double]
    public var mean: Double? { returns.isEmpty ? nil : returns.reduce(0, +) / Double(returns.count) }
    /// Population standard deviation (ddof 0, numpy's default); nil without episodes.
    public var std: Double? {
        guard let m = mean else { return nil }
        return (returns.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(returns.count)).squareRoot()
    }

    public init(returns: [Double]) { self.returns = returns }

    /// Runs the final evaluation of `agent` (trained from `agent.spec`).
    public static func evaluate(_ agent: any Agent, protocol evaluation: EvaluationProtocol) throws -> RunResult {
        let returns = agent.evaluate(episodes: evaluation.episodes, seed: evaluation.seed(forRun: agent.spec.seed))
        if let bad = returns.first(where: { !$0.isFinite }) { throw RunResultError.nonFiniteReturn(bad) }
        return RunResult(returns: returns)
    }

    /// The run's one-line summary.
    public func summary(of agent: any Agent, stepsPerSecond: Double) -> RunSummary {
        RunSummary(algo: agent.spec.algorithm.rawValue, env: agent.spec.env, actor: agent.spec.actorHidden,
                   critic: agent.spec.criticHidden, seed: agent.spec.seed, steps: agent.stepsDone,
                   eval_return_mean: mean, eval_return_std: std, steps_per_second: stepsPerSecond)
    }
}

/// The JSON line `asym train` prints (and a stored run reports), fields in this order.
public struct RunSummary: Codable, Sendable, Equatable {
    public var algo: String, env: String, actor: [Int], critic: [Int], seed: UInt64, steps: Int
    /// nil (printed as null) when no evaluation episodes ran: no measurement, not a made-up 0.
    public var eval_return_mean: Double?, eval_return_std: Double?
    public var steps_per_second: Double

    public init(algo: String, env: String, actor: [Int], critic: [Int], seed: UInt64, steps: Int,
                eval_return_mean: Double?, eval_return_std: Double?, steps_per_second: Double) {
        self.algo = algo; self.env = env; self.actor = actor; self.critic = critic; self.seed = seed
        self.steps = steps; self.eval_return_mean = eval_return_mean; self.eval_return_std = eval_return_std
        self.steps_per_second = steps_per_second
    }

    /// One line of JSON with the fields in declaration order (JSONEncoder's
    /// order is unspecified on Linux, and readers of logs expect this one).
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        func value<T: Encodable>(_ v: T?) throws -> String {
            guard let v else { return "null" }
            return String(decoding: try encoder.encode(v), as: UTF8.self)
        }
        let fields: [(String, String)] = [
            ("algo", try value(algo)), ("env", try value(env)), ("actor", try value(actor)),
            ("critic", try value(critic)), ("seed", try value(seed)), ("steps", try value(steps)),
            ("eval_return_mean", try value(eval_return_mean)), ("eval_return_std", try value(eval_return_std)),
            ("steps_per_second", try value(steps_per_second)),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// Why a finished run has no result to report.
public enum RunResultError: Error, CustomStringConvertible {
    case nonFiniteReturn(Double)
    public var description: String {
        switch self {
        case .nonFiniteReturn(let r): return "evaluation diverged: an episode return is \(r)"
        }
    }
}

// MARK: - The final networks, for export

/// A trained network as a user outside Asym would rebuild it: an
/// `nn.Sequential` of Linear layers with `hiddenActivation` between them and
/// `outputActivation` after the last, and what its outputs mean (`head`).
public struct ExportedNetwork: Sendable {
    public var network: MLP
    /// What the outputs are: "action" (tanh-bounded by the env), "mean_log_std"
    /// (a squashed Gaussian's μ then log σ), "mean" (a Gaussian's μ; log σ separate),
    /// "logits", "q", "value".
    public var head: String
}

extension Agent {
    /// The networks of the final policy and critic(s), named `actor`,
    /// `critic` or `critic/q1`, `critic/q2` (twin critics).
    public var exportedNetworks: [(name: String, exported: ExportedNetwork)] {
        if let a = self as? OffPolicyAgent<SAC> {
            return [("actor", .init(network: a.learner.actor, head: "mean_log_std")),
                    ("critic/q1", .init(network: a.learner.critic1, head: "q")),
                    ("critic/q2", .init(network: a.learner.critic2, head: "q"))]
        }
        if let a = self as? OffPolicyAgent<DiscreteSAC> {
            return [("actor", .init(network: a.learner.actor, head: "logits")),
                    ("critic/q1", .init(network: a.learner.critic1, head: "q")),
                    ("critic/q2", .init(network: a.learner.critic2, head: "q"))]
        }
        if let a = self as? OffPolicyAgent<TD3> {
            return [("actor", .init(network: a.learner.actor, head: "action")),
                    ("critic/q1", .init(network: a.learner.critic1, head: "q")),
                    ("critic/q2", .init(network: a.learner.critic2, head: "q"))]
        }
        if let a = self as? OffPolicyAgent<DDPG> {
            return [("actor", .init(network: a.learner.actor, head: "action")),
                    ("critic", .init(network: a.learner.critic, head: "q"))]
        }
        if let a = self as? PPO {
            return [("actor", .init(network: a.learner.policy.net, head: a.learner.policy.gaussian == nil ? "logits" : "mean")),
                    ("critic", .init(network: a.learner.value, head: "value"))]
        }
        if let a = self as? TRPO {
            return [("actor", .init(network: a.learner.policy.net, head: a.learner.policy.gaussian == nil ? "logits" : "mean")),
                    ("critic", .init(network: a.learner.value, head: "value"))]
        }
        return []
    }
}

// MARK: - The resolved config without building the agent

extension AgentFactory {
    /// The config `make(spec, overrides:)` would give its agent, as its
    /// canonical JSON, without building the agent (no networks, no replay
    /// buffer): what a cache lookup needs, at a fraction of the cost. Tested
    /// equal to `make(…).configJSON` for every algorithm.
    public static func resolvedConfigJSON(_ spec: RunSpec, overrides: [(key: String, value: String)] = []) throws -> String {
        let entry = try EnvRegistry.entry(spec.env)
        switch spec.algorithm {
        case .ddpg: return try canonicalJSON(try applyOverrides(overrides, to: DDPG.preset(spec.preset, env: spec.env), algorithm: .ddpg))
        case .td3: return try canonicalJSON(try applyOverrides(overrides, to: TD3.preset(spec.preset, env: spec.env), algorithm: .td3))
        case .sac where entry.actionSpace.isDiscrete:
            return try canonicalJSON(try applyOverrides(overrides, to: DiscreteSAC.preset(spec.preset, env: spec.env), algorithm: .sac))
        case .sac: return try canonicalJSON(try applyOverrides(overrides, to: SAC.preset(spec.preset, env: spec.env), algorithm: .sac))
        case .ppo: return try canonicalJSON(try applyOverrides(overrides, to: PPO.Config.preset(spec.preset, env: spec.env), algorithm: .ppo))
        case .trpo: return try canonicalJSON(try applyOverrides(overrides, to: TRPO.Config.preset(spec.preset, env: spec.env), algorithm: .trpo))
        }
    }
}
