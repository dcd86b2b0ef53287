import Nets

/// Forward+backward throughput of MLPs against the sgemm peak measured in the same run.
func benchNets() {
    print("== nets: forward+backward, one thread (obs 17 → hidden → act 6, ReLU)")
    let peak = sgemmPeak()
    print("sgemm peak: \(fixed(peak, 1)) GFLOP/s (best of square sizes 256…1024)")
    print("\(pad("hidden", 10)) \(pad("batch", 6)) \(pad("samples/s", 13)) \(pad("GFLOP/s", 8)) \(pad("% peak", 7))")
    for hidden in [[4, 4], [16, 16], [64, 64], [256, 256], [400, 300]] {
        for batch in [1, 256] {
            var rng = Xoshiro256(seed: 0)
            var net = MLP(inputs: 17, hidden: hidden, outputs: 6, rng: &rng)
            let ws = net.makeWorkspace(batch: batch)
            let x = (0..<(batch * 17)).map { _ in rng.uniformFloat(-1, 1) }
            let g = (0..<(batch * 6)).map { _ in rng.uniformFloat(-1, 1) }
            let t = x.withUnsafeBufferPointer { xp in
                g.withUnsafeBufferPointer { gp in
                    measure {
                        net.forward(xp.baseAddress!, batch: batch, workspace: ws)
                        net.backward(outputGradient: gp.baseAddress!, workspace: ws)
                    }
                }
            }
            // Forward: 2·B·Σ in·out; backward: dW 2·B·Σ in·out, dX 2·B·Σ_{l>0} in·out.
            let widths = net.widths
            var macs = 0.0, macsAfterFirst = 0.0
            for l in 0..<(widths.count - 1) {
                let m = Double(widths[l] * widths[l + 1])
                macs += m
                if l > 0 { macsAfterFirst += m }
            }
            let flops = 2 * Double(batch) * (2 * macs + macsAfterFirst)
            let gflops = flops / t / 1e9
            print("\(pad("\(hidden)", 10)) \(pad(String(batch), 6)) \(pad(fixed(Double(batch) / t, 0), 13)) \(pad(fixed(gflops, 2), 8)) \(pad(fixed(100 * gflops / peak, 1), 7))")
        }
    }
    // One actor forward at batch 1, the acting and evaluation hot path (Pendulum: obs 3, act 1).
    for hidden in [[4, 4], [16, 16], [64, 64]] {
        var rng = Xoshiro256(seed: 1)
        let actor = MLP(inputs: 3, hidden: hidden, outputs: 1, outputActivation: .tanh, rng: &rng)
        let ws = actor.makeWorkspace(batch: 1)
        let obs: [Float] = [0.3, -0.2, 0.9]
        let t = obs.withUnsafeBufferPointer { o in measure { actor.forward(o.baseAddress!, batch: 1, workspace: ws) } }
        print("actor \(hidden) forward, batch 1 (obs 3, act 1): \(fixed(t * 1e6, 3)) µs")
    }
}

/// Best sgemm GFLOP/s over square products, one thread.
func sgemmPeak() -> Double {
    var best = 0.0
    for n in [256, 512, 1024] {
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        let t = a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    measure(seconds: 0.3) {
                        gemm(.none, .none, m: n, n: n, k: n, ap.baseAddress!, lda: n, bp.baseAddress!, ldb: n,
                             beta: 0, cp.baseAddress!, ldc: n)
                    }
                }
            }
        }
        best = max(best, 2 * Double(n * n * n) / t / 1e9)
    }
    return best
}

/// Each product an off-policy update makes at [256,256], batch 256, on
/// Pendulum (critic input 4, actor input 3, one output), through `gemm` (our
/// loops for thin shapes, sgemm otherwise) beside OpenBLAS's sgemm alone.
func benchProducts() {
    print("== products: the [256,256] batch-256 update's matrix products, one thread (m×n×k of op(A)·op(B))")
    let batch = 256, hidden = 256
    let shapes: [(String, Transpose, Transpose, Int, Int, Int)] = [
        ("forward, first layer", .none, .none, batch, hidden, 4),
        ("forward, hidden layer", .none, .none, batch, hidden, hidden),
        ("forward, output layer", .none, .none, batch, 1, hidden),
        ("dW, first layer", .transposed, .none, 4, hidden, batch),
        ("dW, hidden layer", .transposed, .none, hidden, hidden, batch),
        ("dW, output layer", .transposed, .none, hidden, 1, batch),
        ("dX, output layer", .none, .transposed, batch, hidden, 1),
        ("dX, hidden layer", .none, .transposed, batch, hidden, hidden),
        ("dX, first layer", .none, .transposed, batch, 4, hidden),
    ]
    print("\(padRight("product", 22)) \(pad("m×n×k", 12)) \(pad("gemm µs", 8)) \(pad("GFLOP/s", 8)) \(pad("sgemm µs", 9)) \(pad("GFLOP/s", 8))")
    for (name, ta, tb, m, n, k) in shapes {
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        let lda = ta == .none ? k : m, ldb = tb == .none ? n : k
        func time(_ product: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Double {
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        measure(seconds: 0.2) { product(ap.baseAddress!, bp.baseAddress!, cp.baseAddress!) }
                    }
                }
            }
        }
        let ours = time { gemm(ta, tb, m: m, n: n, k: k, $0, lda: lda, $1, ldb: ldb, beta: 0, $2, ldc: n) }
        let blas = time { sgemm(ta, tb, m: m, n: n, k: k, $0, lda: lda, $1, ldb: ldb, beta: 0, $2, ldc: n) }
        let flop = 2 * Double(m * n * k)
        print("\(padRight(name, 22)) \(pad("\(m)×\(n)×\(k)", 12)) \(pad(fixed(ours * 1e6, 1), 8)) \(pad(fixed(flop / ours / 1e9, 1), 8)) \(pad(fixed(blas * 1e6, 1), 9)) \(pad(fixed(flop / blas / 1e9, 1), 8))")
    }
}
