import Foundation
import Nets
import Testing
@testable import Envs

// Shared helpers for the Envs tests.

/// Reference data written by `Fixtures/make_fixtures.py`.
func fixtureData(_ name: String) throws -> Data {
    guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
        throw FixtureMissing(name: name)
    }
    return try Data(contentsOf: url)
}

struct FixtureMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "fixture Fixtures/\(name).json is not in the test bundle" }
}

/// A replay fixture: `asym env replay` inputs with the reference implementation's outputs.
struct TrajectoryFixture: Decodable {
    struct Step: Decodable {
        let obs: [Double]
        let reward: Double
        let terminated: Bool
        let truncated: Bool
    }
    struct Expected: Decodable {
        let obs0: [Double]
        let steps: [Step]
    }
    struct Case: Decodable {
        let name: String
        let input: JSONValue
        let expected: Expected
    }
    let env: String
    let source: String
    let cases: [Case]
}

/// Deterministic actions drawn uniformly from `space` (index as Float for discrete).
struct ActionSampler {
    var rng: Xoshiro256
    let space: Space
    init(space: Space, seed: UInt64) { self.space = space; rng = Xoshiro256(seed: seed) }
    mutating func next() -> [Float] {
        switch space {
        case .box(let low, let high):
            return zip(low, high).map { lo, hi in
                // Reach 20% beyond the bounds so clipping is exercised too.
                let span = hi - lo
                return rng.uniformFloat(lo - 0.2 * span, hi + 0.2 * span)
            }
        case .discrete(let n):
            return [Float(rng.index(below: n))]
        }
    }
}

/// The bit patterns of a trajectory, for exact comparisons.
struct Bits: Equatable {
    var observations: [UInt32] = []
    var rewards: [UInt64] = []
    var flags: [Bool] = []
    mutating func record(_ obs: [Float], _ outcome: StepOutcome) {
        observations += obs.map(\.bitPattern)
        rewards.append(outcome.reward.bitPattern)
        flags += [outcome.terminated, outcome.truncated]
    }
}

let classicIDs = ["ToyTracking-v0", "ToyTrackingConstant-v0", "ToyTrackingStep-v0",
                  "Pendulum-v0", "Pendulum-v1", "Acrobot-v1"]
