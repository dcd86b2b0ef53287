import Foundation
import Testing
import Envs
@testable import Agents

/// Whether Gymnasium's MuJoCo models were fetched (`make models`; CI always has them).
let mujocoModelsPresent: Bool = {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: MuJoCoModels.defaultDirectory, isDirectory: &isDirectory)
        && isDirectory.boolValue
}()

@Suite("Agents on MuJoCo tasks", .enabled(if: mujocoModelsPresent, "no MuJoCo models folder: run `make models`"))
struct MuJoCoAgentsTests {
    static let cases: [(Algorithm, String)] = Algorithm.allCases.flatMap { algo in
        ["Reacher-v2", "HalfCheetah-v2", "Ant-v2"].map { (algo, $0) }
    }

    /// Small settings so every pair trains through real updates in a fraction of a second.
    static func quickSettings(_ algo: Algorithm) -> [(key: String, value: String)] {
        switch algo {
        case .ddpg, .td3, .sac:
            return [("start_steps", "100"), ("update_after", "100"), ("update_every", "50"), ("batch_size", "32")]
        case .ppo: return [("n_steps", "256"), ("batch_size", "64"), ("n_epochs", "2")]
        case .trpo: return [("n_steps", "256"), ("train_v_iters", "5")]
        }
    }

    @Test("trains through updates, checkpoints and evaluates with the task's real sizes (Ant: obs 111)",
          arguments: cases)
    func trainsAndEvaluates(_ algo: Algorithm, _ env: String) throws {
        let spec = RunSpec(algorithm: algo, env: env, actorHidden: [8], criticHidden: [32, 32], seed: 0)
        let agent = try AgentFactory.make(spec, overrides: Self.quickSettings(algo))
        train(agent, steps: 600)
        #expect(agent.stepsDone >= 600)
        let state = agent.stateDict()
        #expect(state.floats.values.allSatisfy { $0.allSatisfy(\.isFinite) }, "non-finite value in the training state")
        let returns = agent.evaluate(episodes: 1, seed: 3)
        #expect(returns.count == 1 && returns[0].isFinite)
        // A fresh agent takes the state back without complaint.
        try AgentFactory.make(spec, overrides: Self.quickSettings(algo)).load(state)
    }
}
