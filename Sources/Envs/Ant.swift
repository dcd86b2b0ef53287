import Nets

/// Ant: a four-legged 3-D robot on a plane, rewarded for running along +x.
///
/// Model: Gymnasium's `ant.xml` (nq = 15: free joint 7 + eight hinges; nv = 14;
/// nu = 8; nbody = 14 including the world body), RK4, timestep 0.01.
///
/// ## Action space
/// `Box(-1, 1, (8,))`: hip and ankle torques. Not clipped by us: MuJoCo clamps
/// `ctrl` (ctrllimited); the control cost uses the action as given, as Gymnasium does.
///
/// ## Observation space (Float32, unbounded)
/// | part | v2 (111) | v5 (105) |
/// |---|---|---|
/// | qpos[2:] (torso z, orientation quaternion, 8 joint angles) | 13 | 13 |
/// | qvel | 14 | 14 |
/// | clip(cfrc_ext, −1, 1), 6 per body | all 14 bodies: 84 | without the world body: 78 |
///
/// `cfrc_ext` is filled by `mj_rnePostConstraint` after the substeps, as in
/// Gymnasium 1.x; with mujoco-py ≥ 2.0 (the paper's era) it was all zeros.
///
/// ## Rewards
/// `reward = forward + control + contact + survive` with
/// `forward = Δx / dt` of the torso body frame (`xpos`, as Gymnasium reads it),
/// `control = −0.5 Σ a²`, `contact = −5e-4 Σ clip(cfrc_ext, −1, 1)²` (all bodies)
/// and `survive = 1`. v2 pays `survive` on every step; v5 only while healthy.
/// Terms: `lastTerms`.
///
/// ## Starting state
/// `mj_resetData`, then qpos = qpos0 + U(−0.1, 0.1)¹⁵ and qvel = 0.1 · N(0, 1)¹⁴,
/// drawn from the environment's `Xoshiro256` in that order.
///
/// ## Episode end
/// Terminated when qpos or qvel holds a non-finite value or the torso height
/// qpos[2] leaves [0.2, 1.0]; truncated after 1000 steps.
///
/// ## Arguments
/// | name | default | |
/// |---|---|---|
/// | `version` | `.v2` | `.v2` (gym 0.18 `ant.py`) or `.v5` (Gymnasium 1.x `ant_v5.py`) |
/// | `modelDirectory` | `$ASYM_MODELS` or `~/.cache/asym/models` | where `ant.xml` lives |
/// | frame skip | 5 (dt 0.05) | fixed |
///
/// ## Version
/// "Ant-v2" is the paper's environment (111 observations); "Ant-v5" follows Gymnasium 1.4.0.
public struct Ant: MuJoCoTask {
    public enum Version: String, Sendable, CaseIterable { case v2, v5 }

    /// The reward's named terms of the last step (they sum to the reward).
    public struct RewardTerms: Sendable, Equatable {
        public var forward: Double = 0
        public var control: Double = 0
        public var contact: Double = 0
        public var survive: Double = 0
        public var total: Double { forward + control + contact + survive }
    }

    public static let modelFile = "ant.xml"
    public static let frameSkip = 5
    public static let controlCostWeight = 0.5
    public static let contactCostWeight = 5e-4
    public static let healthyReward = 1.0
    public static let healthyZ: ClosedRange<Double> = 0.2...1.0
    public static let contactForceLimit = 1.0
    public static let resetNoise = 0.1

    public let version: Version
    public var id: String { "Ant-\(version.rawValue)" }
    public let observationSpace: Space
    public let actionSpace: Space
    public let maxEpisodeSteps = 1000
    public private(set) var lastTerms = RewardTerms()
    public internal(set) var elapsedSteps = 0

    var handle: SimulationHandle
    var rng: Xoshiro256
    private let torso: Int
    private let initialQpos: [Double]

    /// Loads `ant.xml`. Throws `EnvError.modelNotFound` when models are not fetched.
    public init(version: Version = .v2, modelDirectory: String? = nil, seed: UInt64 = 0) throws {
        let sim = try MuJoCoSimulation(modelFile: Self.modelFile, directory: modelDirectory)
        self.version = version
        handle = SimulationHandle(sim)
        rng = Xoshiro256(seed: seed)
        torso = try sim.bodyID("torso")
        initialQpos = sim.initialQpos
        let bodies = version == .v2 ? sim.nbody : sim.nbody - 1
        let n = (sim.nq - 2) + sim.nv + 6 * bodies
        observationSpace = .box(low: [Float](repeating: -.infinity, count: n),
                                high: [Float](repeating: .infinity, count: n))
        actionSpace = sim.controlSpace
    }

    public var lastRewardTerms: [String: Double] {
        ["forward": lastTerms.forward, "control": lastTerms.control,
         "contact": lastTerms.contact, "survive": lastTerms.survive]
    }

    /// Finite state and torso height within `healthyZ` (gym's `notdone`).
    public var isHealthy: Bool {
        let sim = handle.simulation
        for i in 0..<sim.nq where !sim.qpos[i].isFinite { return false }
        for i in 0..<sim.nv where !sim.qvel[i].isFinite { return false }
        return Self.healthyZ.contains(sim.qpos[2])
    }

    public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        resetWithLocomotionNoise(seed: seed, noise: Self.resetNoise, initialQpos: initialQpos)
        lastTerms = RewardTerms()
        writeObservation(into: observation)
    }

    public mutating func step(_ action: UnsafeBufferPointer<Float>,
                              into observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        let sim = handle.unique()
        // xpos, not qpos: after mj_step it lags by a substep, and gym reads it.
        let xBefore = sim.xpos[3 * torso]
        sim.advance(control: action, frames: Self.frameSkip)
        let xAfter = sim.xpos[3 * torso]

        var squares = 0.0
        for a in action { squares += Double(a) * Double(a) }
        var contactSquares = 0.0
        let f = sim.cfrcExt
        for i in 0..<(6 * sim.nbody) {
            let c = min(max(f[i], -Self.contactForceLimit), Self.contactForceLimit)
            contactSquares += c * c
        }
        let healthy = isHealthy
        lastTerms = RewardTerms(forward: (xAfter - xBefore) / dt,
                                control: -Self.controlCostWeight * squares,
                                contact: -Self.contactCostWeight * contactSquares,
                                survive: version == .v2 || healthy ? Self.healthyReward : 0)
        elapsedSteps += 1
        writeObservation(into: observation)
        return StepOutcome(reward: lastTerms.total, terminated: !healthy, truncated: elapsedSteps >= maxEpisodeSteps)
    }

    /// Writes the observation of the current state.
    public func writeObservation(into o: UnsafeMutableBufferPointer<Float>) {
        let sim = handle.simulation
        var k = 0
        for i in 2..<sim.nq { o[k] = Float(sim.qpos[i]); k += 1 }
        for i in 0..<sim.nv { o[k] = Float(sim.qvel[i]); k += 1 }
        let first = version == .v2 ? 0 : 6   // v5 skips the world body's six
        let f = sim.cfrcExt
        for i in first..<(6 * sim.nbody) {
            o[k] = Float(min(max(f[i], -Self.contactForceLimit), Self.contactForceLimit)); k += 1
        }
    }
}
