import Testing
import Foundation
@testable import Nets
import Kernels

// Our own products, the activations' passes and Adam run in SIMD lanes for
// speed (Kernels, compiled for AVX2); every lane must perform the scalar
// formula's operations in its order, because the bits of every result (and the
// golden test's hash) depend on that order. These tests hold the vectorised
// code to scalar loops of the documented order, bit for bit.

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
          arguments: [false, true])
    func plainGemmBits(transposedB: Bool) {
        let transB: Transpose = transposedB ? .transposed : .none
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
                        plainProduct(transA, transB, m: m, n: n, k: k, alpha: alpha, ap.baseAddress!, lda: lda, bp.baseAddress!, ldb: ldb,
                                  beta: beta, cp.baseAddress!, ldc: n)
                    } } }
                    #expect(got.map(\.bitPattern) == expected.map(\.bitPattern),
                            "m \(m) n \(n) k \(k) transA \(transA) alpha \(alpha) beta \(beta)")
                }
            }
        }
    }

    @Test("Adam's eight-lane (AVX) update equals the scalar formula bit for bit, tail included")
    func adamBits() {
        var rng = Xoshiro256(seed: 5)
        let n = 1003   // 125 vectors of 8 and a tail of 3
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

    /// The dot form spelled out: C[i, j] = before + α·Σ_p op(A)[i, p]·op(B)[p, j], summed from zero in p order.
    static func scalarDotForm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
                              _ a: [Float], lda: Int, _ b: [Float], ldb: Int, beta: Float, _ c: inout [Float], ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    let x = transA == .none ? a[i * lda + p] : a[p * lda + i]
                    let y = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                    sum += x * y
                }
                let before: Float = beta == 0 ? 0 : (beta == 1 ? c[i * ldc + j] : c[i * ldc + j] * beta)
                c[i * ldc + j] = before + alpha * sum
            }
        }
    }

    /// One output column summed in eight interleaved partial sums, combined as
    /// ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)), then the tail in order.
    static func scalarLaneSplit(m: Int, k: Int, alpha: Float, _ a: [Float], lda: Int, _ b: [Float], beta: Float,
                                _ c: inout [Float]) {
        let body = k / 8 * 8
        for i in 0..<m {
            var s = [Float](repeating: 0, count: 8)
            for p in 0..<body { s[p % 8] += a[i * lda + p] * b[p] }
            var sum = ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
            for p in body..<k { sum += a[i * lda + p] * b[p] }
            let before: Float = beta == 0 ? 0 : (beta == 1 ? c[i] : beta * c[i])
            c[i] = before + alpha * sum
        }
    }

    @Test("thin products (a first layer, a one-unit output layer, their gradients) equal their scalar order bit for bit")
    func thinProductBits() {
        var rng = Xoshiro256(seed: 91)
        // (transA, transB, m, n, k): which of a layer's products each shape is, at
        // batch 256 and 256 units, then odd sizes that exercise every tail.
        let shapes: [(Transpose, Transpose, Int, Int, Int)] = [
            (.none, .none, 256, 256, 4),           // forward, first layer (dot form)
            (.transposed, .none, 4, 256, 256),     // dW, first layer (dot form)
            (.none, .transposed, 256, 256, 1),     // dX, one-unit output layer (dot form, k = 1)
            (.transposed, .none, 256, 1, 256),     // dW, one-unit output layer (dot form across i)
            (.none, .none, 256, 1, 256),           // forward, one-unit output layer (lane split)
            (.none, .none, 203, 45, 7), (.transposed, .none, 3, 77, 301), (.none, .none, 131, 1, 61),
            (.transposed, .none, 133, 1, 70), (.none, .transposed, 99, 40, 1), (.none, .none, 70, 23, 8),
        ]
        for (transA, transB, m, n, k) in shapes {
            for (alpha, beta) in [(Float(1), Float(0)), (1, 1), (0.5, 0.25), (-1, 1)] {
                let lda = transA == .none ? k : m, ldb = transB == .none ? n : k
                let a = (0..<(m * k)).map { _ in rng.uniformFloat(-2, 2) }
                let b = (0..<(k * n)).map { _ in rng.uniformFloat(-2, 2) }
                let c0 = (0..<(m * n)).map { _ in rng.uniformFloat(-1, 1) }
                var expected = c0, got = c0
                if n == 1 && transA == .none {
                    Self.scalarLaneSplit(m: m, k: k, alpha: alpha, a, lda: lda, b, beta: beta, &expected)
                } else {
                    Self.scalarDotForm(transA, transB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb,
                                       beta: beta, &expected, ldc: n)
                }
                let handled = a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in got.withUnsafeMutableBufferPointer { cp in
                    thinProduct(transA, transB, m: m, n: n, k: k, alpha: alpha, ap.baseAddress!, lda: lda, bp.baseAddress!,
                                ldb: ldb, beta: beta, cp.baseAddress!, ldc: n)
                } } }
                #expect(handled, "m \(m) n \(n) k \(k) transA \(transA) transB \(transB)")
                #expect(got.map(\.bitPattern) == expected.map(\.bitPattern),
                        "m \(m) n \(n) k \(k) transA \(transA) transB \(transB) alpha \(alpha) beta \(beta)")
            }
        }
    }

    @Test("thin products leave every other shape to sgemm, untouched")
    func thinProductDeclines() {
        let a = [Float](repeating: 1, count: 256 * 256), b = a
        var c = [Float](repeating: 7, count: 256 * 256)
        for (transA, transB, m, n, k) in [(Transpose.none, Transpose.none, 256, 256, 256), (.none, .transposed, 256, 4, 256),
                                          (.none, .none, 256, 2, 64), (.transposed, .none, 64, 64, 256)] {
            let lda = transA == .none ? k : m, ldb = transB == .none ? n : k
            let handled = a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                thinProduct(transA, transB, m: m, n: n, k: k, alpha: 1, ap.baseAddress!, lda: lda, bp.baseAddress!, ldb: ldb,
                            beta: 0, cp.baseAddress!, ldc: n)
            } } }
            #expect(!handled, "m \(m) n \(n) k \(k)")
        }
        #expect(c.allSatisfy { $0 == 7 })
    }

    @Test("gemm's thin and sgemm paths compute the product (against Double)", arguments: [false, true])
    func gemmAgainstDouble(transposedA: Bool) {
        let transA: Transpose = transposedA ? .transposed : .none
        var rng = Xoshiro256(seed: 12)
        for (m, n, k) in [(256, 256, 4), (4, 256, 256), (256, 1, 256), (256, 256, 1), (128, 96, 80)] {
            let lda = transA == .none ? k : m
            let a = (0..<(m * k)).map { _ in rng.uniformFloat(-1, 1) }
            let b = (0..<(k * n)).map { _ in rng.uniformFloat(-1, 1) }
            var c = [Float](repeating: .nan, count: m * n)
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                gemm(transA, .none, m: m, n: n, k: k, ap.baseAddress!, lda: lda, bp.baseAddress!, ldb: n, beta: 0, cp.baseAddress!, ldc: n)
            } } }
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var exact = 0.0
                    for p in 0..<k { exact += Double(transA == .none ? a[i * k + p] : a[p * m + i]) * Double(b[p * n + j]) }
                    worst = max(worst, abs(Double(c[i * n + j]) - exact))
                }
            }
            #expect(worst < 1e-4 * Double(k).squareRoot(), "m \(m) n \(n) k \(k): max error \(worst)")
        }
    }

    @Test("ReLU′ with the bias gradient's row sums equals the two scalar passes bit for bit, wide rows and narrow")
    func reluMaskAndSumBits() {
        var rng = Xoshiro256(seed: 3)
        for (rows, columns) in [(256, 256), (37, 45), (256, 4), (5, 1), (3, 33)] {
            let y = (0..<(rows * columns)).map { i in i % 5 == 0 ? 0 : rng.uniformFloat(-1, 1) }
            let d0 = (0..<(rows * columns)).map { _ in rng.uniformFloat(-1, 1) }
            let gb0 = (0..<columns).map { _ in rng.uniformFloat(-1, 1) }
            var d = d0, gb = gb0
            var expectedD = d0, expectedGB = gb0
            for i in 0..<(rows * columns) { expectedD[i] = y[i] > 0 ? expectedD[i] : 0 }
            for r in 0..<rows { for j in 0..<columns { expectedGB[j] += expectedD[r * columns + j] } }
            y.withUnsafeBufferPointer { yp in d.withUnsafeMutableBufferPointer { dp in gb.withUnsafeMutableBufferPointer { gp in
                reluMaskAndSumRows(dp.baseAddress!, output: yp.baseAddress!, rows: rows, columns: columns, biasGradient: gp.baseAddress!)
            } } }
            #expect(d.map(\.bitPattern) == expectedD.map(\.bitPattern), "\(rows)×\(columns)")
            #expect(gb.map(\.bitPattern) == expectedGB.map(\.bitPattern), "\(rows)×\(columns)")
        }
    }
}
