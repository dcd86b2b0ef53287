#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Policy heads turn a network's output rows into actions, log-probabilities,
// entropies and KL divergences, and send gradients back to those rows. They
// work on batches of row-major buffers, like the networks, and allocate nothing.

let halfLogTwoPi: Float = 0.5 * logf(2 * Float.pi)

// MARK: - Deterministic tanh (DDPG, TD3)

/// a = limit · tanh(net(o)): build the actor with `outputActivation: .tanh`
/// and scale with this head. The gradient back to the network output is
/// dL/dy = limit · dL/da (tanh's derivative is applied by the MLP itself).
public struct TanhDeterministicHead: Sendable, Equatable {
    public let actionLimit: [Float]
    public init(actionLimit: [Float]) { self.actionLimit = actionLimit }
    public var actionCount: Int { actionLimit.count }

    /// actions[r, j] = limit[j] · netOutput[r, j].
    public func actions(netOutput: UnsafePointer<Float>, batch: Int, into actions: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch { for j in 0..<n { actions[r * n + j] = actionLimit[j] * netOutput[r * n + j] } }
    }

    /// dL/dnetOutput from dL/dactions.
    public func backward(actionGradient: UnsafePointer<Float>, batch: Int, into netGradient: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch { for j in 0..<n { netGradient[r * n + j] = actionLimit[j] * actionGradient[r * n + j] } }
    }
}

// MARK: - Squashed Gaussian (SAC)

/// SAC's policy (Haarnoja et al. 2018, Appendix C): the network outputs, per
/// row, μ (A values) then a raw log σ (A values), as Spinning Up's separate
/// `mu_layer` and `log_std_layer` heads on a shared trunk. Then
///
///     log σ = clamp(raw, −20, 2),  u = μ + σ·ε,  a = limit · tanh(u)
///     log π(a) = Σ_j [−ε_j²/2 − log σ_j − log(2π)/2] − Σ_j 2(log 2 − u_j − softplus(−2u_j))
///
/// The last sum is log(1 − tanh²u) written stably (Spinning Up's form).
/// The reparameterised derivatives (total, through u):
/// ∂log π/∂μ = 2 tanh u,  ∂log π/∂log σ = −1 + 2 tanh(u)·σε,  ∂a/∂u = limit·(1 − tanh²u);
/// clamping passes no gradient outside [−20, 2], as `torch.clamp`.
public struct SquashedGaussianHead: Sendable, Equatable {
    public let actionLimit: [Float]
    public var logStdMin: Float = -20
    public var logStdMax: Float = 2
    public init(actionLimit: [Float]) { self.actionLimit = actionLimit }
    public var actionCount: Int { actionLimit.count }
    /// Network outputs per row: μ and raw log σ.
    public var netOutputCount: Int { 2 * actionCount }

    /// Samples actions with the given standard-normal `noise` (batch × A) and
    /// writes actions (batch × A) and log π (batch). `squashed` (batch × A)
    /// keeps tanh(u) for `backward`. Pass `noise: nil` for the deterministic
    /// action limit·tanh(μ) (log π is then that of ε = 0).
    public func sample(netOutput: UnsafePointer<Float>, noise: UnsafePointer<Float>?, batch: Int,
                       actions: UnsafeMutablePointer<Float>, logProb: UnsafeMutablePointer<Float>,
                       squashed: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch {
            let row = netOutput + r * 2 * n
            var lp: Float = 0
            for j in 0..<n {
                let logStd = min(max(row[n + j], logStdMin), logStdMax)
                let eps = noise?[r * n + j] ?? 0
                let u = row[j] + expf(logStd) * eps
                let t = tanhf(u)
                squashed[r * n + j] = t
                actions[r * n + j] = actionLimit[j] * t
                lp += -0.5 * eps * eps - logStd - halfLogTwoPi
                lp -= 2 * (logf(2) - u - softplus(-2 * u))
            }
            logProb[r] = lp
        }
    }

    /// dL/dnetOutput (batch × 2A) from dL/dactions (batch × A, or nil) and
    /// dL/dlog π (batch, or nil), for the rows and noise of the last `sample`.
    public func backward(netOutput: UnsafePointer<Float>, noise: UnsafePointer<Float>?, squashed: UnsafePointer<Float>,
                         batch: Int, actionGradient: UnsafePointer<Float>?, logProbGradient: UnsafePointer<Float>?,
                         into netGradient: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch {
            let row = netOutput + r * 2 * n
            let gRow = netGradient + r * 2 * n
            let gLogProb = logProbGradient?[r] ?? 0
            for j in 0..<n {
                let raw = row[n + j]
                let logStd = min(max(raw, logStdMin), logStdMax)
                let sigmaEps = expf(logStd) * (noise?[r * n + j] ?? 0)
                let t = squashed[r * n + j]
                let gU = (actionGradient?[r * n + j] ?? 0) * actionLimit[j] * (1 - t * t) + gLogProb * 2 * t
                gRow[j] = gU
                let inRange = raw >= logStdMin && raw <= logStdMax
                gRow[n + j] = inRange ? gU * sigmaEps - gLogProb : 0
            }
        }
    }
}

