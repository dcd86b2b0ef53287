import Testing
@testable import Agents

@Suite("RolloutBuffer")
struct RolloutBufferTests {
    /// Stores one step of two environments; env 1 gets zeros.
    func store(_ b: inout RolloutBuffer, reward: Float, value: Float) {
        let obs: [Float] = [reward, 0], act: [Float] = [0, 0]
        let rew: [Float] = [reward, 0], val: [Float] = [value, 0], lp: [Float] = [0, 0]
        b.store(observations: obs, actions: act, rewards: rew, values: val, logProbs: lp)
    }

    @Test("GAE and value targets match a hand-computed rollout with a termination, a truncation and a cut")
    func gaeByHand() {
        // γ = 0.9, λ = 0.8 (γλ = 0.72); rewards 1…5, values 0.5…2.5.
        var b = RolloutBuffer(stepsPerEnv: 5, envCount: 2, observationCount: 1, actionCount: 1, gamma: 0.9, lambda: 0.8)
        store(&b, reward: 1, value: 0.5)
        store(&b, reward: 2, value: 1.0)
        b.finishPath(env: 0, lastValue: 0)          // terminated after step 1: no bootstrap
        store(&b, reward: 3, value: 1.5)
        store(&b, reward: 4, value: 2.0)
        b.finishPath(env: 0, lastValue: 2.0)        // truncated after step 3: bootstrap V(o′) = 2
        store(&b, reward: 5, value: 2.5)
        #expect(b.isFull)
        b.finishPath(env: 0, lastValue: 0.5)        // cut by the rollout's end: bootstrap V(o) = 0.5
        b.finishPath(env: 1, lastValue: 0)
        // δ1 = 2 − 1 = 1;            Â1 = 1
        // δ0 = 1 + .9·1 − .5 = 1.4;  Â0 = 1.4 + .72·1 = 2.12
        // δ3 = 4 + .9·2 − 2 = 3.8;   Â3 = 3.8
        // δ2 = 3 + .9·2 − 1.5 = 3.3; Â2 = 3.3 + .72·3.8 = 6.036
        // δ4 = 5 + .9·.5 − 2.5 = 2.95
        let advantages: [Float] = [2.12, 1, 6.036, 3.8, 2.95]
        let returns: [Float] = [2.62, 2, 7.536, 5.8, 5.45]          // Â + V
        let toGo: [Float] = [2.8, 2, 8.22, 5.8, 5.45]               // 1 + .9·2; 3 + .9·(4 + .9·2); 5 + .9·.5
        for t in 0..<5 {
            #expect(abs(b.advantages[t] - advantages[t]) < 1e-5, "Â[\(t)] = \(b.advantages[t])")
            #expect(abs(b.returns[t] - returns[t]) < 1e-5, "λ-return[\(t)] = \(b.returns[t])")
            #expect(abs(b.rewardsToGo[t] - toGo[t]) < 1e-5, "reward-to-go[\(t)] = \(b.rewardsToGo[t])")
            // Env 1's rows (5…9) are its own path: all zero.
            #expect(b.advantages[5 + t] == 0 && b.rewardsToGo[5 + t] == 0)
        }
        #expect(b.pathStart == [5, 5])
    }

    @Test("the checkpoint holds contents and positions mid-path")
    func stateRoundTrip() throws {
        var b = RolloutBuffer(stepsPerEnv: 4, envCount: 2, observationCount: 1, actionCount: 1, gamma: 0.99, lambda: 0.95)
        store(&b, reward: 1, value: 0.25)
        store(&b, reward: -1, value: 0.5)
        b.finishPath(env: 0, lastValue: 0)
        store(&b, reward: 2, value: 0.75)
        var c = RolloutBuffer(stepsPerEnv: 4, envCount: 2, observationCount: 1, actionCount: 1, gamma: 0.99, lambda: 0.95)
        try c.load(b.stateDict())
        #expect(c == b)
        var wrong = RolloutBuffer(stepsPerEnv: 5, envCount: 2, observationCount: 1, actionCount: 1, gamma: 0.99, lambda: 0.95)
        #expect(throws: (any Error).self) { try wrong.load(b.stateDict()) }
    }
}
