import CMuJoCo
import Envs
import Nets
#if canImport(Glibc)
import Glibc
#endif

/// MuJoCo tasks against the bare `mj_step` cost of their frame skip.
///
/// For each task: steps/s through our `Env` (random actions from a table,
/// reset when an episode ends) against the same model driven by bare C calls
/// (copy the action into `ctrl`, `mj_step` × frame skip, `mj_rnePostConstraint`).
/// The bare loop replays the environment's episode starts (same qpos/qvel at
/// the same steps, via `mj_resetData` + `mj_forward`), so both run the same
/// physics; otherwise Ant, which resets when it falls, would simulate cheaper
/// upright states than a bare loop left lying on its back.
/// The difference is what the environment adds: reward, observation, reset draws.
/// Target: within 10% of bare. Best of several interleaved rounds.
func benchMuJoCo() {
    print("== mujoco: env step vs bare frame_skip × mj_step + mj_rnePostConstraint (1 thread)")
    let tasks: [(id: String, make: () throws -> any MuJoCoEnvironment)] = [
        ("Reacher-v2", { try Reacher(version: .v2) }),
        ("HalfCheetah-v2", { try HalfCheetah() }),
        ("Ant-v2", { try Ant(version: .v2) }),
        ("Reacher-v5", { try Reacher(version: .v5) }),
        ("Ant-v5", { try Ant(version: .v5) }),
    ]
    for task in tasks {
        let env: any MuJoCoEnvironment
        do { env = try task.make() } catch {
            print("  \(task.id): skipped (\(error))")
            continue
        }
        benchMuJoCoTask(task.id, env)
    }
}

private func seconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}

private func benchMuJoCoTask<E: MuJoCoEnvironment>(_ id: String, _ start: E) {
    var env = start
    let actDim = env.actionCount
    let tableSize = 4096
    var rng = Xoshiro256(seed: 1)
    let actions = (0..<(tableSize * actDim)).map { _ in rng.uniformFloat(-1, 1) }
    var obs = [Float](repeating: 0, count: env.observationCount)
    let steps = id.hasPrefix("Reacher") ? 20_000 : (id.hasPrefix("Ant") ? 3_000 : 8_000)
    var sink = 0.0

    func envRound() -> Double {
        obs.withUnsafeMutableBufferPointer { o in
            actions.withUnsafeBufferPointer { table in
                env.reset(seed: 3, into: o)
                let t0 = seconds()
                for i in 0..<steps {
                    let row = (i % tableSize) * actDim
                    let a = UnsafeBufferPointer(rebasing: table[row..<(row + actDim)])
                    let outcome = env.step(a, into: o)
                    sink += outcome.reward
                    if outcome.done { env.reset(seed: nil, into: o) }
                }
                return seconds() - t0
            }
        }
    }

    // The episode starts of one (untimed) pass: step index → qpos, qvel after reset.
    var starts = [(index: Int, qpos: [Double], qvel: [Double])]()
    func recordState(_ index: Int) {
        let sim = env.simulation
        starts.append((index, Array(UnsafeBufferPointer(start: sim.qpos, count: sim.nq)),
                       Array(UnsafeBufferPointer(start: sim.qvel, count: sim.nv))))
    }
    obs.withUnsafeMutableBufferPointer { o in
        actions.withUnsafeBufferPointer { table in
            env.reset(seed: 3, into: o)
            recordState(0)
            for i in 0..<steps {
                let row = (i % tableSize) * actDim
                if env.step(UnsafeBufferPointer(rebasing: table[row..<(row + actDim)]), into: o).done {
                    env.reset(seed: nil, into: o)
                    recordState(i + 1)
                }
            }
        }
    }

    // The bare loop: its own simulation of the same model file.
    guard let bare = try? MuJoCoSimulation(path: env.simulation.path) else { return }
    let frames = env.frameSkip
    let m = bare.model, d = bare.data, ctrl = bare.ctrl
    func bareRound() -> Double {
        var next = 0
        func startEpisode() {
            mj_resetData(m, d)
            for (k, x) in starts[next].qpos.enumerated() { bare.qpos[k] = x }
            for (k, v) in starts[next].qvel.enumerated() { bare.qvel[k] = v }
            mj_forward(m, d)
            next += 1
        }
        startEpisode()
        let t0 = seconds()
        for i in 0..<steps {
            if next < starts.count && starts[next].index == i { startEpisode() }
            let row = (i % tableSize) * actDim
            for k in 0..<actDim { ctrl[k] = Double(actions[row + k]) }
            for _ in 0..<frames { mj_step(m, d) }
            mj_rnePostConstraint(m, d)
            sink += bare.qpos[0]
        }
        return seconds() - t0
    }

    var bestEnv = Double.infinity, bestBare = Double.infinity
    for _ in 0..<9 {
        bestEnv = min(bestEnv, envRound())
        bestBare = min(bestBare, bareRound())
    }
    let envRate = Double(steps) / bestEnv, bareRate = Double(steps) / bestBare
    let overhead = 100 * (bestEnv - bestBare) / bestBare
    func fmt(_ x: Double, _ digits: Int = 0) -> String {
        if digits == 0 { return String(Int(x.rounded())) }
        let p = pow(10.0, Double(digits))
        return String((x * p).rounded() / p)
    }
    print("  \(id.padding(16)) env \(fmt(envRate)) steps/s   bare \(fmt(bareRate)) steps/s   "
          + "overhead \(fmt(overhead, 1))%   (frame skip \(frames), \(fmt(1e6 * bestEnv / Double(steps), 2)) µs/step)"
          + (sink.isNaN ? " nan" : ""))
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
