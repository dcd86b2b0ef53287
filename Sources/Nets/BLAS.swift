import CBLAS

// Every BLAS call in Asym goes through this file.
//
// Matrices are row-major Float32. At the paper's small sizes the cost is call
// overhead rather than FLOPs (DESIGN.md, performance notes: a 1×16·16×16
// product takes 0.21 µs in sgemm and 0.06 µs in a plain loop), so products
// below `plainLoopLimit` multiply-adds run in a plain loop instead.

/// Pins OpenBLAS to one thread: parallelism comes from running many training
/// processes, and one thread keeps results independent of the machine.
/// The corresponding C function is `openblas_set_num_threads`.
public func setSingleThreadedBLAS() {
    openblas_set_num_threads(1)
}

/// Set once, before the first workspace exists: every network computation
/// runs single-threaded whoever drives it (CLI, tests, benchmarks), so results
/// never depend on the machine's core count.
let blasSingleThreaded: Void = setSingleThreadedBLAS()

/// Products with at most this many multiply-adds skip sgemm.
@usableFromInline let plainLoopLimit = 4096

/// How an operand is read.
public enum Transpose: Sendable { case none, transposed }

/// C = alpha · op(A) · op(B) + beta · C, all row-major; op(A) is m×k, op(B) is k×n, C is m×n.
/// `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored.
/// The corresponding C function is `cblas_sgemm`.
@inline(__always)
public func gemm(_ transA: Transpose, _ transB: Transpose,
                 m: Int, n: Int, k: Int,
                 alpha: Float = 1,
                 _ a: UnsafePointer<Float>, lda: Int,
                 _ b: UnsafePointer<Float>, ldb: Int,
                 beta: Float,
                 _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m * n * k <= plainLoopLimit {
        plainGemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
        return
    }
    cblas_sgemm(CblasRowMajor,
                transA == .none ? CblasNoTrans : CblasTrans,
                transB == .none ? CblasNoTrans : CblasTrans,
                Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// sgemm without the BLAS call overhead, for tiny products. Same contract as `gemm`.
@inline(__always)
func plainGemm(_ transA: Transpose, _ transB: Transpose,
               m: Int, n: Int, k: Int, alpha: Float,
               _ a: UnsafePointer<Float>, lda: Int,
               _ b: UnsafePointer<Float>, ldb: Int,
               beta: Float,
               _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    // Strides of op(A)[i, p] and op(B)[p, j] in memory.
    let (aRow, aCol) = transA == .none ? (lda, 1) : (1, lda)
    let (bRow, bCol) = transB == .none ? (ldb, 1) : (1, ldb)
    // The row form for wide rows of a plain B; the dot form otherwise. Which
    // form a shape takes decides the order of its additions, so it must not
    // change (for beta = 1 the two forms round differently).
    let rowForm = bCol == 1 && n >= 8
    func rows(_ b: UnsafePointer<Float>, bRow: Int, bCol: Int) {
        for i in 0..<m {
            let cRow = c + i * ldc
            if beta == 0 {
                for j in 0..<n { cRow[j] = 0 }
            } else if beta != 1 {
                for j in 0..<n { cRow[j] *= beta }
            }
            if rowForm {
                // Row-of-B form: C[i, :] += alpha·A[i, p]·B[p, :] vectorises over j.
                // (For n < 8, e.g. a critic's single output, each step would reload
                // and store the same C element; the dot form below keeps it in a register.)
                for p in 0..<k {
                    let s = alpha * a[i * aRow + p * aCol]
                    let bRowPtr = b + p * bRow
                    for j in 0..<n { cRow[j] += s * bRowPtr[j] }
                }
            } else {
                dotRow(i, n: n, k: k, alpha: alpha, cleared: beta == 0, a, aRow: aRow, aCol: aCol, b, bRow: bRow, bCol: bCol, cRow)
            }
        }
    }
    if bCol != 1 && n >= 4 && m > 1 {
        // A transposed B (the input gradient δ·Wᵀ): gather op(B) into rows
        // once (k·n ≤ 4096 floats) so the dot form runs across j in SIMD lanes.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: k * n) { t in
            let gathered = t.baseAddress!
            for p in 0..<k { for j in 0..<n { gathered[p * n + j] = b[p * bRow + j * bCol] } }
            rows(UnsafePointer(gathered), bRow: n, bCol: 1)
        }
    } else {
        rows(b, bRow: bRow, bCol: bCol)
    }
}

/// One row of the dot form, C[i, j] += alpha · Σ_p A[i, p]·B[p, j] with the
/// sum taken in p order from zero, several j at once: each SIMD lane is one
/// j and performs exactly the scalar loop's operations in its order, so the
/// bits are the scalar loop's (`NetsTests` checks this against it).
/// `cleared`: the row was just zeroed, so it is added to as zeros held in a
/// register (0 + x, as the scalar loop does) rather than read back from
/// memory, which would wait on the zeroing's narrower stores.
@inline(__always)
func dotRow(_ i: Int, n: Int, k: Int, alpha: Float, cleared: Bool,
            _ a: UnsafePointer<Float>, aRow: Int, aCol: Int,
            _ b: UnsafePointer<Float>, bRow: Int, bCol: Int,
            _ cRow: UnsafeMutablePointer<Float>) {
    let aRowPtr = a + i * aRow
    var j = 0
    if bCol == 1 {
        while j + 8 <= n {
            var sum = SIMD8<Float>()
            for p in 0..<k { sum += SIMD8(repeating: aRowPtr[p * aCol]) * UnsafeRawPointer(b + p * bRow + j).loadUnaligned(as: SIMD8<Float>.self) }
            let out = UnsafeMutableRawPointer(cRow + j)
            let before = cleared ? SIMD8<Float>() : out.loadUnaligned(as: SIMD8<Float>.self)
            out.storeBytes(of: before + SIMD8(repeating: alpha) * sum, as: SIMD8<Float>.self)
            j += 8
        }
        while j + 4 <= n {
            var sum = SIMD4<Float>()
            for p in 0..<k { sum += SIMD4(repeating: aRowPtr[p * aCol]) * UnsafeRawPointer(b + p * bRow + j).loadUnaligned(as: SIMD4<Float>.self) }
            let out = UnsafeMutableRawPointer(cRow + j)
            let before = cleared ? SIMD4<Float>() : out.loadUnaligned(as: SIMD4<Float>.self)
            out.storeBytes(of: before + SIMD4(repeating: alpha) * sum, as: SIMD4<Float>.self)
            j += 4
        }
    }
    while j < n {
        var sum: Float = 0
        for p in 0..<k { sum += aRowPtr[p * aCol] * b[p * bRow + j * bCol] }
        cRow[j] += alpha * sum
        j += 1
    }
}
