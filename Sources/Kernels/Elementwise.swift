#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

// The elementwise passes of a training step (activations, their derivatives,
// Adam, Polyak averaging) in 256-bit lanes. Each lane performs the scalar
// formula's operations in its order, so the bits are the scalar loop's
// (`VectorisedKernelTests` holds them to it).

// MARK: - Activations

/// y[r, :] ← max(y[r, :] + b, 0) for every row (a ReLU layer's bias and activation in one pass).
public func addBiasAndReLU(_ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, columns: Int) {
    for r in 0..<rows {
        let row = y + r * columns
        for j in 0..<columns { row[j] = max(row[j] + bias[j], 0) }
    }
}

/// y[r, :] ← y[r, :] + b for every row (a linear layer's bias).
public func addBias(_ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, columns: Int) {
    for r in 0..<rows {
        let row = y + r * columns
        for j in 0..<columns { row[j] += bias[j] }
    }
}

/// δ[i] ← y[i] > 0 ? δ[i] : 0 (ReLU′ through the layer's output), eight lanes at
/// a time. Written as a SIMD select because the scalar form compiles to a
/// data-dependent branch that mispredicts about half the time.
public func reluMask(_ delta: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        let out = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
        let d = UnsafeRawPointer(delta + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(delta + i).storeBytes(of: d.replacing(with: 0, where: .!(out .> 0)), as: SIMD8<Float>.self)
        i += 8
    }
    while i < count {
        delta[i] = y[i] > 0 ? delta[i] : 0
        i += 1
    }
}

/// δ ← δ ⊙ ReLU′ and biasGradient += Σ_rows δ, for a batch of rows × columns.
/// Wide rows take both in one pass row by row; narrow ones mask the whole batch
/// at once first (their rows are too short for lanes). Either way each
/// biasGradient[j] adds the rows in order, so the bits do not depend on the path.
public func reluMaskAndSumRows(_ delta: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>,
                               rows: Int, columns: Int, biasGradient gb: UnsafeMutablePointer<Float>) {
    if columns >= 32 {
        for r in 0..<rows {
            let d = delta + r * columns
            reluMask(d, output: y + r * columns, count: columns)
            for j in 0..<columns { gb[j] += d[j] }
        }
        return
    }
    reluMask(delta, output: y, count: rows * columns)
    sumRows(delta, rows: rows, columns: columns, into: gb)
}

/// biasGradient += Σ_rows δ (rows in order).
public func sumRows(_ delta: UnsafePointer<Float>, rows: Int, columns: Int, into gb: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let d = delta + r * columns
        for j in 0..<columns { gb[j] += d[j] }
    }
}

// MARK: - Optimisers

/// Adam's elementwise step (the formula and its PyTorch semantics are in
/// Nets/Optim.swift), eight lanes at a time: m ← β1·m + (1 − β1)·g,
/// v ← β2·v + (1 − β2)·g·g, θ ← θ − stepSize·m / (√v·invCorrection2 + ε).
/// Swift's scalar square root keeps a libm errno branch and its generic SIMD
/// one goes lane by lane, so the lanes use the AVX square root, which rounds
/// as IEEE requires, like every other operation here.
public func adamStep(parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                     m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count n: Int,
                     beta1 b1: Float, beta2 b2: Float, stepSize: Float, inverseCorrection2: Float, epsilon eps: Float) {
    let oneMinusB1 = 1 - b1, oneMinusB2 = 1 - b2
    var i = 0
    #if arch(x86_64)
    let vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2)
    let v1b1 = _mm256_set1_ps(oneMinusB1), v1b2 = _mm256_set1_ps(oneMinusB2)
    let vStep = _mm256_set1_ps(stepSize), vInv = _mm256_set1_ps(inverseCorrection2), vEps = _mm256_set1_ps(eps)
    while i + 8 <= n {
        let gi = _mm256_loadu_ps(g + i)
        let mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(v1b1, gi))
        let vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(v1b2, gi), gi))
        _mm256_storeu_ps(m + i, mi)
        _mm256_storeu_ps(v + i, vi)
        let denominator = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vi), vInv), vEps)
        _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), _mm256_div_ps(_mm256_mul_ps(vStep, mi), denominator)))
        i += 8
    }
    #endif
    while i < n {
        let gi = g[i]
        let mi = b1 * m[i] + oneMinusB1 * gi
        let vi = b2 * v[i] + oneMinusB2 * gi * gi
        m[i] = mi; v[i] = vi
        p[i] -= stepSize * mi / (vi.squareRoot() * inverseCorrection2 + eps)
        i += 1
    }
}

/// θ_target ← ρ·θ_target + (1 − ρ)·θ over `count` parameters.
public func polyakAverage(target t: UnsafeMutablePointer<Float>, source s: UnsafePointer<Float>, count: Int, polyak: Float) {
    let oneMinus = 1 - polyak
    for i in 0..<count { t[i] = polyak * t[i] + oneMinus * s[i] }
}
