// The matrix products Asym computes in its own loops rather than in sgemm.
//
// This module is compiled for AVX2 (Package.swift: `-Xcc -mavx2 -Xcc -mfma`),
// which every numerics profile requires of the CPU (Nets/Numerics.swift checks
// it before anything here runs), so a SIMD8<Float> is one 256-bit register.
// No fused multiply-add is ever formed: Swift does not contract `x * y + z`,
// so each lane rounds its product and its sum apart, and the bits do not
// depend on the vector width. Nets/BLAS.swift decides which products come here.
//
// Two summation orders, both fixed and documented, so results are the same
// on every machine:
// - the dot form: C[i, j] = before + α · Σ_p op(A)[i, p]·op(B)[p, j], the sum
//   taken in p order from zero, one SIMD lane per (i, j);
// - the row form (plain-loop products only): C[i, :] += (α·op(A)[i, p])·op(B)[p, :] in p order.
// Thin products with one output column sum in eight interleaved partial sums
// (see `laneSplitColumn`).

/// How an operand is read.
public enum Transpose: Sendable { case none, transposed }

// MARK: - Plain-loop products (at most a few thousand multiply-adds)

/// sgemm without the BLAS call overhead, for tiny products: C = α·op(A)·op(B) + β·C,
/// all row-major; `lda`, `ldb`, `ldc` are the row strides as stored.
public func plainProduct(_ transA: Transpose, _ transB: Transpose,
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
                dotRow(i, from: 0, n: n, k: k, alpha: alpha, cleared: beta == 0,
                       a, aRow: aRow, aCol: aCol, b, bRow: bRow, bCol: bCol, cRow)
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

/// Columns `from..<n` of one row of the dot form, several j at once: each SIMD
/// lane is one j and performs exactly the scalar loop's operations in its
/// order, so the bits are the scalar loop's (`VectorisedKernelTests`).
/// `cleared`: the row was just zeroed, so it is added to as zeros held in a
/// register (0 + x, as the scalar loop does) rather than read back from
/// memory, which would wait on the zeroing's narrower stores.
@inline(__always)
func dotRow(_ i: Int, from start: Int, n: Int, k: Int, alpha: Float, cleared: Bool,
            _ a: UnsafePointer<Float>, aRow: Int, aCol: Int,
            _ b: UnsafePointer<Float>, bRow: Int, bCol: Int,
            _ cRow: UnsafeMutablePointer<Float>) {
    let aRowPtr = a + i * aRow
    var j = start
    if bCol == 1 {
        // Four blocks of eight columns at once: four independent sums keep the
        // adders busy where one would wait on its own latency (wide, deep rows).
        while j + 32 <= n {
            var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
            for p in 0..<k {
                let x = SIMD8(repeating: aRowPtr[p * aCol]), row = b + p * bRow + j
                s0 += x * load8(row); s1 += x * load8(row + 8); s2 += x * load8(row + 16); s3 += x * load8(row + 24)
            }
            let vAlpha = SIMD8<Float>(repeating: alpha)
            store8((cleared ? SIMD8() : load8(cRow + j)) + vAlpha * s0, cRow + j)
            store8((cleared ? SIMD8() : load8(cRow + j + 8)) + vAlpha * s1, cRow + j + 8)
            store8((cleared ? SIMD8() : load8(cRow + j + 16)) + vAlpha * s2, cRow + j + 16)
            store8((cleared ? SIMD8() : load8(cRow + j + 24)) + vAlpha * s3, cRow + j + 24)
            j += 32
        }
        while j + 8 <= n {
            var sum = SIMD8<Float>()
            for p in 0..<k { sum += SIMD8(repeating: aRowPtr[p * aCol]) * load8(b + p * bRow + j) }
            let before = cleared ? SIMD8<Float>() : load8(cRow + j)
            store8(before + SIMD8(repeating: alpha) * sum, cRow + j)
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
        cRow[j] = (cleared ? 0 : cRow[j]) + alpha * sum
        j += 1
    }
}

// MARK: - Thin products

/// Computes C = α·op(A)·op(B) + β·C in our own loops when the product is thin
/// (one side of it at most a few wide), where sgemm's packing costs more than
/// the arithmetic: a first layer's forward pass (k = inputs ≤ 8) and weight
/// gradient (m = inputs ≤ 4), an output layer with one unit (n = 1: forward
/// and weight gradient), and its input gradient (k = 1). Measured with
/// `asym-bench products`: 3–6× faster than OpenBLAS's Haswell kernel at
/// batch 256 × 256 units. Returns false, touching nothing, for any other shape.
public func thinProduct(_ transA: Transpose, _ transB: Transpose,
                        m: Int, n: Int, k: Int, alpha: Float,
                        _ a: UnsafePointer<Float>, lda: Int,
                        _ b: UnsafePointer<Float>, ldb: Int,
                        beta: Float,
                        _ c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
    let (aRow, aCol) = transA == .none ? (lda, 1) : (1, lda)
    let (bRow, bCol) = transB == .none ? (ldb, 1) : (1, ldb)
    if bCol == 1 && n >= 8 && (k <= 8 || m <= 4) {
        scale(c, rows: m, columns: n, ldc: ldc, beta: beta)
        blockedDot(m: m, n: n, k: k, alpha: alpha, cleared: beta == 0,
                   a, aRow: aRow, aCol: aCol, b, bRow: bRow, c, ldc: ldc)
        return true
    }
    if n == 1 && aRow == 1 && ldc == 1 && m >= 8 {
        // C (m × 1) as the row Cᵀ = op(B)ᵀ·op(A)ᵀ, whose right factor has
        // plain rows: the dot form across i (x·y = y·x, so the bits are the dot form's).
        scale(c, rows: 1, columns: m, ldc: m, beta: beta)
        blockedDot(m: 1, n: m, k: k, alpha: alpha, cleared: beta == 0,
                   b, aRow: 0, aCol: bRow, a, bRow: aCol, c, ldc: m)
        return true
    }
    if n == 1 && aCol == 1 && bRow == 1 && k >= 8 {
        laneSplitColumn(m: m, k: k, alpha: alpha, beta: beta, a, aRow: aRow, b, c, ldc: ldc)
        return true
    }
    return false
}

/// C ← β·C ahead of a product that adds to C (β = 0 and 1 leave it as is:
/// zero is handled by not reading C, one needs nothing).
@inline(__always)
private func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ldc: Int, beta: Float) {
    guard beta != 0 && beta != 1 else { return }
    for i in 0..<rows { for j in 0..<columns { c[i * ldc + j] *= beta } }
}

/// The dot form for a plain-rowed op(B), four rows of C at a time so each
/// loaded piece of B serves four accumulators: every lane still performs its
/// own (i, j)'s scalar sequence, so the bits are `dotRow`'s.
@inline(never)
private func blockedDot(m: Int, n: Int, k: Int, alpha: Float, cleared: Bool,
                        _ a: UnsafePointer<Float>, aRow: Int, aCol: Int,
                        _ b: UnsafePointer<Float>, bRow: Int,
                        _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    let vAlpha = SIMD8<Float>(repeating: alpha)
    var i = 0
    while i + 4 <= m {
        let a0 = a + i * aRow, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow
        var j = 0
        // Two blocks of eight columns by four rows: eight independent sums.
        while j + 16 <= n {
            var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
            var t0 = SIMD8<Float>(), t1 = SIMD8<Float>(), t2 = SIMD8<Float>(), t3 = SIMD8<Float>()
            for p in 0..<k {
                let row = b + p * bRow + j, q = p * aCol
                let u = load8(row), v = load8(row + 8)
                let x0 = SIMD8(repeating: a0[q]), x1 = SIMD8(repeating: a1[q])
                let x2 = SIMD8(repeating: a2[q]), x3 = SIMD8(repeating: a3[q])
                s0 += x0 * u; t0 += x0 * v
                s1 += x1 * u; t1 += x1 * v
                s2 += x2 * u; t2 += x2 * v
                s3 += x3 * u; t3 += x3 * v
            }
            let c0 = c + i * ldc + j, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
            store8((cleared ? SIMD8() : load8(c0)) + vAlpha * s0, c0)
            store8((cleared ? SIMD8() : load8(c1)) + vAlpha * s1, c1)
            store8((cleared ? SIMD8() : load8(c2)) + vAlpha * s2, c2)
            store8((cleared ? SIMD8() : load8(c3)) + vAlpha * s3, c3)
            store8((cleared ? SIMD8() : load8(c0 + 8)) + vAlpha * t0, c0 + 8)
            store8((cleared ? SIMD8() : load8(c1 + 8)) + vAlpha * t1, c1 + 8)
            store8((cleared ? SIMD8() : load8(c2 + 8)) + vAlpha * t2, c2 + 8)
            store8((cleared ? SIMD8() : load8(c3 + 8)) + vAlpha * t3, c3 + 8)
            j += 16
        }
        if j < n {
            for r in i..<(i + 4) {
                dotRow(r, from: j, n: n, k: k, alpha: alpha, cleared: cleared, a, aRow: aRow, aCol: aCol,
                       b, bRow: bRow, bCol: 1, c + r * ldc)
            }
        }
        i += 4
    }
    while i < m {
        dotRow(i, from: 0, n: n, k: k, alpha: alpha, cleared: cleared, a, aRow: aRow, aCol: aCol,
               b, bRow: bRow, bCol: 1, c + i * ldc)
        i += 1
    }
}

/// One output column, C[i] = β·C[i] + α·(A[i, :]·b) with A's rows and b
/// contiguous (a one-unit output layer's forward pass). The p-sum runs in
/// eight interleaved partial sums, lane l taking p ≡ l (mod 8) in order from
/// zero, combined as ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)), then
/// the remaining k mod 8 terms in order: `laneSplitDot` in the tests spells
/// the same sum out scalar by scalar.
@inline(never)   // inlined, LLVM splits its accumulators into 64-bit pieces
private func laneSplitColumn(m: Int, k: Int, alpha: Float, beta: Float,
                             _ a: UnsafePointer<Float>, aRow: Int, _ b: UnsafePointer<Float>,
                             _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    let body = k & ~7
    var i = 0
    while i + 4 <= m {
        let r0 = a + i * aRow, r1 = r0 + aRow, r2 = r1 + aRow, r3 = r2 + aRow
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var p = 0
        while p < body {
            let bv = load8(b + p)
            s0 += load8(r0 + p) * bv
            s1 += load8(r1 + p) * bv
            s2 += load8(r2 + p) * bv
            s3 += load8(r3 + p) * bv
            p += 8
        }
        let sums = (combineLanes(s0), combineLanes(s1), combineLanes(s2), combineLanes(s3))
        writeColumn(i, sums.0, r0, b, from: body, k: k, alpha: alpha, beta: beta, c, ldc: ldc)
        writeColumn(i + 1, sums.1, r1, b, from: body, k: k, alpha: alpha, beta: beta, c, ldc: ldc)
        writeColumn(i + 2, sums.2, r2, b, from: body, k: k, alpha: alpha, beta: beta, c, ldc: ldc)
        writeColumn(i + 3, sums.3, r3, b, from: body, k: k, alpha: alpha, beta: beta, c, ldc: ldc)
        i += 4
    }
    while i < m {
        let r0 = a + i * aRow
        var s0 = SIMD8<Float>()
        var p = 0
        while p < body { s0 += load8(r0 + p) * load8(b + p); p += 8 }
        writeColumn(i, combineLanes(s0), r0, b, from: body, k: k, alpha: alpha, beta: beta, c, ldc: ldc)
        i += 1
    }
}

/// ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)).
@inline(__always)
private func combineLanes(_ s: SIMD8<Float>) -> Float {
    ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
}

/// Adds the k mod 8 remaining terms in order and writes C[i] = β·C[i] + α·sum.
@inline(never)
private func writeColumn(_ i: Int, _ partial: Float, _ row: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                         from body: Int, k: Int, alpha: Float, beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    var sum = partial
    for p in body..<k { sum += row[p] * b[p] }
    let before: Float = beta == 0 ? 0 : (beta == 1 ? c[i * ldc] : beta * c[i * ldc])
    c[i * ldc] = before + alpha * sum
}

@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) private func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
