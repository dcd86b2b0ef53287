import CMuJoCo
import Nets
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Where the models live

/// Gymnasium's MJCF files (reacher.xml, half_cheetah.xml, ant.xml) are fetched,
/// never committed: `make models` copies them out of the gymnasium wheel.
/// Gymnasium 1.4.0's three files compile unchanged under Debian's MuJoCo 2.2.2
/// (no newer attributes), so they are loaded as they are, without patching.
public enum MuJoCoModels {
    /// Environment variable naming the models folder.
    public static let environmentVariable = "ASYM_MODELS"

    /// `$ASYM_MODELS` when set and non-empty, else `~/.cache/asym/models`
    /// (the same default as the Makefile and `fetch-models.sh`).
    public static var defaultDirectory: String {
        if let raw = getenv(environmentVariable), let dir = String(validatingCString: raw), !dir.isEmpty {
            return dir
        }
        let home = getenv("HOME").flatMap { String(validatingCString: $0) } ?? ""
        return (home.isEmpty ? "." : home) + "/.cache/asym/models"
    }

    /// What to run when a model is missing; part of `EnvError.modelNotFound`.
    public static func fetchHint(directory: String) -> String {
        "run `make models` in the Asym checkout (or `Sources/Envs/Scripts/fetch-models.sh`), "
            + "which downloads Gymnasium's MuJoCo models into $\(environmentVariable) "
            + "(now: \(directory))"
    }

    /// Full path of `file` inside `directory` (default: `defaultDirectory`).
    public static func path(of file: String, in directory: String? = nil) -> String {
        let dir = directory ?? defaultDirectory
        return dir.hasSuffix("/") ? dir + file : dir + "/" + file
    }
}

// MARK: - The simulation

/// One MuJoCo model and its data: the engine handles behind every MuJoCo
/// environment, freed in `deinit`.
///
/// `advance(control:frames:)` is the only place physics steps. The class is not
/// thread-safe; environments hold it privately and copy it (`copy()`) before
/// mutating when their struct value has been copied, so environments keep value
/// semantics.
public final class MuJoCoSimulation {
    /// The raw `mjModel*` (immutable after loading), for benchmarks and tools
    /// that call MuJoCo directly. Owned by this object: never free it.
    public let model: UnsafeMutablePointer<mjModel>
    /// The raw `mjData*`; its arrays never move after `mj_makeData`, so the
    /// pointers below stay valid. Owned by this object: never free it.
    public let data: UnsafeMutablePointer<mjData>
    /// The XML file this model came from.
    public let path: String

    public let nq: Int, nv: Int, nu: Int, na: Int, nbody: Int
    // Cached array pointers into `data` (the hot path reads them every step).
    public let qpos: UnsafeMutablePointer<Double>
    public let qvel: UnsafeMutablePointer<Double>
    public let ctrl: UnsafeMutablePointer<Double>
    /// Body frame positions (nbody × 3) as of the last kinematics pass. After
    /// `mj_step` these lag the integrated qpos by one substep (mj_step computes
    /// kinematics, then integrates); Gymnasium reads them that way, so do we.
    public let xpos: UnsafeMutablePointer<Double>
    /// Com-based external forces (nbody × 6), filled by `mj_rnePostConstraint`.
    public let cfrcExt: UnsafeMutablePointer<Double>

    /// Serializes `mj_loadXML`: the XML loader keeps the last parsed model in a
    /// process-wide global (for `mj_saveLastXML`). Loads are rare, so taking a
    /// lock costs nothing and rules out a race on it when tests or workers load
    /// models from several threads.
    private static let loadLock = ProcessLock()

    /// Routes MuJoCo warnings to stderr instead of stdout + MUJOCO_LOG.TXT
    /// (`mju_user_warning`, set once, before the first model loads).
    private static let handlersInstalled: Void = asym_mujoco_install_handlers()

    /// Loads `file` from the models folder (`directory`, default `MuJoCoModels.defaultDirectory`).
    /// - Throws: `EnvError.modelNotFound` (with what to run) when the file is absent;
    ///   `EnvError.modelLoad` with MuJoCo's message when it does not compile.
    public convenience init(modelFile file: String, directory: String? = nil) throws {
        let dir = directory ?? MuJoCoModels.defaultDirectory
        let path = MuJoCoModels.path(of: file, in: dir)
        guard access(path, R_OK) == 0 else {
            throw EnvError.modelNotFound(path: path, hint: MuJoCoModels.fetchHint(directory: dir))
        }
        try self.init(path: path)
    }

