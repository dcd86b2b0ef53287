import Nets
import Envs

/// Builds an agent from a run spec, a preset's defaults and `key=value` overrides.
public enum AgentFactory {
    public static func make(_ spec: RunSpec, overrides: [(key: String, value: String)] = []) throws -> any Agent {
        let entry = try EnvRegistry.entry(spec.env)   // unknown ids fail here, listing the known ones
        switch spec.algorithm {
        case .ddpg: return try offPolicy(DDPG.self, DDPG.preset(spec.preset, env: spec.env), spec, overrides)
        case .td3: return try offPolicy(TD3.self, TD3.preset(spec.preset, env: spec.env), spec, overrides)
        case .sac where entry.actionSpace.isDiscrete:
            return try offPolicy(DiscreteSAC.self, DiscreteSAC.preset(spec.preset, env: spec.env), spec, overrides)
        case .sac: return try offPolicy(SAC.self, SAC.preset(spec.preset, env: spec.env), spec, overrides)
        case .ppo:
            let config = try applyOverrides(overrides, to: PPO.Config.preset(spec.preset, env: spec.env), algorithm: .ppo)
            try MemoryCheck.onPolicy(stepsPerEnv: config.nSteps, envCount: config.nEnvs, batchSize: config.batchSize, spec: spec)
            return try PPO(spec: spec, config: config)
        case .trpo:
            let config = try applyOverrides(overrides, to: TRPO.Config.preset(spec.preset, env: spec.env), algorithm: .trpo)
            try MemoryCheck.onPolicy(stepsPerEnv: config.nSteps, envCount: config.nEnvs, batchSize: Int.max, spec: spec)
            return try TRPO(spec: spec, config: config)
        }
    }

    /// An off-policy agent from a preset config with the overrides applied.
    static func offPolicy<L: OffPolicyLearner>(_: L.Type, _ preset: L.Config, _ spec: RunSpec,
                                               _ overrides: [(key: String, value: String)]) throws -> any Agent {
        let config = try applyOverrides(overrides, to: preset, algorithm: spec.algorithm)
        try MemoryCheck.offPolicy(replaySize: config.replaySize, batchSize: config.batchSize, spec: spec)
        return try OffPolicyAgent<L>(spec: spec, config: config)
    }
}
