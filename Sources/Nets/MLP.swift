import Kernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise nonlinearity after a layer.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case identity, relu, tanh
}

/// A fully connected network `widths[0] → widths[1] → … → widths.last`, Float32.
///
/// Layout: all parameters live in one flat array, layer after layer, each layer
/// as its weight matrix W (fanIn × fanOut, row-major) followed by its bias b
/// (fanOut). A layer computes y = act(x·W + b) for a batch x (batch × fanIn).
/// The flat layout makes Adam, Polyak averaging, gradient clipping and TRPO's
/// flat parameter vectors single loops over `parameters` and `gradients`.
///
/// Actor and critic are always separate `MLP`s built from their own size lists.
/// `hidden: []` gives one linear layer (the toy problem's 1-neuron actor).
public struct MLP: Sendable, Equatable {
    /// Layer widths: inputs, hidden…, outputs.
    public let widths: [Int]
    public let hiddenActivation: Activation
    public let outputActivation: Activation
    /// All weights and biases, flat (see the type's layout note).
    public var parameters: [Float]
    /// Gradients of the loss with respect to `parameters`; `backward` accumulates into them.
    public var gradients: [Float]
    /// Offsets of each layer's W and b in `parameters`.
    @usableFromInline let weightOffsets: [Int]
    @usableFromInline let biasOffsets: [Int]

    public var inputCount: Int { widths[0] }
    public var outputCount: Int { widths[widths.count - 1] }
    public var layerCount: Int { widths.count - 1 }
    public var parameterCount: Int { parameters.count }
    public var hiddenSizes: [Int] { Array(widths.dropFirst().dropLast()) }

    /// Builds a network initialised like PyTorch's `nn.Linear` default:
    /// weights Kaiming-uniform with a = √5, which is U(±1/√fanIn), and biases U(±1/√fanIn).
    public init(inputs: Int, hidden: [Int], outputs: Int,
                hiddenActivation: Activation = .relu, outputActivation: Activation = .identity,
                rng: inout Xoshiro256) {
        precondition(inputs > 0 && outputs > 0 && hidden.allSatisfy { $0 > 0 }, "layer widths must be positive")
        widths = [inputs] + hidden + [outputs]
        self.hiddenActivation = hiddenActivation
        self.outputActivation = outputActivation
        var w: [Int] = [], b: [Int] = []
        var offset = 0
        for l in 0..<(widths.count - 1) {
            w.append(offset); offset += widths[l] * widths[l + 1]
            b.append(offset); offset += widths[l + 1]
        }
        weightOffsets = w; biasOffsets = b
        parameters = [Float](repeating: 0, count: offset)
        gradients = [Float](repeating: 0, count: offset)
        for l in 0..<(widths.count - 1) {
            let bound = 1 / Float(widths[l]).squareRoot()
            // PyTorch draws W (fanOut × fanIn) then b; we store Wᵀ, so fill in
            // PyTorch's order (row j of W is column j of ours) to keep the
            // draw order meaningful when comparing with a reference.
            for j in 0..<widths[l + 1] {
                for i in 0..<widths[l] {
                    parameters[w[l] + i * widths[l + 1] + j] = rng.uniformFloat(-bound, bound)
                }
            }
            for j in 0..<widths[l + 1] { parameters[b[l] + j] = rng.uniformFloat(-bound, bound) }
        }
    }

    /// Number of parameters of layer `l` (weights then bias).
    public func layerRange(_ l: Int) -> Range<Int> {
        weightOffsets[l]..<(biasOffsets[l] + widths[l + 1])
    }

    public mutating func zeroGradients() {
        gradients.withUnsafeMutableBufferPointer { g in
            for i in g.indices { g[i] = 0 }
        }
    }

    /// A workspace big enough for batches of up to `batch` rows.
    public func makeWorkspace(batch: Int) -> MLPWorkspace {
        MLPWorkspace(widths: widths, capacity: batch)
    }
}