@inline(__always) func softplus(_ x: Float) -> Float {
    // log(1 + eˣ) without overflow for large x.
    x > 20 ? x : log1pf(expf(x))
}

// MARK: - Diagonal Gaussian with state-independent log σ (PPO, TRPO)

/// N(μ(o), diag σ²) with μ from the network and log σ a free parameter vector
/// (Spinning Up initialises it to −0.5, Baselines to 0).
///
///     log π(a) = Σ_j [−(a_j − μ_j)²/(2σ_j²) − log σ_j − log(2π)/2]
///     H = Σ_j [log σ_j + (1 + log 2π)/2]
///     KL(old ‖ new) = Σ_j [log σn − log σo + (σo² + (μo − μn)²)/(2σn²) − 1/2]
public struct DiagonalGaussianHead: Sendable, Equatable, Codable {
    public var logStd: [Float]
    public init(actionCount: Int, initialLogStd: Float) {
        logStd = [Float](repeating: initialLogStd, count: actionCount)
    }
    public var actionCount: Int { logStd.count }

    /// a = μ + σ·ε for one row.
    public func sample(mean: UnsafePointer<Float>, noise: UnsafePointer<Float>, into action: UnsafeMutablePointer<Float>) {
        for j in 0..<actionCount { action[j] = mean[j] + expf(logStd[j]) * noise[j] }
    }

    /// log π(a) per row.
    public func logProb(mean: UnsafePointer<Float>, actions: UnsafePointer<Float>, batch: Int,
                        into out: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch {
            var lp: Float = 0
            for j in 0..<n {
                let z = (actions[r * n + j] - mean[r * n + j]) * expf(-logStd[j])
                lp += -0.5 * z * z - logStd[j] - halfLogTwoPi
            }
            out[r] = lp
        }
    }

    /// Adds dL/dμ into `meanGradient` (batch × A, overwritten) and dL/dlog σ
    /// into `logStdGradient` (accumulated), given dL/dlog π per row:
    /// ∂log π/∂μ_j = (a_j − μ_j)/σ_j², ∂log π/∂log σ_j = ((a_j − μ_j)/σ_j)² − 1.
    public func logProbBackward(mean: UnsafePointer<Float>, actions: UnsafePointer<Float>, batch: Int,
                                logProbGradient: UnsafePointer<Float>,
                                meanGradient: UnsafeMutablePointer<Float>, logStdGradient: inout [Float]) {
        let n = actionCount
        for r in 0..<batch {
            let g = logProbGradient[r]
            for j in 0..<n {
                let invVar = expf(-2 * logStd[j])
                let diff = actions[r * n + j] - mean[r * n + j]
                meanGradient[r * n + j] = g * diff * invVar
                logStdGradient[j] += g * (diff * diff * invVar - 1)
            }
        }
    }

    /// Entropy of one row (the same for every row: σ does not depend on o).
    public var entropy: Float {
        var h: Float = 0
        for ls in logStd { h += ls + 0.5 + halfLogTwoPi }
        return h
    }

    /// KL(old ‖ self) per row, where old has means `oldMean` and log σ `oldLogStd`.
    public func kl(oldMean: UnsafePointer<Float>, oldLogStd: [Float], mean: UnsafePointer<Float>, batch: Int,
                   into out: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch {
            var kl: Float = 0
            for j in 0..<n {
                let d = oldMean[r * n + j] - mean[r * n + j]
                let oldVar = expf(2 * oldLogStd[j]), newVar = expf(2 * logStd[j])
                kl += logStd[j] - oldLogStd[j] + (oldVar + d * d) / (2 * newVar) - 0.5
            }
            out[r] = kl
        }
    }

    /// dKL/dμ (overwritten) and dKL/dlog σ (accumulated), scaled by `scale` per row:
    /// ∂KL/∂μn = (μn − μo)/σn², ∂KL/∂log σn = 1 − (σo² + (μo − μn)²)/σn².
    public func klBackward(oldMean: UnsafePointer<Float>, oldLogStd: [Float], mean: UnsafePointer<Float>, batch: Int,
                           scale: Float, meanGradient: UnsafeMutablePointer<Float>, logStdGradient: inout [Float]) {
        let n = actionCount
        for r in 0..<batch {
            for j in 0..<n {
                let d = mean[r * n + j] - oldMean[r * n + j]
                let invNewVar = expf(-2 * logStd[j])
                meanGradient[r * n + j] = scale * d * invNewVar
                logStdGradient[j] += scale * (1 - (expf(2 * oldLogStd[j]) + d * d) * invNewVar)
            }
        }
    }

