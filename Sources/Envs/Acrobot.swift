import Foundation
import Nets

/// The acrobot swing-up (Sutton 1996; Sutton & Barto 1998), as Gymnasium's `Acrobot-v1`.
///
/// ## Description
/// Two links joined in a chain, the first hanging from a fixed pivot; only the
/// joint between the links is actuated. The goal is to swing the free end above
/// a line one link-length over the pivot. Semantics follow Gymnasium 1.x
/// `gymnasium/envs/classic_control/acrobot.py` ("book" dynamics, no torque noise).
///
/// ## Action Space
/// `Discrete(3)`: torque −1, 0, +1 on the joint between the links. The action
/// arrives as one Float holding the index; 0.5 and 1.5 are the rounding cuts,
/// so a non-integer never traps.
///
/// ## Observation Space
/// `Box(6)`: `[cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2]` with θ̇1 ∈ [−4π, 4π],
/// θ̇2 ∈ [−9π, 9π]; θ1 is the first link's angle from hanging down, θ2 the
/// second's relative to the first.
///
/// ## Dynamics
/// One step integrates the equations of motion over dt = 0.2 s with a single
/// classical Runge–Kutta (RK4) step, then wraps both angles into [−π, π] and
/// clips the velocities. Masses, lengths and moments of inertia are 1, centres
/// of mass at 0.5, g = 9.8.
///
/// ## Rewards
/// −1 per step, 0 on the step that reaches the goal.
///
/// ## Starting State
/// θ1, θ2, θ̇1, θ̇2 each ~ U[−0.1, 0.1), rounded to Float32 as Gymnasium's
/// `astype(np.float32)` does (from the first step on the state is float64).
///
/// ## Episode End
/// Terminated when `−cos θ1 − cos(θ1 + θ2) > 1`; truncated after 500 steps.
///
/// ## Arguments
/// None.
///
/// ## Version History
/// - v1: Gymnasium's (and gym 0.18's) current version: "book" dynamics, max velocities 4π and 9π.
public struct Acrobot: ReplayableEnv, Sendable {
    public let id = "Acrobot-v1"
    public let dt = 0.2
    public let maxEpisodeSteps = 500
    static let maxVelocity1 = 4 * Double.pi
    static let maxVelocity2 = 9 * Double.pi

    public var observationSpace: Space {
        let v1 = Float(Acrobot.maxVelocity1), v2 = Float(Acrobot.maxVelocity2)
        return .box(low: [-1, -1, -1, -1, -v1, -v2], high: [1, 1, 1, 1, v1, v2])
    }
    public var actionSpace: Space { .discrete(3) }

    // MARK: - State (everything `snapshot()` saves)
    /// θ1, θ2, θ̇1, θ̇2.
    var state = SIMD4<Double>()
    var elapsedSteps = 0
    var rng: Xoshiro256

    public init(seed: UInt64 = 0) {
        rng = Xoshiro256(seed: seed)
    }

