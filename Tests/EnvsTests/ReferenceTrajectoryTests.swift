import Foundation
import Testing
@testable import Envs

/// Per-step observations and rewards against the reference implementations
/// (gym 0.18.0, Gymnasium 1.4.0, the CAPS toy on the `noise` package), replayed
/// through the same code path as `asym env replay`.
@Suite("Reference trajectories")
struct ReferenceTrajectoryTests {
    static let tolerance = 1e-6

    @Test("observations, rewards and flags match the reference",
          arguments: ["ToyTracking-v0", "Pendulum-v0", "Pendulum-v1", "Acrobot-v1"])
    func matchesReference(envID: String) throws {
        let fixture = try JSONDecoder().decode(TrajectoryFixture.self, from: fixtureData(envID))
        #expect(fixture.env == envID)
        #expect(!fixture.cases.isEmpty)
        for c in fixture.cases {
            let result = try Replay.run(envID: envID, input: c.input, source: "\(envID).json")
            let where_ = "\(envID) '\(c.name)'"
            try #require(result.steps.count == c.expected.steps.count, "\(where_): step count")
            #expect(maxError(result.initialObservation, c.expected.obs0) <= Self.tolerance, "\(where_): obs0")
            for (i, (got, want)) in zip(result.steps, c.expected.steps).enumerated() {
                let obsError = maxError(got.observation, want.obs)
                #expect(obsError <= Self.tolerance, "\(where_) step \(i + 1): obs off by \(obsError)")
                #expect(abs(got.outcome.reward - want.reward) <= Self.tolerance,
                        "\(where_) step \(i + 1): reward \(got.outcome.reward), expected \(want.reward)")
                #expect(got.outcome.terminated == want.terminated, "\(where_) step \(i + 1): terminated")
                #expect(got.outcome.truncated == want.truncated, "\(where_) step \(i + 1): truncated")
            }
        }
    }

    @Test("the fixtures reach the interesting cases (time limit, terminal state)")
    func fixturesCoverEdges() throws {
        for envID in ["ToyTracking-v0", "Pendulum-v0", "Pendulum-v1"] {
            let fixture = try JSONDecoder().decode(TrajectoryFixture.self, from: fixtureData(envID))
            #expect(fixture.cases.contains { $0.expected.steps.last?.truncated == true }, "\(envID)")
        }
        let acrobot = try JSONDecoder().decode(TrajectoryFixture.self, from: fixtureData("Acrobot-v1"))
        #expect(acrobot.cases.contains { $0.expected.steps.last?.terminated == true })
    }

    func maxError(_ got: [Float], _ want: [Double]) -> Double {
        guard got.count == want.count else { return .infinity }
        return zip(got, want).map { abs(Double($0) - $1) }.max() ?? 0
    }
}
