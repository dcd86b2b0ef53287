// `asym env replay` for MuJoCo tasks: the state is `{"qpos": […], "qvel": […]}`
// with the model's nq and nv values, set as Gymnasium's `set_state` does.
extension MuJoCoEnvironment {
    public mutating func setState(_ state: ReplayState, into observation: UnsafeMutableBufferPointer<Float>) throws {
        try state.expectOnly(["qpos", "qvel"])
        let qpos = try state.numbers("qpos", count: simulation.nq)
        let qvel = try state.numbers("qvel", count: simulation.nv)
        let first = try setState(qpos: qpos, qvel: qvel)
        for i in 0..<min(first.count, observation.count) { observation[i] = first[i] }
    }
}

extension Reacher: ReplayableEnv {}
extension HalfCheetah: ReplayableEnv {}
extension Ant: ReplayableEnv {}