/// Preallocated activations and gradient scratch for one `MLP` shape, so a
/// training step allocates nothing.
///
/// Invariants: every buffer is allocated once in `init` with room for
/// `capacity` rows and freed in `deinit`; `activations[l]` holds layer l's
/// output (post-activation; `activations[0]` is a copy of the input) for the
/// last `forward` call and `batch` its row count. Not thread-safe: one per task.
public final class MLPWorkspace: @unchecked Sendable {
    public let widths: [Int]
    public let capacity: Int
    /// Rows of the last forward pass.
    public private(set) var batch: Int = 0
    @usableFromInline let activations: [UnsafeMutablePointer<Float>]
    @usableFromInline let deltaA: UnsafeMutablePointer<Float>
    @usableFromInline let deltaB: UnsafeMutablePointer<Float>
    /// dL/dinput of the last `backward(… inputGradient: true)`, capacity × inputs.
    public let inputGradient: UnsafeMutablePointer<Float>
    /// Tangent buffers for `jvp`.
    @usableFromInline let tangents: [UnsafeMutablePointer<Float>]

    init(widths: [Int], capacity: Int) {
        precondition(capacity > 0)
        _ = blasSingleThreaded
        self.widths = widths
        self.capacity = capacity
        let maxWidth = widths.max()!
        func alloc(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        activations = widths.map { alloc(capacity * $0) }
        tangents = widths.map { alloc(capacity * $0) }
        deltaA = alloc(capacity * maxWidth)
        deltaB = alloc(capacity * maxWidth)
        inputGradient = alloc(capacity * widths[0])
    }

    deinit {
        for p in activations { p.deallocate() }
        for p in tangents { p.deallocate() }
        deltaA.deallocate(); deltaB.deallocate(); inputGradient.deallocate()
    }

    /// The network output of the last forward pass (batch × outputs).
    public var output: UnsafeMutablePointer<Float> { activations[activations.count - 1] }
    /// The tangent of the output from the last `jvp` (batch × outputs).
    public var outputTangent: UnsafeMutablePointer<Float> { tangents[tangents.count - 1] }

    func setBatch(_ b: Int) {
        precondition(b > 0 && b <= capacity, "batch \(b) exceeds workspace capacity \(capacity)")
        batch = b
    }
}

// MARK: - Forward and backward

extension MLP {
    /// Runs `batch` rows of `input` (batch × inputs, row-major) through the
    /// network, keeping every layer's output in `workspace` for `backward`.
    /// Returns the output buffer (batch × outputs), owned by the workspace.
    @discardableResult
    public func forward(_ input: UnsafePointer<Float>, batch: Int, workspace ws: MLPWorkspace) -> UnsafeMutablePointer<Float> {
        ws.setBatch(batch)
        ws.activations[0].update(from: input, count: batch * widths[0])
        parameters.withUnsafeBufferPointer { p in
            let params = p.baseAddress!
            for l in 0..<layerCount {
                let fanIn = widths[l], fanOut = widths[l + 1]
                let x = ws.activations[l], y = ws.activations[l + 1]
                gemm(.none, .none, m: batch, n: fanOut, k: fanIn,
                     x, lda: fanIn, params + weightOffsets[l], ldb: fanOut, beta: 0, y, ldc: fanOut)
                // Bias and activation in one pass over y: at small sizes these
                // passes, not the FLOPs, are the cost.
                addBiasAndActivate(l == layerCount - 1 ? outputActivation : hiddenActivation,
                                   y, bias: params + biasOffsets[l], rows: batch, columns: fanOut)
            }
        }
        return ws.output
    }

    /// Array convenience: forward one batch and copy the output out (allocates).
    public func callAsFunction(_ input: [Float], workspace: MLPWorkspace? = nil) -> [Float] {
        precondition(input.count % inputCount == 0, "input size \(input.count) is not a multiple of \(inputCount)")
        let batch = input.count / inputCount
        let ws = workspace ?? makeWorkspace(batch: batch)
        let out = input.withUnsafeBufferPointer { forward($0.baseAddress!, batch: batch, workspace: ws) }
        return Array(UnsafeBufferPointer(start: out, count: batch * outputCount))
    }

