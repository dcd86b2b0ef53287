import Nets

/// The paper's toy problem: track a moving goal in one dimension.
///
/// ## Description
/// Mysore et al. (2021), §3 and Appendix A.1: the agent moves an internal
/// state `s` toward a goal `g` and observes only the error `g − s`, so the
/// ideal policy is `a = o` and a single linear neuron can solve it. This is a
/// port of `StateEnv` (relative actions, the default `action_type='R'`) from
/// the authors' CAPS code, `rl_smoothness/envs/PerlinEnv.py`, the most likely
/// origin of the paper's toy environment (see `reference/rl-facts.md` §1).
///
/// ## Action Space
/// `Box(-1, 1, (1,))`: a relative move, clipped to the bounds; `s ← s + u`.
///
/// ## Observation Space
/// `Box(-10, 10, (1,))`: `g − s` (the bounds are nominal; the error is not clipped).
///
/// ## Goal
/// `g = 10 · generator(t)` with the generator in [-1, 1] (`amplitude` = the
/// reference's `obs_high[0]` = 10):
/// - `.perlin` (default): `noise.pnoise1(t + offset, octaves: 4)` (`Perlin.pnoise1`),
///   with `offset = U[0, 1) · 1e5` drawn at every reset;
/// - `.constant(c)`: `c`;
/// - `.step(from:to:atTime:)`: `from` before `atTime` seconds, `to` from then on.
///   (Appendix A.1 mentions constant and step generators without defining them.)
///
/// ## Step order (it matters: the observation lags the goal by one step)
/// 1. `g ← goal(t)` at the current time; 2. `s ← s + clip(u)`; 3. `t ← t + 0.02`;
/// 4. reward and observation use that `g`.
///
/// ## Rewards
/// `r = −|g − s|` after the move.
///
/// ## Starting State
/// `t = 0`, a new offset, `s = goal(0)`: the first observation is 0.
///
/// ## Episode End
/// No termination. Truncation after 150 steps: the reference ends the episode
/// when `t > 3.0`, and `t`, summed in float64, first exceeds 3 at the 150th
/// step (3.0000000000000018).
///
/// ## Arguments
/// | argument | default | meaning |
/// |---|---|---|
/// | `goal` | `.perlin` | goal generator |
/// | `amplitude` | 10 | goal scale and observation bound (`obs_high`) |
/// | `id` | "ToyTracking-v0" | registry id |
///
/// ## Paper vs code
/// Appendix A.1 of the paper describes goals and state in [-1, 1] with
/// `s' = clip(s + a, -1, 1)`; the CAPS code scales the goal by 10 and never
/// clips `s`. This port follows the code (rl-facts.md §1); `amplitude: 1` gives
/// the paper's goal range, but `s` stays unclipped.
///
/// ## Version History
/// - v0: port of CAPS `StateEnv` with `p_aggression` 1 and the continuous goal
///   (the optional random discontinuities are not ported).
public struct ToyTracking: ReplayableEnv, Sendable {
    /// How the goal moves over time, as a function in [-1, 1] of the episode
    /// time `t` (seconds) and the episode's random `offset`.
    public enum Goal: Sendable, Equatable {
        case perlin
        case constant(Double)
        case step(from: Double, to: Double, atTime: Double)

        func value(time: Double, offset: Double) -> Double {
            switch self {
            case .perlin:
                // `pnoise1` takes a C float: the float64 sum is rounded to Float32 first.
                return Double(Perlin.pnoise1(Float(time + offset), octaves: 4))
            case .constant(let c):
                return c
            case .step(let from, let to, let atTime):
                return time < atTime ? from : to
            }
        }
    }

    public let id: String
    public let goal: Goal
    public let amplitude: Double
    /// Seconds per step (the reference's `dt`).
    public let dt = 0.02
    public let maxEpisodeSteps = 150
    public var observationSpace: Space { .box(low: [Float(-amplitude)], high: [Float(amplitude)]) }
    public var actionSpace: Space { .box(low: [-1], high: [1]) }

    // MARK: - State (everything `snapshot()` saves)
    /// Episode time `t` in seconds, accumulated in float64 as the reference does.
    var simTime = 0.0
    /// The Perlin input offset drawn at reset.
    var offset = 0.0
    /// The internal state `s`.
    var position = 0.0
    var elapsedSteps = 0
    var rng: Xoshiro256

    public init(id: String = "ToyTracking-v0", goal: Goal = .perlin, amplitude: Double = 10,
                seed: UInt64 = 0) {
        self.id = id
        self.goal = goal
        self.amplitude = amplitude
        self.rng = Xoshiro256(seed: seed)
    }

    func goalValue() -> Double { amplitude * goal.value(time: simTime, offset: offset) }

    public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { rng = Xoshiro256(seed: seed) }
        simTime = 0
        // Drawn for every generator, so all variants consume the generator alike.
        offset = rng.uniform() * 1e5
        position = goalValue()
        elapsedSteps = 0
        observation[0] = 0
    }

    public mutating func step(_ action: UnsafeBufferPointer<Float>,
                              into observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        let g = goalValue()                                   // (1) goal at the current time
        position += min(max(Double(action[0]), -1), 1)        // (2) clipped relative move
        simTime += dt                                         // (3)
        elapsedSteps += 1
        let error = g - position                              // (4) the goal before the time step
        observation[0] = Float(error)
        return StepOutcome(reward: -abs(error), terminated: false,
                           truncated: elapsedSteps >= maxEpisodeSteps)
    }

    public func snapshot() -> EnvSnapshot {
        EnvSnapshot(values: [simTime, offset, position], rng: rng.state, elapsedSteps: elapsedSteps)
    }

    public mutating func restore(_ snapshot: EnvSnapshot) throws {
        guard snapshot.values.count == 3 else {
            throw EnvError.snapshotMismatch(env: id, expected: 3, got: snapshot.values.count)
        }
        simTime = snapshot.values[0]
        offset = snapshot.values[1]
        position = snapshot.values[2]
        rng = Xoshiro256(state: snapshot.rng)
        elapsedSteps = snapshot.elapsedSteps
    }

    /// Replay state `{"offset": x, "state": s}`: an episode starting at `t = 0`
    /// with that offset and internal state (the first observation is `goal(0) − s`).
    public mutating func setState(_ state: ReplayState,
                                  into observation: UnsafeMutableBufferPointer<Float>) throws {
        try state.expectOnly(["offset", "state"])
        let newOffset = try state.number("offset")
        let newPosition = try state.number("state")
        simTime = 0
        offset = newOffset
        position = newPosition
        elapsedSteps = 0
        observation[0] = Float(goalValue() - position)
    }
}