    /// Loads an MJCF file. The corresponding C functions are `mj_loadXML` and `mj_makeData`.
    public init(path: String) throws {
        Self.handlersInstalled
        let errorCapacity = 1000
        var error = [CChar](repeating: 0, count: errorCapacity)
        let loaded = Self.loadLock.withLock {
            mj_loadXML(path, nil, &error, Int32(errorCapacity))
        }
        guard let m = loaded else {
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw EnvError.modelLoad(path: path, message: message.isEmpty ? "mj_loadXML returned NULL" : message)
        }
        guard let d = mj_makeData(m) else {
            mj_deleteModel(m)
            throw EnvError.modelLoad(path: path, message: "mj_makeData returned NULL")
        }
        self.path = path
        self.model = m
        self.data = d
        (nq, nv, nu, na, nbody) = (Int(m.pointee.nq), Int(m.pointee.nv), Int(m.pointee.nu),
                                   Int(m.pointee.na), Int(m.pointee.nbody))
        qpos = d.pointee.qpos; qvel = d.pointee.qvel; ctrl = d.pointee.ctrl
        xpos = d.pointee.xpos; cfrcExt = d.pointee.cfrc_ext
    }

    /// A deep copy (model and data). The corresponding C functions are `mj_copyModel` and `mj_copyData`.
    private init(copying other: MuJoCoSimulation) {
        // Allocation failure inside MuJoCo calls its error handler (which exits),
        // so NULL here cannot be returned to us; the guard documents the contract.
        guard let m = mj_copyModel(nil, other.model), let d = mj_makeData(m) else {
            preconditionFailure("MuJoCo could not allocate a copy of \(other.path)")
        }
        mj_copyData(d, m, other.data)
        path = other.path
        model = m
        data = d
        (nq, nv, nu, na, nbody) = (other.nq, other.nv, other.nu, other.na, other.nbody)
        qpos = d.pointee.qpos; qvel = d.pointee.qvel; ctrl = d.pointee.ctrl
        xpos = d.pointee.xpos; cfrcExt = d.pointee.cfrc_ext
    }

    /// An independent simulation in exactly this state.
    public func copy() -> MuJoCoSimulation { MuJoCoSimulation(copying: self) }

    /// Frees the engine handles. The corresponding C functions are `mj_deleteData` and `mj_deleteModel`.
    deinit {
        mj_deleteData(data)
        mj_deleteModel(model)
    }

    // MARK: - Model facts

    /// Physics timestep in seconds (`opt.timestep`; 0.01 in all three Gymnasium models).
    public var timestep: Double { model.pointee.opt.timestep }
    /// Simulation time in seconds.
    public var time: Double { data.pointee.time }
    /// `qpos0`: the model's reference configuration (Gymnasium's `init_qpos`).
    public var initialQpos: [Double] { Array(UnsafeBufferPointer(start: model.pointee.qpos0, count: nq)) }

    /// The action box from `actuator_ctrlrange` (as Gymnasium's `_set_action_space`).
    public var controlSpace: Space {
        // A model without actuators may leave the array NULL.
        guard nu > 0, let range = model.pointee.actuator_ctrlrange else { return .box(low: [], high: []) }
        let low = (0..<nu).map { Float(range[2 * $0]) }
        let high = (0..<nu).map { Float(range[2 * $0 + 1]) }
        return .box(low: low, high: high)
    }

    /// The id of a body by name. The corresponding C function is `mj_name2id`.
    public func bodyID(_ name: String) throws -> Int {
        let id = Int(mj_name2id(model, Int32(mjOBJ_BODY.rawValue), name))
        guard id >= 0 else {
            throw EnvError.modelLoad(path: path, message: "no body named '\(name)'")
        }
        return id
    }

    // MARK: - Stepping

    /// Sets `ctrl` from `control`, runs `frames` × `mj_step`, then `mj_rnePostConstraint`.
    ///
    /// The action is not clipped here: Gymnasium's `do_simulation` writes it to
    /// `ctrl` as given and MuJoCo clamps it to `ctrlrange` inside `mj_step`
    /// (all three models set `ctrllimited`). `mj_rnePostConstraint` fills
    /// `cfrc_ext`, which MuJoCo ≥ 2.0 leaves stale without a force sensor;
    /// Gymnasium 1.x calls it after the substeps, and Ant observes `cfrc_ext`.
    @inline(__always)
    public func advance(control: UnsafeBufferPointer<Float>, frames: Int) {
        precondition(control.count == nu, "action has \(control.count) values, model expects \(nu)")
        for i in 0..<nu { ctrl[i] = Double(control[i]) }
        for _ in 0..<frames { mj_step(model, data) }
        mj_rnePostConstraint(model, data)
    }

