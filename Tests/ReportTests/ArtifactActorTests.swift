import Foundation
import Nets
import Store
import Testing
@testable import Report

@Suite("A stored actor, rebuilt for export")
struct ArtifactActorTests {
    func artifact(_ r: FixtureRun, key: Int = 1) -> Artifact { makeArtifact(r, key: fixtureKey(key)) }

    @Test("The PyTorch-layout weights rebuild the network exactly, and its C matches the original actor bit for bit")
    func roundTrip() throws {
        let run = FixtureRun(algorithm: "td3", environment: "Pendulum-v0", actor: [16, 16], critic: [64, 64], seed: 3,
                             steps: 100, observationCount: 3, actorOutputs: 1)
        let stored = artifact(run)
        let actor = try ExportableActor(artifact: stored, actionSpace: .box(low: [-2], high: [2]))
        #expect(actor.head == .tanhDeterministic(actionLimit: [2]))
        // The same draw makeArtifact used for the weights.
        var rng = Xoshiro256(seed: 3 &+ UInt64([16, 16].reduce(7, +)))
        let original = MLP(inputs: 3, hidden: [16, 16], outputs: 1, hiddenActivation: .relu, outputActivation: .tanh, rng: &rng)
        #expect(actor.network.parameters == original.parameters)
        #expect(actor.network.widths == [3, 16, 16, 1])
        let observations = randomObservations(1000, dimension: 3, spread: 3, seed: 4)
        let fromC = try runExportedActor(actor, observations: observations)
        try #require(fromC.count == 1000)
        let reference = try ExportableActor(network: original, head: .tanhDeterministic(actionLimit: [2]))
        #expect(zip(observations, fromC).allSatisfy { reference.action($0.0) == $0.1 })
    }

    @Test("Each head maps to the agent's deterministic action")
    func heads() throws {
        func head(_ name: String, outputs: Int, output: Activation, _ space: ExportActionSpace) throws -> ActorHead {
            let run = FixtureRun(algorithm: "x", environment: "E", actor: [4], critic: [4], seed: 1, steps: 1,
                                 observationCount: 2, actorOutputs: outputs, head: name, outputActivation: output)
            return try ExportableActor(artifact: artifact(run), actionSpace: space).head
        }
        #expect(try head("mean_log_std", outputs: 4, output: .identity, .box(low: [-1, -1], high: [1, 1])) == .squashedGaussianMean(actionLimit: [1, 1]))
        #expect(try head("mean", outputs: 2, output: .identity, .box(low: [-1, 0], high: [1, 3])) == .gaussianMean(low: [-1, 0], high: [1, 3]))
        #expect(try head("logits", outputs: 3, output: .identity, .discrete(3)) == .argmax(actionCount: 3))
        #expect(throws: ArtifactActorError.self) { try head("logits", outputs: 3, output: .identity, .box(low: [-1], high: [1])) }
    }

    @Test("Refused with a reason: not a train artifact, an observation filter the artifact lacks, weights that do not fit")
    func refusals() throws {
        let run = FixtureRun(algorithm: "ppo", environment: "Pendulum-v0", actor: [8], critic: [8], seed: 1, steps: 1,
                             observationCount: 3, actorOutputs: 1, head: "mean", outputActivation: .identity)
        var evaluation = artifact(run)
        evaluation.attributes["kind"] = "evaluate"
        #expect(throws: ArtifactActorError.notTrain(key: fixtureKey(1), kind: "evaluate")) {
            try ExportableActor(artifact: evaluation, actionSpace: .box(low: [-2], high: [2]))
        }
        var filtered = run
        filtered.config = ["normalize_observations": .bool(true)]
        #expect {
            try ExportableActor(artifact: artifact(filtered), actionSpace: .box(low: [-2], high: [2]))
        } throws: { ($0 as? ArtifactActorError).map { "\($0)".contains("running normaliser") } ?? false }
        var truncated = artifact(run)
        truncated.arrays["weights/actor/2.weight"] = ShapedArray([Float](repeating: 0, count: 8), shape: [2, 4])
        #expect {
            try ExportableActor(artifact: truncated, actionSpace: .box(low: [-2], high: [2]))
        } throws: { ($0 as? ArtifactActorError).map { "\($0)".contains("do not match its widths") } ?? false }
    }
}
