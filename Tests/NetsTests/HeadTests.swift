import Testing
import Foundation
@testable import Nets

/// Central difference of a Float function of one Float slot, accumulated in Double.
func centralDifference(_ values: inout [Float], _ k: Int, h: Float, _ f: ([Float]) -> Double) -> Double {
    let saved = values[k]
    values[k] = saved + h; let plus = f(values)
    values[k] = saved - h; let minus = f(values)
    values[k] = saved
    return (plus - minus) / Double(2 * h)
}

@Suite("Policy head gradients")
struct HeadGradientTests {
    @Test("squashed Gaussian: actions and log π back to μ and log σ")
    func squashedGaussian() {
        var rng = Xoshiro256(seed: 1)
        let head = SquashedGaussianHead(actionLimit: [2, 0.5])
        let batch = 3, n = 2
        var net = randomFloats(batch * 2 * n, &rng)
        net[2] = -25   // one log σ below the clamp: no gradient may flow there
        let noise = (0..<(batch * n)).map { _ in Float(rng.normal()) }
        let ca = randomFloats(batch * n, &rng), cl = randomFloats(batch, &rng)
        func loss(_ out: [Float]) -> Double {
            var a = [Float](repeating: 0, count: batch * n), lp = [Float](repeating: 0, count: batch), sq = a
            head.sample(netOutput: out, noise: noise, batch: batch, actions: &a, logProb: &lp, squashed: &sq)
            return zip(a, ca).reduce(0) { $0 + Double($1.0 * $1.1) } + zip(lp, cl).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        var a = [Float](repeating: 0, count: batch * n), lp = [Float](repeating: 0, count: batch), sq = a
        head.sample(netOutput: net, noise: noise, batch: batch, actions: &a, logProb: &lp, squashed: &sq)
        var g = [Float](repeating: 0, count: batch * 2 * n)
        head.backward(netOutput: net, noise: noise, squashed: sq, batch: batch,
                      actionGradient: ca, logProbGradient: cl, into: &g)
        for k in net.indices {
            let numeric = centralDifference(&net, k, h: 1e-2, loss)
            #expect(close(Double(g[k]), numeric, rel: 1e-2, abs: 2e-3), "slot \(k): \(g[k]) vs \(numeric)")
        }
        #expect(g[2] == 0)
    }

    @Test("squashed Gaussian log π matches the change-of-variables density")
    func squashedDensity() {
        // For one action: log π(a) = log N(u; μ, σ) − log(limit·(1 − tanh²u)) + log(limit);
        // Spinning Up's convention omits the constant log(limit), and so do we.
        let head = SquashedGaussianHead(actionLimit: [1])
        let out: [Float] = [0.3, -0.7], eps: [Float] = [0.4]
        var a: [Float] = [0], lp: [Float] = [0], sq: [Float] = [0]
        head.sample(netOutput: out, noise: eps, batch: 1, actions: &a, logProb: &lp, squashed: &sq)
        let sigma = exp(-0.7), u = 0.3 + sigma * 0.4
        let expected = -0.5 * 0.16 - (-0.7) - 0.5 * log(2 * Double.pi) - log(1 - tanh(u) * tanh(u))
        #expect(abs(Double(lp[0]) - expected) < 1e-5)
        #expect(abs(Double(a[0]) - tanh(u)) < 1e-6)
    }

    @Test("diagonal Gaussian: log π, KL and their gradients")
    func diagonalGaussian() {
        var rng = Xoshiro256(seed: 2)
        let batch = 4, n = 3
        var head = DiagonalGaussianHead(actionCount: n, initialLogStd: -0.5)
        head.logStd = [-0.5, 0.2, -1.0]
        let mean = randomFloats(batch * n, &rng), actions = randomFloats(batch * n, &rng, scale: 2)
        let oldMean = randomFloats(batch * n, &rng), oldLogStd: [Float] = [-0.3, 0.1, -0.8]
        let c = randomFloats(batch, &rng)

        // log π: exact value for one entry, then gradients.
        var lp = [Float](repeating: 0, count: batch)
        head.logProb(mean: mean, actions: actions, batch: batch, into: &lp)
        var expected0 = 0.0
        for j in 0..<n {
            let s = exp(Double(head.logStd[j])), z = Double(actions[j] - mean[j]) / s
            expected0 += -0.5 * z * z - log(s) - 0.5 * log(2 * Double.pi)
        }
        #expect(abs(Double(lp[0]) - expected0) < 1e-5)

        var gMean = [Float](repeating: 0, count: batch * n), gLogStd = [Float](repeating: 0, count: n)
        head.logProbBackward(mean: mean, actions: actions, batch: batch, logProbGradient: c,
                             meanGradient: &gMean, logStdGradient: &gLogStd)
        var m = mean
        let lossOfMean: ([Float]) -> Double = { mm in
            var out = [Float](repeating: 0, count: batch)
            head.logProb(mean: mm, actions: actions, batch: batch, into: &out)
            return zip(out, c).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        for k in m.indices {
            #expect(close(Double(gMean[k]), centralDifference(&m, k, h: 1e-2, lossOfMean), rel: 1e-2, abs: 1e-3))
        }
        var ls = head.logStd
        let lossOfLogStd: ([Float]) -> Double = { l in
            var h2 = head; h2.logStd = l
            var out = [Float](repeating: 0, count: batch)
            h2.logProb(mean: mean, actions: actions, batch: batch, into: &out)
            return zip(out, c).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        for j in 0..<n {
            #expect(close(Double(gLogStd[j]), centralDifference(&ls, j, h: 1e-2, lossOfLogStd), rel: 1e-2, abs: 1e-3))
        }

        // KL(old ‖ new) ≥ 0, zero against itself, and its gradients.
        var kl = [Float](repeating: 0, count: batch)
        head.kl(oldMean: mean, oldLogStd: head.logStd, mean: mean, batch: batch, into: &kl)
        #expect(kl.allSatisfy { abs($0) < 1e-6 })
        head.kl(oldMean: oldMean, oldLogStd: oldLogStd, mean: mean, batch: batch, into: &kl)
        #expect(kl.allSatisfy { $0 > 0 })
        var gKM = [Float](repeating: 0, count: batch * n), gKL = [Float](repeating: 0, count: n)
        head.klBackward(oldMean: oldMean, oldLogStd: oldLogStd, mean: mean, batch: batch, scale: 1,
                        meanGradient: &gKM, logStdGradient: &gKL)
        let klOfMean: ([Float]) -> Double = { mm in
            var out = [Float](repeating: 0, count: batch)
            head.kl(oldMean: oldMean, oldLogStd: oldLogStd, mean: mm, batch: batch, into: &out)
            return out.reduce(0) { $0 + Double($1) }
        }
        for k in m.indices {
            #expect(close(Double(gKM[k]), centralDifference(&m, k, h: 1e-2, klOfMean), rel: 1e-2, abs: 1e-3))
        }
        let klOfLogStd: ([Float]) -> Double = { l in
            var h2 = head; h2.logStd = l
            var out = [Float](repeating: 0, count: batch)
            h2.kl(oldMean: oldMean, oldLogStd: oldLogStd, mean: mean, batch: batch, into: &out)
            return out.reduce(0) { $0 + Double($1) }
        }
        for j in 0..<n {
            #expect(close(Double(gKL[j]), centralDifference(&ls, j, h: 1e-2, klOfLogStd), rel: 1e-2, abs: 1e-3))
        }
        // Entropy of N(μ, σ²) per dimension: log σ + (1 + log 2π)/2.
        let hExpected = head.logStd.reduce(0.0) { $0 + Double($1) + 0.5 * (1 + log(2 * Double.pi)) }
        #expect(abs(Double(head.entropy) - hExpected) < 1e-5)
    }

    @Test("categorical: log π, entropy, KL and their gradients")
    func categorical() {
        var rng = Xoshiro256(seed: 3)
        let batch = 4, n = 3
        let head = CategoricalHead(actionCount: n)
        var logits = randomFloats(batch * n, &rng, scale: 2)
        let oldLogits = randomFloats(batch * n, &rng, scale: 2)
        let actions: [Float] = [0, 2, 1, 2]
        let c = randomFloats(batch, &rng)
        func logSoftmax(_ l: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: l.count)
            head.logSoftmax(logits: l, batch: batch, into: &out)
            return out
        }
        let lp = logSoftmax(logits), oldLp = logSoftmax(oldLogits)
        for r in 0..<batch {
            let total = (0..<n).reduce(0.0) { $0 + exp(Double(lp[r * n + $1])) }
            #expect(abs(total - 1) < 1e-6)
        }
        // log π(a)
        var g = [Float](repeating: 0, count: batch * n)
        head.logProbBackward(logProbs: lp, actions: actions, batch: batch, logProbGradient: c, into: &g)
        let lossLogProb: ([Float]) -> Double = { l in
            let s = logSoftmax(l)
            return (0..<batch).reduce(0.0) { $0 + Double(c[$1] * s[$1 * n + Int(actions[$1])]) }
        }
        for k in logits.indices {
            #expect(close(Double(g[k]), centralDifference(&logits, k, h: 1e-2, lossLogProb), rel: 1e-2, abs: 1e-3))
        }
        // entropy
        var gH = [Float](repeating: 0, count: batch * n)
        head.entropyBackward(logProbs: lp, batch: batch, entropyGradient: c, into: &gH)
        let lossEntropy: ([Float]) -> Double = { l in
            var h = [Float](repeating: 0, count: batch)
            head.entropy(logProbs: logSoftmax(l), batch: batch, into: &h)
            return zip(h, c).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        for k in logits.indices {
            #expect(close(Double(gH[k]), centralDifference(&logits, k, h: 1e-2, lossEntropy), rel: 1e-2, abs: 1e-3))
        }
        // KL
        var gK = [Float](repeating: 0, count: batch * n)
        head.klBackward(oldLogProbs: oldLp, logProbs: lp, batch: batch, scale: 1, into: &gK)
        let lossKL: ([Float]) -> Double = { l in
            var k = [Float](repeating: 0, count: batch)
            head.kl(oldLogProbs: oldLp, logProbs: logSoftmax(l), batch: batch, into: &k)
            return k.reduce(0) { $0 + Double($1) }
        }
        for k in logits.indices {
            #expect(close(Double(gK[k]), centralDifference(&logits, k, h: 1e-2, lossKL), rel: 1e-2, abs: 1e-3))
        }
    }

    @Test("categorical sampling follows the probabilities")
    func categoricalSampling() {
        let head = CategoricalHead(actionCount: 3)
        var lp = [Float](repeating: 0, count: 3)
        head.logSoftmax(logits: [0, log(2), log(7)], batch: 1, into: &lp)  // p = 0.1, 0.2, 0.7
        var rng = Xoshiro256(seed: 9)
        var counts = [0, 0, 0]
        for _ in 0..<100_000 { counts[head.sample(logProbs: lp, rng: &rng)] += 1 }
        #expect(abs(Double(counts[0]) / 1e5 - 0.1) < 0.005)
        #expect(abs(Double(counts[2]) / 1e5 - 0.7) < 0.005)
    }

    @Test("tanh-deterministic head scales by the action limit both ways")
    func tanhDeterministic() {
        let head = TanhDeterministicHead(actionLimit: [2, 0.5])
        var a = [Float](repeating: 0, count: 4), g = a
        head.actions(netOutput: [0.5, -1, 0.1, 1], batch: 2, into: &a)
        #expect(a == [1, -0.5, 0.2, 0.5])
        head.backward(actionGradient: [1, 1, 2, 2], batch: 2, into: &g)
        #expect(g == [2, 0.5, 4, 1])
    }
}
