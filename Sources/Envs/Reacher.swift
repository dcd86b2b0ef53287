import Nets
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reacher: a two-joint arm in the plane moves its fingertip to a random target.
///
/// Model: Gymnasium's `reacher.xml` (nq = nv = 4: two arm hinges, the target's
/// x and y slides; nu = 2), RK4, timestep 0.01.
///
/// ## Action space
/// `Box(-1, 1, (2,))`: torques on the two hinges (from `actuator_ctrlrange`).
/// Not clipped by us: MuJoCo clamps `ctrl` (ctrllimited); the control cost
/// uses the action as given, as Gymnasium does.
///
/// ## Observation space (Float32, unbounded)
/// | index | v2 (11) | v5 (10) |
/// |---|---|---|
/// | 0–1 | cos of the two arm angles | same |
/// | 2–3 | sin of the two arm angles | same |
/// | 4–5 | target x, y (qpos[2:4]) | same |
/// | 6–7 | arm angular velocities (qvel[0:2]) | same |
/// | 8–10 | fingertip − target (x, y, z) from body frame positions | x, y only (z is always 0) |
///
/// ## Rewards
/// `reward = distance + control` with `distance = −‖fingertip − target‖` (3-D)
/// and `control = −Σ a²`. **v2 computes both before the physics step** (the
/// distance from the previous state); v5 computes them after it. Terms: `lastTerms`.
///
/// ## Starting state
/// `mj_resetData`, then qpos = qpos0 + U(−0.1, 0.1)⁴; the goal is drawn as
/// U(−0.2, 0.2)² until its norm is < 0.2 and written to qpos[2:4];
/// qvel = U(−0.005, 0.005)⁴ with the target's velocities set to 0. Draws come
/// from the environment's `Xoshiro256` in that order.
///
/// ## Episode end
/// Never terminates; truncated after 50 steps.
///
/// ## Arguments
/// | name | default | |
/// |---|---|---|
/// | `version` | `.v2` | `.v2` (gym 0.18 `reacher.py`) or `.v5` (Gymnasium 1.x `reacher_v5.py`) |
/// | `modelDirectory` | `$ASYM_MODELS` or `~/.cache/asym/models` | where `reacher.xml` lives |
/// | frame skip | 2 (dt 0.02) | fixed |
///
/// ## Version
/// "Reacher-v2" is the paper's environment; "Reacher-v5" follows Gymnasium 1.4.0.
public struct Reacher: MuJoCoTask {
    public enum Version: String, Sendable, CaseIterable { case v2, v5 }

    /// The reward's named terms of the last step (they sum to the reward).
    public struct RewardTerms: Sendable, Equatable {
        public var distance: Double = 0
        public var control: Double = 0
        public var total: Double { distance + control }
    }

    public static let modelFile = "reacher.xml"
    public static let frameSkip = 2
    public static let resetPositionNoise = 0.1
    public static let resetVelocityNoise = 0.005
    public static let goalRadius = 0.2

    public let version: Version
    public var id: String { "Reacher-\(version.rawValue)" }
    public let observationSpace: Space
    public let actionSpace: Space
    public let maxEpisodeSteps = 50
    public private(set) var lastTerms = RewardTerms()
    public internal(set) var elapsedSteps = 0

    var handle: SimulationHandle
    var rng: Xoshiro256
    private let fingertip: Int
    private let target: Int
    private let initialQpos: [Double]

    /// Loads `reacher.xml`. Throws `EnvError.modelNotFound` when models are not fetched.
    public init(version: Version = .v2, modelDirectory: String? = nil, seed: UInt64 = 0) throws {
        let sim = try MuJoCoSimulation(modelFile: Self.modelFile, directory: modelDirectory)
        self.version = version
        handle = SimulationHandle(sim)
        rng = Xoshiro256(seed: seed)
        fingertip = try sim.bodyID("fingertip")
        target = try sim.bodyID("target")
        initialQpos = sim.initialQpos
        let n = version == .v2 ? 11 : 10
        observationSpace = .box(low: [Float](repeating: -.infinity, count: n),
                                high: [Float](repeating: .infinity, count: n))
        actionSpace = sim.controlSpace
    }

    public var lastRewardTerms: [String: Double] { ["distance": lastTerms.distance, "control": lastTerms.control] }

    public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { rng = Xoshiro256(seed: seed) }
        let sim = handle.unique()
        sim.resetData()
        var qpos = initialQpos.map { $0 + rng.uniform(-Self.resetPositionNoise, Self.resetPositionNoise) }
        var goal: (Double, Double)
        repeat {
            goal = (rng.uniform(-Self.goalRadius, Self.goalRadius), rng.uniform(-Self.goalRadius, Self.goalRadius))
        } while (goal.0 * goal.0 + goal.1 * goal.1).squareRoot() >= Self.goalRadius
        qpos[2] = goal.0; qpos[3] = goal.1
        var qvel = (0..<sim.nv).map { _ in rng.uniform(-Self.resetVelocityNoise, Self.resetVelocityNoise) }
        qvel[2] = 0; qvel[3] = 0
        // Sizes come from the model itself, so this cannot throw.
        try? sim.setState(qpos: qpos, qvel: qvel)
        elapsedSteps = 0
        lastTerms = RewardTerms()
        writeObservation(into: observation)
    }

    public mutating func step(_ action: UnsafeBufferPointer<Float>,
                              into observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        let sim = handle.unique()
        if version == .v2 {
            // v2's quirk, kept: the reward describes the state *before* this action.
            lastTerms = terms(action)
            sim.advance(control: action, frames: Self.frameSkip)
        } else {
            sim.advance(control: action, frames: Self.frameSkip)
            lastTerms = terms(action)
        }
        elapsedSteps += 1
        writeObservation(into: observation)
        return StepOutcome(reward: lastTerms.total, terminated: false, truncated: elapsedSteps >= maxEpisodeSteps)
    }

    private func terms(_ action: UnsafeBufferPointer<Float>) -> RewardTerms {
        let x = handle.simulation.xpos
        let dx = x[3 * fingertip] - x[3 * target]
        let dy = x[3 * fingertip + 1] - x[3 * target + 1]
        let dz = x[3 * fingertip + 2] - x[3 * target + 2]
        var squares = 0.0
        for a in action { squares += Double(a) * Double(a) }
        return RewardTerms(distance: -(dx * dx + dy * dy + dz * dz).squareRoot(), control: -squares)
    }

    /// Writes the observation of the current state.
    public func writeObservation(into o: UnsafeMutableBufferPointer<Float>) {
        let sim = handle.simulation
        let q = sim.qpos, v = sim.qvel, x = sim.xpos
        o[0] = Float(cos(q[0])); o[1] = Float(cos(q[1]))
        o[2] = Float(sin(q[0])); o[3] = Float(sin(q[1]))
        o[4] = Float(q[2]); o[5] = Float(q[3])
        o[6] = Float(v[0]); o[7] = Float(v[1])
        let dims = version == .v2 ? 3 : 2
        for k in 0..<dims { o[8 + k] = Float(x[3 * fingertip + k] - x[3 * target + k]) }
    }
}
