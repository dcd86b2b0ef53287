import Nets

/// A fixed-capacity FIFO of transitions (o, a, r, o′, d) in flat Float32
/// storage, as Spinning Up's `ReplayBuffer`: once full, the oldest is overwritten.
///
/// `done` stores *termination* only (1 when the episode truly ended): a time
/// limit is not a terminal state, so its value still bootstraps (Spinning Up's
/// `d = False if ep_len == max_ep_len else d` patch, made structural here).
public struct ReplayBuffer: Sendable, Equatable {
    public let capacity: Int
    public let observationCount: Int
    public let actionCount: Int
    public private(set) var observations: [Float]
    public private(set) var actions: [Float]
    public private(set) var rewards: [Float]
    public private(set) var nextObservations: [Float]
    public private(set) var dones: [Float]
    /// Where the next transition goes.
    public private(set) var writeIndex = 0
    /// Transitions held (≤ capacity).
    public private(set) var count = 0

    public init(capacity: Int, observationCount: Int, actionCount: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.observationCount = observationCount
        self.actionCount = actionCount
        observations = [Float](repeating: 0, count: capacity * observationCount)
        actions = [Float](repeating: 0, count: capacity * actionCount)
        rewards = [Float](repeating: 0, count: capacity)
        nextObservations = [Float](repeating: 0, count: capacity * observationCount)
        dones = [Float](repeating: 0, count: capacity)
    }

    public mutating func append(observation: UnsafeBufferPointer<Float>, action: UnsafeBufferPointer<Float>,
                                reward: Float, nextObservation: UnsafeBufferPointer<Float>, terminated: Bool) {
        let i = writeIndex, o = observationCount, a = actionCount
        observations.withUnsafeMutableBufferPointer { for k in 0..<o { $0[i * o + k] = observation[k] } }
        nextObservations.withUnsafeMutableBufferPointer { for k in 0..<o { $0[i * o + k] = nextObservation[k] } }
        actions.withUnsafeMutableBufferPointer { for k in 0..<a { $0[i * a + k] = action[k] } }
        rewards[i] = reward
        dones[i] = terminated ? 1 : 0
        writeIndex = (writeIndex + 1) % capacity
        count = min(count + 1, capacity)
    }

    /// Fills `batch` with `size` transitions drawn uniformly with replacement
    /// from the filled slots (never an unwritten one).
    public func sample(size: Int, rng: inout Xoshiro256, into batch: inout Batch) {
        precondition(count > 0, "sampling an empty replay buffer")
        batch.resize(size)
        let o = observationCount, a = actionCount
        observations.withUnsafeBufferPointer { obs in
        nextObservations.withUnsafeBufferPointer { next in
        actions.withUnsafeBufferPointer { act in
            for r in 0..<size {
                let i = rng.index(below: count)
                for k in 0..<o {
                    batch.observations[r * o + k] = obs[i * o + k]
                    batch.nextObservations[r * o + k] = next[i * o + k]
                }
                for k in 0..<a { batch.actions[r * a + k] = act[i * a + k] }
                batch.rewards[r] = rewards[i]
                batch.dones[r] = dones[i]
            }
        }}}
    }

    /// A sampled minibatch, reused across updates so sampling allocates nothing.
    public struct Batch: Sendable {
        public private(set) var size = 0
        public var observations: [Float]
        public var actions: [Float]
        public var rewards: [Float]
        public var nextObservations: [Float]
        public var dones: [Float]
        let observationCount: Int, actionCount: Int

        public init(capacity: Int, observationCount: Int, actionCount: Int) {
            self.observationCount = observationCount; self.actionCount = actionCount
            observations = [Float](repeating: 0, count: capacity * observationCount)
            nextObservations = observations
            actions = [Float](repeating: 0, count: capacity * actionCount)
            rewards = [Float](repeating: 0, count: capacity)
            dones = rewards
        }

        mutating func resize(_ n: Int) {
            if n * observationCount > observations.count {
                observations = [Float](repeating: 0, count: n * observationCount)
                nextObservations = observations
                actions = [Float](repeating: 0, count: n * actionCount)
                rewards = [Float](repeating: 0, count: n)
                dones = rewards
            }
            size = n
        }
    }

    // MARK: Checkpoint

    /// Only the filled part is saved: a 1e6-slot buffer early in training stays small.
    public func stateDict() -> StateDict {
        var s = StateDict()
        s.setMatrix("observations", Array(observations[0..<(count * observationCount)]), width: observationCount)
        s.setMatrix("actions", Array(actions[0..<(count * actionCount)]), width: actionCount)
        s.floats["rewards"] = Array(rewards[0..<count])
        s.setMatrix("next_observations", Array(nextObservations[0..<(count * observationCount)]), width: observationCount)
        s.floats["dones"] = Array(dones[0..<count])
        s.setInteger("write_index", writeIndex)
        s.setInteger("count", count)
        s.setInteger("capacity", capacity)
        return s
    }

    public mutating func load(_ s: StateDict) throws {
        guard try s.integer("capacity") == capacity else {
            throw StateDictError.wrongSize("replay/capacity", expected: capacity, got: try s.integer("capacity"))
        }
        let n = try s.integer("count")
        guard n >= 0, n <= capacity else { throw StateDictError.corrupt("replay count \(n) outside 0…\(capacity)") }
        let w = try s.integer("write_index")
        guard w >= 0, w < capacity else { throw StateDictError.corrupt("replay write index \(w) outside 0..<\(capacity)") }
        func fill(_ name: String, _ target: inout [Float], width: Int) throws {
            let v = try s.float(name, count: n * width)
            target.withUnsafeMutableBufferPointer { t in for k in 0..<v.count { t[k] = v[k] } }
        }
        try fill("observations", &observations, width: observationCount)
        try fill("actions", &actions, width: actionCount)
        try fill("rewards", &rewards, width: 1)
        try fill("next_observations", &nextObservations, width: observationCount)
        try fill("dones", &dones, width: 1)
        count = n
        writeIndex = w
    }
}
