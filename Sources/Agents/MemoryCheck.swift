import Nets
import Envs

/// Refuses runs whose buffers and networks cannot fit in memory, before
/// anything is allocated: `replay_size=1e12` or `--actor 100000,100000` would
/// otherwise abort in the allocator with a backtrace. The figures are what
/// the run allocates up front (buffers, networks with gradients, optimizer
/// moments and target copies, minibatch workspaces); all arithmetic is checked,
/// so sizes that overflow 64-bit integers are errors too.
enum MemoryCheck {
    /// Float32 copies kept per network parameter: values, gradients, Adam's m
    /// and v, and a target network.
    static let copiesPerParameter = 5

    /// One part of a run's memory, named as the user typed it.
    struct Part { let what: String; let bytes: Int }

    static func offPolicy(replaySize: Int, batchSize: Int, spec: RunSpec) throws {
        let entry = try EnvRegistry.entry(spec.env)
        let o = entry.observationCount, a = entry.actionSpace.flatCount
        // o, a, r, o′, done per transition.
        let transitionFloats = try CheckedSize.sum([o, o, a, 2], "a transition")
        var parts = try networks(spec, entry, criticInputs: o + a, criticCopies: 2, batch: batchSize,
                                 batchName: "batch_size=\(batchSize)")
        parts.append(Part(what: "replay_size=\(replaySize) (the replay buffer)",
                          bytes: try CheckedSize.product([replaySize, transitionFloats, 4], "replay_size=\(replaySize)")))
        parts.append(Part(what: "batch_size=\(batchSize) (the minibatch)",
                          bytes: try CheckedSize.product([batchSize, transitionFloats, 4], "batch_size=\(batchSize)")))
        try require(parts)
    }

    static func onPolicy(stepsPerEnv: Int, envCount: Int, batchSize: Int, spec: RunSpec) throws {
        let entry = try EnvRegistry.entry(spec.env)
        let o = entry.observationCount, a = entry.actionSpace.flatCount
        let rows = try CheckedSize.product(stepsPerEnv, envCount, "n_steps=\(stepsPerEnv) × n_envs=\(envCount)")
        // Observation, action and eight per-row scalars (reward, value, log-prob, advantage, returns…).
        let rowFloats = try CheckedSize.sum([o, a, 8], "a rollout row")
        var parts = try networks(spec, entry, criticInputs: o, criticCopies: 1, batch: min(batchSize, rows),
                                 batchName: batchSize < rows ? "batch_size=\(batchSize)" : "n_steps=\(stepsPerEnv) × n_envs=\(envCount)")
        parts.append(Part(what: "n_steps=\(stepsPerEnv) × n_envs=\(envCount) (the rollout buffer)",
                          bytes: try CheckedSize.product([rows, rowFloats, 4 * 2], "the rollout buffer")))
        try require(parts)
    }

    /// Actor and critic parameters with their copies, and the workspaces of
    /// `batch` rows both need (counted under `batchName`: it is the batch size
    /// that makes them large).
    static func networks(_ spec: RunSpec, _ entry: EnvRegistry.Entry, criticInputs: Int, criticCopies: Int,
                         batch: Int, batchName: String) throws -> [Part] {
        let actorName = "--actor " + spec.actorHidden.map(String.init).joined(separator: ",")
        let criticName = "--critic " + spec.criticHidden.map(String.init).joined(separator: ",")
        let outputs = entry.actionSpace.networkOutputs
        let actor = try ParameterCount.checkedMLP(inputs: entry.observationCount, hidden: spec.actorHidden, outputs: outputs)
        let critic = try ParameterCount.checkedMLP(inputs: max(criticInputs, entry.observationCount),
                                                   hidden: spec.criticHidden, outputs: outputs)
        // Activations and two delta buffers per layer width, per row.
        let widths = try CheckedSize.sum(spec.actorHidden + spec.criticHidden + [criticInputs, outputs, criticInputs, 1],
                                         "the networks' widths")
        let workspaces = try CheckedSize.product([max(batch, 1), widths, 3, 4, criticCopies], batchName)
        return [
            Part(what: "\(actorName) (the actor)", bytes: try CheckedSize.product([actor, copiesPerParameter, 4], actorName)),
            Part(what: "\(criticName) (the critic)",
                 bytes: try CheckedSize.product([critic, copiesPerParameter, 4, criticCopies], criticName)),
            Part(what: "\(batchName) (the networks' workspaces)", bytes: workspaces),
        ]
    }

    /// Throws `SizeError.tooLarge` naming the largest part when the total exceeds the machine's memory.
    static func require(_ parts: [Part]) throws {
        let total = try CheckedSize.sum(parts.map(\.bytes), "the run's memory")
        guard let largest = parts.max(by: { $0.bytes < $1.bytes }) else { return }
        try CheckedSize.requireAllocatable(bytes: total, for: largest.what)
    }
}
