import Foundation
import Nets

/// The inverted pendulum swing-up, in the paper's version (gym 0.18 `Pendulum-v0`)
/// and Gymnasium's (`Pendulum-v1`).
///
/// ## Description
/// A rod of mass `m` and length `l` hangs from a frictionless pivot; torque at
/// the pivot must swing it up and hold it upright (θ = 0 is upright).
///
/// ## Action Space
/// `Box(-2, 2, (1,))`: the torque, clipped to ±`maxTorque` (the reward uses the clipped value).
///
/// ## Observation Space
/// `Box([-1, -1, -8], [1, 1, 8])`: `[cos θ, sin θ, θ̇]`. The dynamics run in
/// float64 (both references do) and the observation is rounded to Float32
/// (v0 returned float64; v1 returns float32).
///
/// ## Rewards
/// `r = −(angleNormalize(θ)² + 0.1 θ̇² + 0.001 u²)` from the state *before*
/// the step, in [−16.27, 0].
///
/// ## Dynamics (dt = 0.05, g = 10, m = l = 1, max speed 8)
/// - v0 (gym 0.18.0, `gym/envs/classic_control/pendulum.py`):
///   `θ̇' = θ̇ + (−3g/(2l) sin(θ + π) + 3/(ml²) u) dt`; `θ' = θ + θ̇' dt` with the
///   *unclipped* θ̇'; then θ̇' is clipped to ±8.
/// - v1 (Gymnasium 1.x): `θ̇' = θ̇ + (3g/(2l) sin θ + 3/(ml²) u) dt`, clipped to ±8
///   *before* `θ' = θ + θ̇' dt`. (Gymnasium's history calls v1 "no difference in
///   behavior"; the clip order does differ whenever |θ̇'| > 8.)
///
/// ## Starting State
/// θ ~ U[−π, π), θ̇ ~ U[−1, 1), drawn in that order.
///
/// ## Episode End
/// Never terminates; truncated after 200 steps (gym's `max_episode_steps`).
///
/// ## Arguments
/// | argument | default | meaning |
/// |---|---|---|
/// | `version` | — | `.v0` (gym 0.18) or `.v1` (Gymnasium) |
/// | `g` | 10 | gravity (m s⁻²) |
///
/// ## Version History
/// - v1: Gymnasium; sin θ instead of −sin(θ + π), velocity clipped before the angle update.
/// - v0: gym ≤ 0.21, the version the paper used.
public struct Pendulum: ReplayableEnv, Sendable {
    public enum Version: String, Sendable, CaseIterable { case v0, v1 }

    public let version: Version
    public let g: Double
    public let m = 1.0
    public let l = 1.0
    public let dt = 0.05
    public let maxSpeed = 8.0
    public let maxTorque = 2.0
    public let maxEpisodeSteps = 200

    public var id: String { "Pendulum-\(version.rawValue)" }
    public var observationSpace: Space { .box(low: [-1, -1, -8], high: [1, 1, 8]) }
    public var actionSpace: Space { .box(low: [-2], high: [2]) }

    // MARK: - State (everything `snapshot()` saves)
    var theta = 0.0
    var thetaDot = 0.0
    var elapsedSteps = 0
    var rng: Xoshiro256

    public init(version: Version, g: Double = 10, seed: UInt64 = 0) {
        self.version = version
        self.g = g
        self.rng = Xoshiro256(seed: seed)
    }

    public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { rng = Xoshiro256(seed: seed) }
        theta = rng.uniform(-Double.pi, Double.pi)
        thetaDot = rng.uniform(-1, 1)
        elapsedSteps = 0
        writeObservation(into: observation)
    }

    public mutating func step(_ action: UnsafeBufferPointer<Float>,
                              into observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        let th = theta, thdot = thetaDot
        let u = min(max(Double(action[0]), -maxTorque), maxTorque)
        let angle = Pendulum.angleNormalize(th)
        let cost = angle * angle + 0.1 * (thdot * thdot) + 0.001 * (u * u)

        // Expressions keep the references' evaluation order, so results match to the last bit
        // wherever the math library does.
        switch version {
        case .v0:
            var newThetaDot = thdot + (-3 * g / (2 * l) * sin(th + Double.pi) + 3 / (m * l * l) * u) * dt
            theta = th + newThetaDot * dt            // uses the unclipped velocity (gym 0.18)
            newThetaDot = min(max(newThetaDot, -maxSpeed), maxSpeed)
            thetaDot = newThetaDot
        case .v1:
            var newThetaDot = thdot + (3 * g / (2 * l) * sin(th) + 3 / (m * l * l) * u) * dt
            newThetaDot = min(max(newThetaDot, -maxSpeed), maxSpeed)
            thetaDot = newThetaDot
            theta = th + newThetaDot * dt
        }
        elapsedSteps += 1
        writeObservation(into: observation)
        // No termination: the time limit truncates (gym's TimeLimit wrapper, here built in).
        return StepOutcome(reward: -cost, terminated: false, truncated: elapsedSteps >= maxEpisodeSteps)
    }

    /// `((x + π) mod 2π) − π` with Python's floored modulo (the result takes the
    /// divisor's sign), which `fmod` alone does not give for negative x.
    @inline(__always)
    static func angleNormalize(_ x: Double) -> Double {
        let period = 2 * Double.pi
        var r = fmod(x + Double.pi, period)
        if r < 0 { r += period }
        return r - Double.pi
    }

    @inline(__always)
    func writeObservation(into observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(cos(theta))
        observation[1] = Float(sin(theta))
        observation[2] = Float(thetaDot)
    }

    public func snapshot() -> EnvSnapshot {
        EnvSnapshot(values: [theta, thetaDot], rng: rng.state, elapsedSteps: elapsedSteps)
    }

    public mutating func restore(_ snapshot: EnvSnapshot) throws {
        guard snapshot.values.count == 2 else {
            throw EnvError.snapshotMismatch(env: id, expected: 2, got: snapshot.values.count)
        }
        theta = snapshot.values[0]
        thetaDot = snapshot.values[1]
        rng = Xoshiro256(state: snapshot.rng)
        elapsedSteps = snapshot.elapsedSteps
    }

    /// Replay state `{"theta": θ, "thetadot": θ̇}`: a new episode from that state.
    public mutating func setState(_ state: ReplayState,
                                  into observation: UnsafeMutableBufferPointer<Float>) throws {
        try state.expectOnly(["theta", "thetadot"])
        let newTheta = try state.number("theta")
        let newThetaDot = try state.number("thetadot")
        theta = newTheta
        thetaDot = newThetaDot
        elapsedSteps = 0
        writeObservation(into: observation)
    }
}
