import Nets
import Envs

/// Builds an agent from a run spec, a preset's defaults and `key=value` overrides.
public enum AgentFactory {
    public static func make(_ spec: RunSpec, overrides: [(key: String, value: String)] = []) throws -> any Agent {
        _ = try EnvRegistry.entry(spec.env)   // unknown ids fail here, listing the known ones
        switch spec.algorithm {
        case .ddpg, .td3, .sac, .ppo, .trpo:
            throw AgentError.unsupported("\(spec.algorithm.rawValue) is not implemented yet")
        }
    }
}
