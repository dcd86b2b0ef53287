// Figure 1's data: one evaluation episode of trained toy actors, rolled out
// from their artifacts (the store keeps the actor, not its episodes).
import Foundation
import Envs
import Report
import Store

enum ToyRollouts {
    /// The paper's three pairs (§3, Figure 1): actor [1] with critic [1], actor
    /// [1] with critic [16, 16, 1], and the symmetric [16, 16, 1] (hidden
    /// sizes [], [16, 16]), for the first algorithm of the toy runs and each
    /// pair's lowest seed. Runs whose actor cannot be rebuilt are left out.
    static func figure1(_ runs: [ReportInput.TrainRun]) -> [ToyRollout] {
        let toy = runs.filter { $0.environment == environment }
        guard let algorithm = toy.first?.algorithm else { return [] }
        let pairs: [(actor: [Int], critic: [Int])] = [([], []), ([], [16, 16]), ([16, 16], [16, 16])]
        return pairs.compactMap { pair in
            let matching = toy.filter { $0.algorithm == algorithm && $0.actorHidden == pair.actor && $0.criticHidden == pair.critic }
            guard let run = matching.min(by: { $0.seed < $1.seed }),
                  let steps = try? episode(of: run.artifact, seed: EvaluationDefaults.seed &+ run.seed) else { return nil }
            return ToyRollout(algorithm: algorithm.uppercased(), actorHidden: pair.actor, criticHidden: pair.critic, steps: steps)
        }
    }

    static let environment = "ToyTracking-v0"

    /// One episode of the artifact's deterministic actor: per step the observed
    /// error o = g − s the actor saw, its action, and the state and goal after it.
    static func episode(of artifact: Artifact, seed: UInt64) throws -> [ToyStep] {
        var env = try EnvRegistry.make(environment)
        guard case .box(let low, let high) = env.actionSpace else { return [] }
        let actor = try ExportableActor(artifact: artifact, actionSpace: .box(low: low, high: high))
        var observation = env.reset(seed: seed)
        var steps: [ToyStep] = []
        while true {
            let action = actor.action(observation)
            let (next, outcome) = env.step(action)
            // ToyTracking's snapshot is (time, goal offset, state s); the goal is o + s.
            let state = env.snapshot().values[2]
            steps.append(ToyStep(t: steps.count + 1, state: state, goal: Double(next[0]) + state,
                                 observation: Double(observation[0]), action: Double(min(max(action[0], low[0]), high[0]))))
            observation = next
            if outcome.terminated || outcome.truncated { return steps }
        }
    }
}