    /// Backpropagates dL/d(output) (batch × outputs, for the batch of the last
    /// `forward` on `workspace`) and ACCUMULATES dL/dparameters into `gradients`.
    /// For each layer, with δ = dL/dz (z the pre-activation):
    /// dW += xᵀ·δ, db += Σ_rows δ, dL/dx = δ·Wᵀ.
    /// With `inputGradient: true`, dL/dinput lands in `workspace.inputGradient`
    /// (DDPG's dQ/da flows to the actor this way).
    public mutating func backward(outputGradient: UnsafePointer<Float>, workspace ws: MLPWorkspace,
                                  inputGradient: Bool = false) {
        let batch = ws.batch
        precondition(batch > 0, "backward before forward")
        var delta = ws.deltaA, spare = ws.deltaB
        delta.update(from: outputGradient, count: batch * outputCount)
        let layers = layerCount
        let widths = self.widths, wOff = weightOffsets, bOff = biasOffsets
        let hiddenAct = hiddenActivation, outAct = outputActivation
        parameters.withUnsafeBufferPointer { p in
            gradients.withUnsafeMutableBufferPointer { g in
                let params = p.baseAddress!, grads = g.baseAddress!
                for l in stride(from: layers - 1, through: 0, by: -1) {
                    let fanIn = widths[l], fanOut = widths[l + 1]
                    let x = ws.activations[l], y = ws.activations[l + 1]
                    // δ ← δ ⊙ act′ and db += Σ_rows δ in one pass.
                    multiplyByDerivativeAndSumRows(l == layers - 1 ? outAct : hiddenAct, output: y, delta,
                                                   rows: batch, columns: fanOut, biasGradient: grads + bOff[l])
                    gemm(.transposed, .none, m: fanIn, n: fanOut, k: batch,
                         x, lda: fanIn, delta, ldb: fanOut, beta: 1, grads + wOff[l], ldc: fanOut)
                    if l > 0 || inputGradient {
                        let target = l > 0 ? spare : ws.inputGradient
                        gemm(.none, .transposed, m: batch, n: fanIn, k: fanOut,
                             delta, lda: fanOut, params + wOff[l], ldb: fanOut, beta: 0, target, ldc: fanIn)
                        if l > 0 { swap(&delta, &spare) }
                    }
                }
            }
        }
    }

    /// dL/dinput only, into `workspace.inputGradient`, for the batch of the
    /// last `forward` on `workspace`; `gradients` are left alone. This is what
    /// an actor loss needs from a critic (dQ/da): the critic's own dW, which
    /// `backward` would compute at the cost of one more product per layer, is
    /// never used. The bits equal `backward(… inputGradient: true)`'s.
    public func backwardToInput(outputGradient: UnsafePointer<Float>, workspace ws: MLPWorkspace) {
        let batch = ws.batch
        precondition(batch > 0, "backward before forward")
        var delta = ws.deltaA, spare = ws.deltaB
        delta.update(from: outputGradient, count: batch * outputCount)
        let layers = layerCount
        parameters.withUnsafeBufferPointer { p in
            let params = p.baseAddress!
            for l in stride(from: layers - 1, through: 0, by: -1) {
                let fanIn = widths[l], fanOut = widths[l + 1]
                multiplyByDerivative(l == layers - 1 ? outputActivation : hiddenActivation,
                                     output: ws.activations[l + 1], delta, count: batch * fanOut)
                let target = l > 0 ? spare : ws.inputGradient
                gemm(.none, .transposed, m: batch, n: fanIn, k: fanOut,
                     delta, lda: fanOut, params + weightOffsets[l], ldb: fanOut, beta: 0, target, ldc: fanIn)
                if l > 0 { swap(&delta, &spare) }
            }
        }
    }

