#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam (Kingma & Ba 2015) with PyTorch's `torch.optim.Adam` semantics
/// (no weight decay, no AMSGrad):
///
///     m ← β1·m + (1 − β1)·g
///     v ← β2·v + (1 − β2)·g²
///     θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
///
/// ε is added after the bias correction of √v, as PyTorch does (not to v̂ as
/// in the paper's listing). The bias corrections are computed in Double, the
/// elementwise update in Float32, like PyTorch on Float32 tensors.
public struct Adam: Sendable, Codable, Equatable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// First and second moment estimates, one per parameter.
    public var m: [Float]
    public var v: [Float]
    /// Number of updates taken (t in the formula).
    public var step: Int

    public init(parameterCount: Int, learningRate: Float = 1e-3,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        m = [Float](repeating: 0, count: parameterCount)
        v = [Float](repeating: 0, count: parameterCount)
        step = 0
    }

    /// One update of `parameters` from `gradients` (same length as the moments).
    public mutating func update(_ parameters: inout [Float], gradients: [Float]) {
        precondition(parameters.count == m.count && gradients.count == m.count, "Adam: size mismatch")
        step += 1
        let biasCorrection1 = 1 - pow(Double(beta1), Double(step))
        let biasCorrection2Sqrt = (1 - pow(Double(beta2), Double(step))).squareRoot()
        let stepSize = Float(Double(learningRate) / biasCorrection1)
        let invCorrection2 = Float(1 / biasCorrection2Sqrt)
        let b1 = beta1, b2 = beta2, eps = epsilon
        let oneMinusB1 = 1 - b1, oneMinusB2 = 1 - b2
        let n = m.count
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        // Four lanes at a time with SSE, which every x86-64 CPU has:
                        // the scalar loop does not vectorise (its square root keeps
                        // a libm errno branch), nor does Swift's generic SIMD square
                        // root, and at [256, 256] Adam took an eighth of a training
                        // step. Each lane runs the scalar formula's operations in its
                        // order (IEEE mul, add, div and sqrt round alike in lanes), so
                        // the bits are the same.
                        var i = 0
                        #if arch(x86_64)
                        let vb1 = _mm_set1_ps(b1), vb2 = _mm_set1_ps(b2)
                        let v1b1 = _mm_set1_ps(oneMinusB1), v1b2 = _mm_set1_ps(oneMinusB2)
                        let vStep = _mm_set1_ps(stepSize), vInv = _mm_set1_ps(invCorrection2), vEps = _mm_set1_ps(eps)
                        let pp = p.baseAddress!, mp = m.baseAddress!, vp = v.baseAddress!, gp = g.baseAddress!
                        while i + 4 <= n {
                            let gi = _mm_loadu_ps(gp + i)
                            let mi = _mm_add_ps(_mm_mul_ps(vb1, _mm_loadu_ps(mp + i)), _mm_mul_ps(v1b1, gi))
                            let vi = _mm_add_ps(_mm_mul_ps(vb2, _mm_loadu_ps(vp + i)), _mm_mul_ps(_mm_mul_ps(v1b2, gi), gi))
                            _mm_storeu_ps(mp + i, mi)
                            _mm_storeu_ps(vp + i, vi)
                            let denominator = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(vi), vInv), vEps)
                            _mm_storeu_ps(pp + i, _mm_sub_ps(_mm_loadu_ps(pp + i), _mm_div_ps(_mm_mul_ps(vStep, mi), denominator)))
                            i += 4
                        }
                        #endif
                        while i < n {
                            let gi = g[i]
                            let mi = b1 * m[i] + oneMinusB1 * gi
                            let vi = b2 * v[i] + oneMinusB2 * gi * gi
                            m[i] = mi; v[i] = vi
                            p[i] -= stepSize * mi / (vi.squareRoot() * invCorrection2 + eps)
                            i += 1
                        }
                    }
                }
            }
        }
    }

    /// Convenience: update a network from its own gradients.
    public mutating func update(_ network: inout MLP) {
        update(&network.parameters, gradients: network.gradients)
    }
}

/// Gradient clipping by global norm, as `torch.nn.utils.clip_grad_norm_`:
/// if ‖g‖ > maxNorm, g ← g · maxNorm / (‖g‖ + 1e-6). Clips the gradients of
/// several networks as one vector; returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: inout [[Float]], maxNorm: Float) -> Float {
    var sumSquares: Double = 0
    for g in gradients { for x in g { sumSquares += Double(x) * Double(x) } }
    let norm = Float(sumSquares.squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for k in gradients.indices {
            gradients[k].withUnsafeMutableBufferPointer { g in
                for i in g.indices { g[i] *= coefficient }
            }
        }
    }
    return norm
}

/// Clips one network's gradients by their global norm; returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ network: inout MLP, maxNorm: Float) -> Float {
    var grads = [network.gradients]
    network.gradients = []          // hand over the buffer so clipping doesn't copy it
    let norm = clipGradientNorm(&grads, maxNorm: maxNorm)
    network.gradients = grads[0]
    return norm
}

/// Polyak averaging of target networks (DDPG, TD3, SAC):
/// θ_target ← ρ·θ_target + (1 − ρ)·θ, with ρ = `polyak` (Spinning Up's name; 1 − τ).
public func polyakUpdate(target: inout MLP, source: MLP, polyak: Float) {
    precondition(target.widths == source.widths, "Polyak update between different shapes")
    let oneMinus = 1 - polyak
    source.parameters.withUnsafeBufferPointer { s in
        target.parameters.withUnsafeMutableBufferPointer { t in
            for i in t.indices { t[i] = polyak * t[i] + oneMinus * s[i] }
        }
    }
}