    /// The Fisher information in (μ, log σ) coordinates is diagonal:
    /// 1/σ² for each mean, 2 for each log σ. TRPO multiplies tangents by it.
    public func fisherDiagonal(_ j: Int) -> (mean: Float, logStd: Float) {
        (expf(-2 * logStd[j]), 2)
    }
}

// MARK: - Categorical (discrete actions: Acrobot)

/// π(a | o) = softmax(logits)_a over n actions.
///
///     log π(a) = ℓ_a − logsumexp(ℓ),  ∂/∂ℓ_k = [k = a] − p_k
///     H = −Σ p log p,                   ∂H/∂ℓ_k = −p_k (log p_k + H)
///     KL(old ‖ new) = Σ p_o (log p_o − log p_n),  ∂/∂ℓn_k = p_n,k − p_o,k
public struct CategoricalHead: Sendable, Equatable {
    public let actionCount: Int
    public init(actionCount: Int) { self.actionCount = actionCount }

    /// Log-probabilities of every action for each row (batch × n).
    public func logSoftmax(logits: UnsafePointer<Float>, batch: Int, into out: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch {
            let row = logits + r * n
            var mx = row[0]
            for k in 1..<max(n, 1) { mx = max(mx, row[k]) }
            var sum: Float = 0
            for k in 0..<n { sum += expf(row[k] - mx) }
            let lse = mx + logf(sum)
            for k in 0..<n { out[r * n + k] = row[k] - lse }
        }
    }

    /// Samples an action index from one row of log-probabilities.
    public func sample(logProbs: UnsafePointer<Float>, rng: inout Xoshiro256) -> Int {
        let u = Float(rng.uniform())
        var cumulative: Float = 0
        for k in 0..<actionCount {
            cumulative += expf(logProbs[k])
            if u < cumulative { return k }
        }
        return actionCount - 1
    }

    /// The most probable action of one row.
    public func mode(logits: UnsafePointer<Float>) -> Int {
        var best = 0
        for k in 1..<actionCount where logits[k] > logits[best] { best = k }
        return best
    }

    /// dL/dlogits (overwritten) given dL/dlog π(a_r) per row, with log-probs from `logSoftmax`.
    public func logProbBackward(logProbs: UnsafePointer<Float>, actions: UnsafePointer<Float>, batch: Int,
                                logProbGradient: UnsafePointer<Float>, into logitGradient: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch {
            let a = Int(actions[r])
            for k in 0..<n {
                logitGradient[r * n + k] = logProbGradient[r] * ((k == a ? 1 : 0) - expf(logProbs[r * n + k]))
            }
        }
    }

    /// Entropy per row.
    public func entropy(logProbs: UnsafePointer<Float>, batch: Int, into out: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch {
            var h: Float = 0
            for k in 0..<n { let lp = logProbs[r * n + k]; h -= expf(lp) * lp }
            out[r] = h
        }
    }

    /// Adds dL/dlogits given dL/dH per row (accumulates into `logitGradient`).
    public func entropyBackward(logProbs: UnsafePointer<Float>, batch: Int, entropyGradient: UnsafePointer<Float>,
                                into logitGradient: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch {
            var h: Float = 0
            for k in 0..<n { let lp = logProbs[r * n + k]; h -= expf(lp) * lp }
            for k in 0..<n {
                let lp = logProbs[r * n + k]
                logitGradient[r * n + k] += entropyGradient[r] * (-expf(lp) * (lp + h))
            }
        }
    }

    /// KL(old ‖ new) per row from both rows of log-probabilities.
    public func kl(oldLogProbs: UnsafePointer<Float>, logProbs: UnsafePointer<Float>, batch: Int,
                   into out: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch {
            var kl: Float = 0
            for k in 0..<n {
                let lo = oldLogProbs[r * n + k]
                kl += expf(lo) * (lo - logProbs[r * n + k])
            }
            out[r] = kl
        }
    }

    /// dKL/dlogits (overwritten), scaled by `scale`.
    public func klBackward(oldLogProbs: UnsafePointer<Float>, logProbs: UnsafePointer<Float>, batch: Int,
                           scale: Float, into logitGradient: UnsafeMutablePointer<Float>) {
        let n = actionCount
        for r in 0..<batch {
            for k in 0..<n {
                logitGradient[r * n + k] = scale * (expf(logProbs[r * n + k]) - expf(oldLogProbs[r * n + k]))
            }
        }
    }
}
