import Nets

/// HalfCheetah: a planar two-legged runner rewarded for forward speed.
///
/// Model: Gymnasium's `half_cheetah.xml` (nq = nv = 9: root x, z, pitch and six
/// leg hinges; nu = 6), RK4, timestep 0.01.
///
/// ## Action space
/// `Box(-1, 1, (6,))`: torques on thighs, shins and feet (back then front).
/// Not clipped by us: MuJoCo clamps `ctrl` (ctrllimited); the control cost
/// uses the action as given, as Gymnasium does.
///
/// ## Observation space (17, Float32, unbounded)
/// qpos[1:] (8: root z, pitch, six joint angles; the x position is excluded),
/// then qvel (9).
///
/// ## Rewards
/// `reward = forward + control`, `forward = (x_after − x_before) / dt` with x =
/// qpos[0] around the physics step, `control = −0.1 Σ a²`. Terms: `lastTerms`.
///
/// ## Starting state
/// `mj_resetData`, then qpos = qpos0 + U(−0.1, 0.1)⁹ and qvel = 0.1 · N(0, 1)⁹,
/// drawn from the environment's `Xoshiro256` in that order.
///
/// ## Episode end
/// Never terminates; truncated after 1000 steps.
///
/// ## Arguments
/// | name | default | |
/// |---|---|---|
/// | `modelDirectory` | `$ASYM_MODELS` or `~/.cache/asym/models` | where `half_cheetah.xml` lives |
/// | frame skip | 5 (dt 0.05) | fixed |
///
/// ## Version
/// "HalfCheetah-v2" (gym 0.18 `half_cheetah.py`). Gymnasium's v5 has the same
/// dynamics, observation and reward with these defaults.
public struct HalfCheetah: MuJoCoTask {
    /// The reward's named terms of the last step (they sum to the reward).
    public struct RewardTerms: Sendable, Equatable {
        public var forward: Double = 0
        public var control: Double = 0
        public var total: Double { forward + control }
    }

    public static let modelFile = "half_cheetah.xml"
    public static let frameSkip = 5
    public static let controlCostWeight = 0.1
    public static let resetNoise = 0.1

    public var id: String { "HalfCheetah-v2" }
    public let observationSpace: Space = .box(low: [Float](repeating: -.infinity, count: 17),
                                              high: [Float](repeating: .infinity, count: 17))
    public let actionSpace: Space
    public let maxEpisodeSteps = 1000
    public private(set) var lastTerms = RewardTerms()
    public internal(set) var elapsedSteps = 0

    var handle: SimulationHandle
    var rng: Xoshiro256
    private let initialQpos: [Double]

    /// Loads `half_cheetah.xml`. Throws `EnvError.modelNotFound` when models are not fetched.
    public init(modelDirectory: String? = nil, seed: UInt64 = 0) throws {
        let sim = try MuJoCoSimulation(modelFile: Self.modelFile, directory: modelDirectory)
        handle = SimulationHandle(sim)
        rng = Xoshiro256(seed: seed)
        initialQpos = sim.initialQpos
        actionSpace = sim.controlSpace
    }

    public var lastRewardTerms: [String: Double] { ["forward": lastTerms.forward, "control": lastTerms.control] }

    public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        resetWithLocomotionNoise(seed: seed, noise: Self.resetNoise, initialQpos: initialQpos)
        lastTerms = RewardTerms()
        writeObservation(into: observation)
    }

    public mutating func step(_ action: UnsafeBufferPointer<Float>,
                              into observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        let sim = handle.unique()
        let xBefore = sim.qpos[0]
        sim.advance(control: action, frames: Self.frameSkip)
        let xAfter = sim.qpos[0]
        var squares = 0.0
        for a in action { squares += Double(a) * Double(a) }
        lastTerms = RewardTerms(forward: (xAfter - xBefore) / dt, control: -Self.controlCostWeight * squares)
        elapsedSteps += 1
        writeObservation(into: observation)
        return StepOutcome(reward: lastTerms.total, terminated: false, truncated: elapsedSteps >= maxEpisodeSteps)
    }

    /// Writes the observation of the current state.
    public func writeObservation(into o: UnsafeMutableBufferPointer<Float>) {
        let sim = handle.simulation
        for i in 1..<sim.nq { o[i - 1] = Float(sim.qpos[i]) }
        for i in 0..<sim.nv { o[sim.nq - 1 + i] = Float(sim.qvel[i]) }
    }
}
