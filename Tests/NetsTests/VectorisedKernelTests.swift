import Testing
import Foundation
@testable import Nets

// The plain-loop products and Adam run in SIMD lanes for speed; every lane must
// perform the scalar formula's operations in its order, because the bits of
// every result (and the golden test's hash) depend on that order. These tests
// hold the vectorised code to the scalar loops it replaced, bit for bit.

/// The scalar plain-loop product as it was before vectorisation (row form for a
/// plain B with n ≥ 8, else a dot product per element, summed from zero in p order).
func scalarPlainGemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
                     _ a: [Float], lda: Int, _ b: [Float], ldb: Int, beta: Float, _ c: inout [Float], ldc: Int) {
    let (aRow, aCol) = transA == .none ? (lda, 1) : (1, lda)
    let (bRow, bCol) = transB == .none ? (ldb, 1) : (1, ldb)
    for i in 0..<m {
        if beta == 0 { for j in 0..<n { c[i * ldc + j] = 0 } } else if beta != 1 { for j in 0..<n { c[i * ldc + j] *= beta } }
        if bCol == 1 && n >= 8 {
            for p in 0..<k {
                let s = alpha * a[i * aRow + p * aCol]
                for j in 0..<n { c[i * ldc + j] += s * b[p * bRow + j] }
            }
        } else {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k { sum += a[i * aRow + p * aCol] * b[p * bRow + j * bCol] }
                c[i * ldc + j] += alpha * sum
            }
        }
    }
}

@Suite("Vectorised kernels keep the scalar loops' bits")
struct VectorisedKernelTests {
    @Test("plain-loop products equal the scalar loop bit for bit, for every transpose, width and beta",
          arguments: [Transpose.none, .transposed])
    func plainGemmBits(transB: Transpose) {
        var rng = Xoshiro256(seed: 77)
        for transA in [Transpose.none, .transposed] {
            for (m, n, k) in [(256, 4, 4), (256, 1, 4), (4, 4, 256), (256, 3, 5), (7, 13, 9), (1, 16, 3), (33, 8, 12), (16, 5, 1), (2, 12, 7)] {
                for (alpha, beta) in [(Float(1), Float(0)), (1, 1), (0.5, 0.25), (-1, 1)] {
                    let lda = transA == .none ? k : m, ldb = transB == .none ? n : k
                    let a = (0..<(m * k)).map { _ in rng.uniformFloat(-2, 2) }
                    let b = (0..<(k * n)).map { _ in rng.uniformFloat(-2, 2) }
                    let c0 = (0..<(m * n)).map { _ in rng.uniformFloat(-1, 1) }
                    var expected = c0, got = c0
                    scalarPlainGemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb, beta: beta, &expected, ldc: n)
                    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in got.withUnsafeMutableBufferPointer { cp in
                        plainGemm(transA, transB, m: m, n: n, k: k, alpha: alpha, ap.baseAddress!, lda: lda, bp.baseAddress!, ldb: ldb,
                                  beta: beta, cp.baseAddress!, ldc: n)
                    } } }
                    #expect(got.map(\.bitPattern) == expected.map(\.bitPattern),
                            "m \(m) n \(n) k \(k) transA \(transA) alpha \(alpha) beta \(beta)")
                }
            }
        }
    }

    @Test("Adam's four-lane (SSE) update equals the scalar formula bit for bit, tail included")
    func adamBits() {
        var rng = Xoshiro256(seed: 5)
        let n = 1003   // 250 vectors of 4 and a tail of 3
        var parameters = (0..<n).map { _ in rng.uniformFloat(-1, 1) }
        var reference = parameters
        var adam = Adam(parameterCount: n, learningRate: 3e-4)
        var m = [Float](repeating: 0, count: n), v = m
        for step in 1...20 {
            let g = (0..<n).map { i in i % 97 == 0 ? 0 : rng.uniformFloat(-3, 3) * (i % 2 == 0 ? 1e-4 : 1) }
            adam.update(&parameters, gradients: g)
            // The scalar formula, as Adam.update wrote it before its lanes.
            let c1 = 1 - pow(Double(Float(0.9)), Double(step)), c2 = (1 - pow(Double(Float(0.999)), Double(step))).squareRoot()
            let stepSize = Float(Double(Float(3e-4)) / c1), inv = Float(1 / c2)
            for i in 0..<n {
                let mi = Float(0.9) * m[i] + (1 - Float(0.9)) * g[i]
                let vi = Float(0.999) * v[i] + (1 - Float(0.999)) * g[i] * g[i]
                m[i] = mi; v[i] = vi
                reference[i] -= stepSize * mi / (vi.squareRoot() * inv + Float(1e-8))
            }
            #expect(parameters.map(\.bitPattern) == reference.map(\.bitPattern), "step \(step)")
            #expect(adam.m.map(\.bitPattern) == m.map(\.bitPattern) && adam.v.map(\.bitPattern) == v.map(\.bitPattern))
        }
    }
}
