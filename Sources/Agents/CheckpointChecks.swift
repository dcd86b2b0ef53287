import Nets

// Counters a checkpoint must agree on. A file with a valid checksum can still
// hold counters that no run produces (hand-edited, or written by a buggy
// tool); loading one would train from a state that never existed, or loop.

/// Off-policy: every step stores one transition, so the replay buffer holds
/// min(steps, capacity) of them and writes next at steps mod capacity.
func checkOffPolicyCounters(steps: Int, episodes: Int, episodeLength: Int, replay: ReplayBuffer) throws {
    guard replay.count == min(steps, replay.capacity), replay.writeIndex == steps % replay.capacity else {
        throw StateDictError.corrupt("\(steps) steps_done but \(replay.count) transitions stored (write index "
            + "\(replay.writeIndex), capacity \(replay.capacity))")
    }
    guard episodes <= steps, episodeLength <= steps else {
        throw StateDictError.corrupt("\(episodes) episodes and an episode of length \(episodeLength) in \(steps) steps")
    }
}

/// On-policy: every step adds one row per environment, and every full
/// rollout becomes one update, so steps = updates · rollout + rows · n_envs.
func checkOnPolicyCounters(steps: Int, updates: Int, rowsPerEnv: Int, envCount: Int, rolloutSize: Int) throws {
    let expected = try CheckedSize.sum(CheckedSize.product(updates, rolloutSize, "the checkpoint's updates"),
                                       CheckedSize.product(rowsPerEnv, envCount, "the checkpoint's rollout rows"),
                                       "the checkpoint's step count")
    guard steps == expected else {
        throw StateDictError.corrupt("\(steps) steps but \(updates) updates of \(rolloutSize) rows plus "
            + "\(rowsPerEnv) rows of \(envCount) environments make \(expected)")
    }
}
