import Testing
import Foundation
import Agents
import Report
import Store
@testable import Pipeline

/// Figure 1's episodes, rolled out from a stored toy actor.
@Suite("Figure 1: toy rollouts from stored actors")
struct ToyRolloutTests {
    /// A 1-neuron DDPG actor with a [16,16] critic, the agents' toy learning test's setting (it learns a ≈ o).
    static func trainedToyActor() throws -> Artifact {
        let store = ArtifactStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("asym-toy-rollout-\(UUID().uuidString.prefix(8))").path)
        defer { try? FileManager.default.removeItem(atPath: store.root) }
        let node = try TrainNode(spec: RunSpec(algorithm: .ddpg, env: "ToyTracking-v0", actorHidden: [], criticHidden: [16, 16], seed: 0),
                                 overrides: [("start_steps", "1000"), ("update_after", "1000"), ("update_every", "50"), ("gamma", "0.5")],
                                 steps: 6000, evaluation: .init(episodes: 1))
        switch try node.run(in: store) {
        case .computed(let a), .cached(let a): return a
        }
    }

    @Test("an episode follows the environment's rules (s moves by the clipped action, o = g − s) and the learned actor tracks its goal")
    func episode() throws {
        let steps = try ToyRollouts.episode(of: try Self.trainedToyActor(), seed: 10_000)
        #expect(steps.count == 150)
        for (before, after) in zip(steps, steps.dropFirst()) {
            #expect(abs((after.state - before.state) - after.action) < 1e-9, "step \(after.t): the state moves by the action")
            #expect(abs(Double(Float(before.goal - before.state)) - after.observation) < 1e-4, "step \(after.t): the actor sees o = g − s")
            #expect(abs(after.action) <= 1)
        }
        let meanError = steps.map { abs($0.goal - $0.state) }.reduce(0, +) / Double(steps.count)
        #expect(meanError < 1, "mean |g − s| = \(meanError): a tracking actor stays near its goal (the goal spans ±10)")
    }

    @Test("Figure 1 takes the paper's pairs that were trained, for the first algorithm and lowest seed")
    func pairsPresent() throws {
        let artifact = try Self.trainedToyActor()
        func run(_ algorithm: String, _ actor: [Int], _ critic: [Int], seed: UInt64, env: String = "ToyTracking-v0") -> ReportInput.TrainRun {
            ReportInput.TrainRun(stage: "toy", node: "n", key: "k", algorithm: algorithm, environment: env, actorHidden: actor,
                                 criticHidden: critic, seed: seed, cached: true, computeSeconds: nil, artifact: artifact)
        }
        let rollouts = ToyRollouts.figure1([
            run("ddpg", [], [16, 16], seed: 3), run("ddpg", [], [16, 16], seed: 1), run("td3", [], [16, 16], seed: 0),
            run("ddpg", [4, 4], [4, 4], seed: 0), run("ddpg", [], [16, 16], seed: 0, env: "Pendulum-v0"),
        ])
        #expect(rollouts.map(\.label) == ["DDPG [a] [1]  [c] [16,16,1]"])
        #expect(ToyRollouts.figure1([]).isEmpty)
    }
}