    public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { rng = Xoshiro256(seed: seed) }
        for i in 0..<4 {
            state[i] = Double(Float(rng.uniform(-0.1, 0.1)))
        }
        elapsedSteps = 0
        writeObservation(into: observation)
    }

    public mutating func step(_ action: UnsafeBufferPointer<Float>,
                              into observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        let a = action[0]
        let torque: Double = a < 0.5 ? -1 : (a < 1.5 ? 0 : 1)
        var s = Acrobot.rk4(state, torque: torque, dt: dt)
        s[0] = Acrobot.wrap(s[0], -Double.pi, Double.pi)
        s[1] = Acrobot.wrap(s[1], -Double.pi, Double.pi)
        s[2] = min(max(s[2], -Acrobot.maxVelocity1), Acrobot.maxVelocity1)
        s[3] = min(max(s[3], -Acrobot.maxVelocity2), Acrobot.maxVelocity2)
        state = s
        elapsedSteps += 1
        writeObservation(into: observation)
        let terminal = -cos(s[0]) - cos(s[1] + s[0]) > 1.0
        return StepOutcome(reward: terminal ? 0 : -1, terminated: terminal,
                           truncated: elapsedSteps >= maxEpisodeSteps)
    }

    // MARK: - Dynamics

    /// The time derivative of (θ1, θ2, θ̇1, θ̇2) under joint torque `a`: the
    /// "book" equations (Sutton & Barto), which include the θ̇1² sin θ2 term
    /// that the NIPS paper's version omits. Expressions keep Gymnasium's order.
    @inline(__always)
    static func derivatives(_ s: SIMD4<Double>, torque a: Double) -> SIMD4<Double> {
        let m1 = 1.0, m2 = 1.0, l1 = 1.0, lc1 = 0.5, lc2 = 0.5, i1 = 1.0, i2 = 1.0, g = 9.8
        let theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3]
        let cos2 = cos(theta2), sin2 = sin(theta2)
        let d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos2) + i1 + i2
        let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos2) + i2
        let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Double.pi / 2)
        let phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin2
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2
            + (m1 * lc1 + m2 * l1) * g * cos(theta1 - Double.pi / 2)
            + phi2
        let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin2 - phi2)
            / (m2 * (lc2 * lc2) + i2 - (d2 * d2) / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return SIMD4(dtheta1, dtheta2, ddtheta1, ddtheta2)
    }

    /// One classical RK4 step over `dt` (Gymnasium's `rk4` with t = [0, dt]);
    /// the torque is constant over the step.
    @inline(__always)
    static func rk4(_ y0: SIMD4<Double>, torque: Double, dt: Double) -> SIMD4<Double> {
        let dt2 = dt / 2.0
        let k1 = derivatives(y0, torque: torque)
        let k2 = derivatives(y0 + dt2 * k1, torque: torque)
        let k3 = derivatives(y0 + dt2 * k2, torque: torque)
        let k4 = derivatives(y0 + dt * k3, torque: torque)
        return y0 + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    }

    /// Wraps `x` into [m, M] by whole periods (loops, as Gymnasium's `wrap` does).
    @inline(__always)
    static func wrap(_ x: Double, _ m: Double, _ M: Double) -> Double {
        let diff = M - m
        // Far outside (a replayed state of 1e300, or ±∞) the loop would never
        // end, since x − diff == x there: jump by fmod first (NaN stays NaN).
        guard x.isFinite else { return .nan }
        var x = abs(x) > 1e6 * diff ? fmod(x, diff) : x
        while x > M { x -= diff }
        while x < m { x += diff }
        return x
    }

    @inline(__always)
    func writeObservation(into observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(cos(state[0]))
        observation[1] = Float(sin(state[0]))
        observation[2] = Float(cos(state[1]))
        observation[3] = Float(sin(state[1]))
        observation[4] = Float(state[2])
        observation[5] = Float(state[3])
    }

    // MARK: - Snapshots and replay

    public func snapshot() -> EnvSnapshot {
        EnvSnapshot(values: [state[0], state[1], state[2], state[3]], rng: rng.state,
                    elapsedSteps: elapsedSteps)
    }

    public mutating func restore(_ snapshot: EnvSnapshot) throws {
        guard snapshot.values.count == 4 else {
            throw EnvError.snapshotMismatch(env: id, expected: 4, got: snapshot.values.count)
        }
        state = SIMD4(snapshot.values[0], snapshot.values[1], snapshot.values[2], snapshot.values[3])
        rng = Xoshiro256(state: snapshot.rng)
        elapsedSteps = snapshot.elapsedSteps
    }

    /// Replay state `{"s": [θ1, θ2, θ̇1, θ̇2]}` (float64, not rounded): a new episode from it.
    public mutating func setState(_ state: ReplayState,
                                  into observation: UnsafeMutableBufferPointer<Float>) throws {
        try state.expectOnly(["s"])
        let s = try state.numbers("s", count: 4)
        self.state = SIMD4(s[0], s[1], s[2], s[3])
        elapsedSteps = 0
        writeObservation(into: observation)
    }
}