    /// Forward-mode derivative: the change of the output (batch × outputs) of
    /// the last `forward` on `workspace` when the parameters move along
    /// `direction` (a flat vector shaped like `parameters`). Input is held fixed.
    /// Tangent recursion: ṫ_{l+1} = act′(z_l) ⊙ (ṫ_l·W + x_l·Ẇ + ḃ), ṫ_0 = 0.
    /// TRPO's Fisher-vector product is Jᵀ·M·(J·v) with this as J·v.
    @discardableResult
    public func jvp(direction: UnsafePointer<Float>, workspace ws: MLPWorkspace) -> UnsafeMutablePointer<Float> {
        let batch = ws.batch
        precondition(batch > 0, "jvp before forward")
        parameters.withUnsafeBufferPointer { p in
            let params = p.baseAddress!
            for l in 0..<layerCount {
                let fanIn = widths[l], fanOut = widths[l + 1]
                let x = ws.activations[l], y = ws.activations[l + 1]
                let t = ws.tangents[l + 1]
                let db = direction + biasOffsets[l]
                for r in 0..<batch { (t + r * fanOut).update(from: db, count: fanOut) }
                gemm(.none, .none, m: batch, n: fanOut, k: fanIn,
                     x, lda: fanIn, direction + weightOffsets[l], ldb: fanOut, beta: 1, t, ldc: fanOut)
                if l > 0 {
                    gemm(.none, .none, m: batch, n: fanOut, k: fanIn,
                         ws.tangents[l], lda: fanIn, params + weightOffsets[l], ldb: fanOut, beta: 1, t, ldc: fanOut)
                }
                multiplyByDerivative(l == layerCount - 1 ? outputActivation : hiddenActivation,
                                     output: y, t, count: batch * fanOut)
            }
        }
        return ws.outputTangent
    }
}

// MARK: - Activations
// ReLU and linear layers, by far the most common, run in Kernels' 256-bit
// lanes; tanh layers stay here with `fastTanh`.

/// y[r, :] ← act(y[r, :] + b) for every row.
@inline(__always)
func addBiasAndActivate(_ activation: Activation, _ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                        rows: Int, columns: Int) {
    switch activation {
    case .identity: addBias(y, bias: bias, rows: rows, columns: columns)
    case .relu: addBiasAndReLU(y, bias: bias, rows: rows, columns: columns)
    case .tanh:
        for r in 0..<rows {
            let row = y + r * columns
            for j in 0..<columns { row[j] = fastTanh(row[j] + bias[j]) }
        }
    }
}

/// δ ← δ ⊙ act′ (through the output y) and biasGradient += Σ_rows δ.
@inline(__always)
func multiplyByDerivativeAndSumRows(_ activation: Activation, output y: UnsafePointer<Float>,
                                    _ delta: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                    biasGradient gb: UnsafeMutablePointer<Float>) {
    switch activation {
    case .relu: reluMaskAndSumRows(delta, output: y, rows: rows, columns: columns, biasGradient: gb)
    case .identity, .tanh:
        // Rows are contiguous, so the derivative runs over the whole batch at once
        // (narrow layers would otherwise spend their time in per-row loop tails).
        multiplyByDerivative(activation, output: y, delta, count: rows * columns)
        sumRows(delta, rows: rows, columns: columns, into: gb)
    }
}

/// δ ← δ ⊙ act′(z), with act′ written through the activation's output y:
/// relu′ = [y > 0], tanh′ = 1 − y².
@inline(__always)
func multiplyByDerivative(_ activation: Activation, output y: UnsafePointer<Float>,
                          _ delta: UnsafeMutablePointer<Float>, count: Int) {
    switch activation {
    case .identity: break
    case .relu: reluMask(delta, output: y, count: count)
    case .tanh: for i in 0..<count { delta[i] *= 1 - y[i] * y[i] }
    }
}