    /// Restores the state `mj_resetData` defines (qpos0, zero velocity, time 0,
    /// zero controls and warm start). The corresponding C function is `mj_resetData`.
    public func resetData() { mj_resetData(model, data) }

    /// Sets joint positions and velocities, then recomputes everything derived
    /// (`mj_forward`), as Gymnasium's `set_state`. qpos/qvel are not the whole
    /// physics state (see `snapshotValues()`). `mj_forward` normalizes free-joint
    /// quaternions in place, so a non-unit quaternion reads back normalized.
    /// - Throws: `EnvError.invalidReplayInput` when a size is wrong.
    public func setState(qpos newQpos: [Double], qvel newQvel: [Double]) throws {
        guard newQpos.count == nq else {
            throw EnvError.invalidReplayInput("qpos has \(newQpos.count) values, \(modelName) expects \(nq)")
        }
        guard newQvel.count == nv else {
            throw EnvError.invalidReplayInput("qvel has \(newQvel.count) values, \(modelName) expects \(nv)")
        }
        for i in 0..<nq { qpos[i] = newQpos[i] }
        for i in 0..<nv { qvel[i] = newQvel[i] }
        mj_forward(model, data)
    }

    private var modelName: String { String(path.split(separator: "/").last ?? Substring(path)) }

    // MARK: - Snapshot

    /// The arrays a snapshot holds, in order, with their lengths.
    ///
    /// State proper (MuJoCo's docs: time, qpos, qvel, act, the solver's
    /// warm start `qacc_warmstart`) plus the inputs `mj_step` reads (ctrl,
    /// qfrc_applied, xfrc_applied, mocap pose, userdata) plus two derived arrays
    /// the environments read *between* steps: `xpos`, which after `mj_step`
    /// lags qpos by a substep and so cannot be recomputed from qpos, and
    /// `cfrc_ext`. (`mj_getState` does not exist in 2.2.2.)
    private var snapshotLayout: [(UnsafeMutablePointer<Double>, Int)] {
        let d = data.pointee, m = model.pointee
        let nmocap = Int(m.nmocap), nuser = Int(m.nuserdata)
        var parts: [(UnsafeMutablePointer<Double>, Int)] = [
            (d.qpos, nq), (d.qvel, nv), (d.qacc_warmstart, nv),
            (d.ctrl, nu), (d.qfrc_applied, nv), (d.xfrc_applied, 6 * nbody),
            (d.xpos, 3 * nbody), (d.cfrc_ext, 6 * nbody),
        ]
        if na > 0 { parts.append((d.act, na)) }
        if nmocap > 0 { parts += [(d.mocap_pos, 3 * nmocap), (d.mocap_quat, 4 * nmocap)] }
        if nuser > 0 { parts.append((d.userdata, nuser)) }
        return parts
    }

    /// Number of Doubles in `snapshotValues()`.
    public var snapshotCount: Int { 1 + snapshotLayout.reduce(0) { $0 + $1.1 } }

    /// The full physics state as Doubles: time first, then `snapshotLayout`.
    public func snapshotValues() -> [Double] {
        var values = [Double]()
        values.reserveCapacity(snapshotCount)
        values.append(data.pointee.time)
        for (pointer, count) in snapshotLayout {
            values.append(contentsOf: UnsafeBufferPointer(start: pointer, count: count))
        }
        return values
    }

    /// Restores `snapshotValues()` so the next step is bit-identical to one taken
    /// from the saved simulation. Runs `mj_forward` for the derived quantities,
    /// then writes the saved arrays again so xpos, cfrc_ext and the warm start
    /// hold exactly what they held (mj_forward recomputes the first).
    /// - Returns: false when `values` has the wrong length (nothing is changed).
    public func restore(values: [Double]) -> Bool {
        guard values.count == snapshotCount else { return false }
        let layout = snapshotLayout
        func write() {
            var offset = 1
            for (pointer, count) in layout {
                for i in 0..<count { pointer[i] = values[offset + i] }
                offset += count
            }
        }
        data.pointee.time = values[0]
        write()
        mj_forward(model, data)
        write()
        return true
    }
}

/// A process-wide mutex (pthread; `Synchronization.Mutex` would need macOS 15,
/// and Package.swift names macOS 13). Never destroyed: it lives in a static.
private final class ProcessLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

