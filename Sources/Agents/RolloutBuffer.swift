import Nets

/// On-policy experience for PPO and TRPO: `stepsPerEnv` steps of each of
/// `envCount` environments, preallocated, in Spinning Up's `PPOBuffer` shape
/// extended to parallel environments.
///
/// Rows are environment-major: env e's step t lives at row `e · stepsPerEnv + t`,
/// so one environment's episodes are contiguous and `finishPath` walks them
/// backwards in one pass. All environments advance in lockstep (`store` takes
/// one row per environment), so one write position `t` serves them all; each
/// environment keeps the start of its unfinished episode in `pathStart`.
///
/// After every environment's last path is finished, each row holds
/// - `advantages`: GAE(γ, λ) (Schulman et al. 2016, eq. 16),
///   Â_t = Σ_l (γλ)^l δ_{t+l}, δ_t = r_t + γV(s_{t+1}) − V(s_t);
/// - `returns`: the λ-return Â_t + V(s_t), Baselines' value target;
/// - `rewardsToGo`: Σ_l γ^l r_{t+l} + γ^{T−t}·lastValue, Spinning Up's value target.
public struct RolloutBuffer: Sendable, Equatable {
    public let stepsPerEnv: Int
    public let envCount: Int
    public let observationCount: Int
    /// Floats per action (1 for a discrete index).
    public let actionCount: Int
    public let gamma: Double
    public let lambda: Double

    public internal(set) var observations: [Float]
    /// Actions as sampled (before clipping to the bounds), so log-probabilities stay exact.
    public internal(set) var actions: [Float]
    public internal(set) var rewards: [Float]
    public internal(set) var values: [Float]
    public internal(set) var logProbs: [Float]
    public internal(set) var advantages: [Float]
    public internal(set) var returns: [Float]
    public internal(set) var rewardsToGo: [Float]
    /// Steps stored per environment (the next write position).
    public internal(set) var t = 0
    /// Per environment: the first step of the episode not yet finished.
    public internal(set) var pathStart: [Int]

    public init(stepsPerEnv: Int, envCount: Int, observationCount: Int, actionCount: Int,
                gamma: Double, lambda: Double) {
        precondition(stepsPerEnv > 0 && envCount > 0)
        self.stepsPerEnv = stepsPerEnv; self.envCount = envCount
        self.observationCount = observationCount; self.actionCount = actionCount
        self.gamma = gamma; self.lambda = lambda
        let n = stepsPerEnv * envCount
        observations = [Float](repeating: 0, count: n * observationCount)
        actions = [Float](repeating: 0, count: n * actionCount)
        rewards = [Float](repeating: 0, count: n)
        values = [Float](repeating: 0, count: n)
        logProbs = [Float](repeating: 0, count: n)
        advantages = [Float](repeating: 0, count: n)
        returns = [Float](repeating: 0, count: n)
        rewardsToGo = [Float](repeating: 0, count: n)
        pathStart = [Int](repeating: 0, count: envCount)
    }

    /// Rows held when full.
    public var capacity: Int { stepsPerEnv * envCount }
    public var isFull: Bool { t == stepsPerEnv }
    @inline(__always) public func row(env: Int, step: Int) -> Int { env * stepsPerEnv + step }

    /// Appends one step of every environment: `observations` (envCount × obs),
    /// `actions` (envCount × act), and one reward, value estimate and log π per environment.
    public mutating func store(observations obs: UnsafePointer<Float>, actions act: UnsafePointer<Float>,
                               rewards rew: UnsafePointer<Float>, values val: UnsafePointer<Float>,
                               logProbs lp: UnsafePointer<Float>) {
        precondition(t < stepsPerEnv, "storing into a full rollout buffer")
        let o = observationCount, a = actionCount
        for e in 0..<envCount {
            let i = row(env: e, step: t)
            observations.withUnsafeMutableBufferPointer { for k in 0..<o { $0[i * o + k] = obs[e * o + k] } }
            actions.withUnsafeMutableBufferPointer { for k in 0..<a { $0[i * a + k] = act[e * a + k] } }
            rewards[i] = rew[e]; values[i] = val[e]; logProbs[i] = lp[e]
        }
        t += 1
    }

    /// Closes environment `env`'s current path (its steps from `pathStart[env]`
    /// up to the last stored one) and computes its advantages and value targets.
    ///
    /// `lastValue` is what the path is worth after its last step:
    /// - 0 when the episode **terminated** (nothing follows a terminal state);
    /// - V(o′) of the observation after the last step when the episode was
    ///   **truncated** by the time limit or **cut by the end of the rollout**:
    ///   the state is not terminal, so the value bootstraps (Spinning Up's
    ///   `finish_path(last_val)`; Pardo et al. 2018 on time limits).
    public mutating func finishPath(env: Int, lastValue: Float) {
        let start = row(env: env, step: pathStart[env]), end = row(env: env, step: t)
        let gamma = self.gamma, gl = self.gamma * self.lambda
        var nextValue = Double(lastValue)
        var gae = 0.0, toGo = Double(lastValue)
        var i = end - 1
        while i >= start {
            let r = Double(rewards[i]), v = Double(values[i])
            let delta = r + gamma * nextValue - v               // TD residual δ_t
            gae = delta + gl * gae                              // Â_t = δ_t + γλ Â_{t+1}
            toGo = r + gamma * toGo                             // R_t = r_t + γ R_{t+1}
            advantages[i] = Float(gae)
            returns[i] = Float(gae + v)
            rewardsToGo[i] = Float(toGo)
            nextValue = v
            i -= 1
        }
        pathStart[env] = t
    }

    /// Empties the buffer for the next rollout (contents are overwritten, not cleared).
    public mutating func reset() {
        t = 0
        for e in 0..<envCount { pathStart[e] = 0 }
    }

    // MARK: - Plumbing

    /// The whole buffer, including the unfinished rows and write positions.
    public func stateDict() -> StateDict {
        var s = StateDict()
        s.setMatrix("observations", observations, width: observationCount)
        s.setMatrix("actions", actions, width: actionCount)
        s.floats["rewards"] = rewards; s.floats["values"] = values; s.floats["log_probs"] = logProbs
        s.floats["advantages"] = advantages; s.floats["returns"] = returns; s.floats["rewards_to_go"] = rewardsToGo
        s.setInteger("t", t)
        s.integers["path_start"] = pathStart.map(Int64.init)
        return s
    }

    public mutating func load(_ s: StateDict) throws {
        let n = capacity
        observations = try s.float("observations", count: n * observationCount)
        actions = try s.float("actions", count: n * actionCount)
        rewards = try s.float("rewards", count: n); values = try s.float("values", count: n)
        logProbs = try s.float("log_probs", count: n); advantages = try s.float("advantages", count: n)
        returns = try s.float("returns", count: n); rewardsToGo = try s.float("rewards_to_go", count: n)
        let t = try s.integer("t")
        let starts = try s.integerArray("path_start")
        guard (0...stepsPerEnv).contains(t), starts.count == envCount, starts.allSatisfy({ $0 >= 0 && $0 <= t }) else {
            throw StateDictError.corrupt("rollout buffer positions out of range")
        }
        self.t = t
        pathStart = starts.map { Int($0) }
    }
}
