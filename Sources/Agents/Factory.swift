import Nets
import Envs

/// Builds an agent from a run spec, a preset's defaults and `key=value` overrides.
public enum AgentFactory {
    public static func make(_ spec: RunSpec, overrides: [(key: String, value: String)] = []) throws -> any Agent {
        _ = try EnvRegistry.entry(spec.env)   // unknown ids fail here, listing the known ones
        switch spec.algorithm {
        case .ppo:
            let config = try applyOverrides(overrides, to: PPO.Config.preset(spec.preset, env: spec.env), algorithm: .ppo)
            return try PPO(spec: spec, config: config)
        case .trpo:
            let config = try applyOverrides(overrides, to: TRPO.Config.preset(spec.preset, env: spec.env), algorithm: .trpo)
            return try TRPO(spec: spec, config: config)
        case .ddpg, .td3, .sac:
            throw AgentError.unsupported("\(spec.algorithm.rawValue) is not implemented yet")
        }
    }
}