// MARK: - Value semantics for environments

/// Holds an environment's simulation and copies it before a mutation when the
/// environment struct has been copied (`var b = a`), so environments behave as
/// values although the engine handles are a class.
struct SimulationHandle {
    private var shared: MuJoCoSimulation

    init(_ simulation: MuJoCoSimulation) { shared = simulation }

    /// For reading only.
    var simulation: MuJoCoSimulation { shared }

    /// For mutating: a simulation no other environment value refers to.
    mutating func unique() -> MuJoCoSimulation {
        if !isKnownUniquelyReferenced(&shared) { shared = shared.copy() }
        return shared
    }
}

// MARK: - What all MuJoCo environments offer beyond `Env`

/// The MuJoCo environments' common surface beyond `Env`: their simulation,
/// step duration, named reward terms and `setState` (what `asym env replay` needs).
public protocol MuJoCoEnvironment: Env {
    /// The engine, for reading (tests, benchmarks); step through `step` only.
    var simulation: MuJoCoSimulation { get }
    /// Simulated seconds per `step`: timestep × frame skip.
    var dt: Double { get }
    /// Physics substeps per `step`.
    var frameSkip: Int { get }
    /// The last step's reward terms by name (they sum to its reward).
    var lastRewardTerms: [String: Double] { get }
    /// Sets qpos and qvel, runs `mj_forward`, returns the observation.
    /// - Throws: `EnvError.invalidReplayInput` when a size is wrong.
    mutating func setState(qpos: [Double], qvel: [Double]) throws -> [Float]
}

// MARK: - What every MuJoCo task shares

/// The plumbing every MuJoCo task has in common — its simulation handle, its
/// generator and time-limit counter — so `setState`, `snapshot` and `restore`
/// are written once. A task supplies its physics (`reset`, `step`) and its
/// observation (`writeObservation`).
protocol MuJoCoTask: MuJoCoEnvironment {
    static var frameSkip: Int { get }
    var handle: SimulationHandle { get set }
    var rng: Xoshiro256 { get set }
    var elapsedSteps: Int { get set }
    /// Writes the observation of the current state.
    func writeObservation(into observation: UnsafeMutableBufferPointer<Float>)
}

extension MuJoCoTask {
    /// The simulation, for tests and benchmarks (read it, do not step it).
    public var simulation: MuJoCoSimulation { handle.simulation }
    public var frameSkip: Int { Self.frameSkip }
    /// Seconds of simulated time per `step` (timestep × frame skip).
    public var dt: Double { handle.simulation.timestep * Double(Self.frameSkip) }

    /// Sets qpos and qvel, runs `mj_forward`, and returns the observation; for
    /// `asym env replay`. The time-limit counter is left alone.
    /// - Throws: `EnvError.invalidReplayInput` when a size is wrong.
    public mutating func setState(qpos: [Double], qvel: [Double]) throws -> [Float] {
        try handle.unique().setState(qpos: qpos, qvel: qvel)
        var obs = [Float](repeating: 0, count: observationCount)
        obs.withUnsafeMutableBufferPointer { writeObservation(into: $0) }
        return obs
    }

    /// Gymnasium's locomotion reset (HalfCheetah, Ant): re-seed when asked, then
    /// qpos = qpos₀ + U(±noise) and qvel = noise · N(0, 1), drawn in that order,
    /// and a fresh time limit. The task resets its own reward terms and observation.
    mutating func resetWithLocomotionNoise(seed: UInt64?, noise: Double, initialQpos: [Double]) {
        if let seed { rng = Xoshiro256(seed: seed) }
        let sim = handle.unique()
        sim.resetData()
        let qpos = initialQpos.map { $0 + rng.uniform(-noise, noise) }
        let qvel = (0..<sim.nv).map { _ in noise * rng.normal() }
        // Sizes come from the model itself, so this cannot throw.
        try? sim.setState(qpos: qpos, qvel: qvel)
        elapsedSteps = 0
    }

    public func snapshot() -> EnvSnapshot {
        EnvSnapshot(values: handle.simulation.snapshotValues(), rng: rng.state, elapsedSteps: elapsedSteps)
    }

    public mutating func restore(_ snapshot: EnvSnapshot) throws {
        let sim = handle.unique()
        guard sim.restore(values: snapshot.values) else {
            throw EnvError.snapshotMismatch(env: id, expected: sim.snapshotCount, got: snapshot.values.count)
        }
        rng = Xoshiro256(state: snapshot.rng)
        elapsedSteps = snapshot.elapsedSteps
    }
}
