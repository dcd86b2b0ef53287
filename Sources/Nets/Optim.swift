import Kernels
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
        let n = m.count
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        adamStep(parameters: p.baseAddress!, gradients: g.baseAddress!, m: m.baseAddress!, v: v.baseAddress!,
                                 count: n, beta1: beta1, beta2: beta2, stepSize: stepSize,
                                 inverseCorrection2: invCorrection2, epsilon: epsilon)
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
    source.parameters.withUnsafeBufferPointer { s in
        target.parameters.withUnsafeMutableBufferPointer { t in
            polyakAverage(target: t.baseAddress!, source: s.baseAddress!, count: t.count, polyak: polyak)
        }
    }
}
