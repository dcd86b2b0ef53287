import CBLAS
import Kernels

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

/// How an operand is read (`.none`, `.transposed`).
public typealias Transpose = Kernels.Transpose

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
        plainProduct(transA, transB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
        return
    }
    if thinProduct(transA, transB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc) {
        return
    }
    sgemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
}

/// OpenBLAS's sgemm whatever the shape (`gemm` decides when to call it; the
/// benchmark compares our loops against it).
@inline(__always)
public func sgemm(_ transA: Transpose, _ transB: Transpose,
                  m: Int, n: Int, k: Int,
                  alpha: Float = 1,
                  _ a: UnsafePointer<Float>, lda: Int,
                  _ b: UnsafePointer<Float>, ldb: Int,
                  beta: Float,
                  _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor,
                transA == .none ? CblasNoTrans : CblasTrans,
                transB == .none ? CblasNoTrans : CblasTrans,
                Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
