import Testing
import Foundation
@testable import Nets

/// An independent Double-precision evaluation of an `MLP`, read from its flat
/// parameters: the oracle for central finite differences.
func referenceForward(_ net: MLP, parameters: [Double], input: [Double], batch: Int) -> [Double] {
    var x = input
    for l in 0..<net.layerCount {
        let fanIn = net.widths[l], fanOut = net.widths[l + 1]
        let w = net.weightOffsets[l], b = net.biasOffsets[l]
        var y = [Double](repeating: 0, count: batch * fanOut)
        let act = l == net.layerCount - 1 ? net.outputActivation : net.hiddenActivation
        for r in 0..<batch {
            for j in 0..<fanOut {
                var z = parameters[b + j]
                for i in 0..<fanIn { z += x[r * fanIn + i] * parameters[w + i * fanOut + j] }
                switch act {
                case .identity: y[r * fanOut + j] = z
                case .relu: y[r * fanOut + j] = max(z, 0)
                case .tanh: y[r * fanOut + j] = Foundation.tanh(z)
                }
            }
        }
        x = y
    }
    return x
}

/// Relative closeness with an absolute floor, stated once for every check.
func close(_ a: Double, _ b: Double, rel: Double, abs absTol: Double) -> Bool {
    Swift.abs(a - b) <= absTol + rel * max(Swift.abs(a), Swift.abs(b))
}

func randomFloats(_ n: Int, _ rng: inout Xoshiro256, scale: Float = 1) -> [Float] {
    (0..<n).map { _ in rng.uniformFloat(-scale, scale) }
}

@Suite("MLP gradients")
struct MLPGradientTests {
    static let shapes: [(hidden: [Int], hiddenAct: Activation, outAct: Activation)] = [
        ([], .relu, .identity),            // the toy problem's 1-layer actor
        ([5, 4], .relu, .identity),
        ([5, 4], .tanh, .tanh),
        ([7], .tanh, .identity),
        ([6, 5, 3], .relu, .tanh),
    ]

    @Test("forward matches a Double reference", arguments: 0..<shapes.count)
    func forwardMatchesReference(_ c: Int) {
        let s = Self.shapes[c]
        var rng = Xoshiro256(seed: UInt64(c))
        let net = MLP(inputs: 3, hidden: s.hidden, outputs: 2, hiddenActivation: s.hiddenAct,
                      outputActivation: s.outAct, rng: &rng)
        let batch = 6
        let x = randomFloats(batch * 3, &rng, scale: 2)
        let y = net(x)
        let ref = referenceForward(net, parameters: net.parameters.map(Double.init), input: x.map(Double.init), batch: batch)
        for i in y.indices { #expect(close(Double(y[i]), ref[i], rel: 1e-5, abs: 1e-6), "output \(i)") }
    }

    @Test("backward equals central differences for parameters and inputs", arguments: 0..<shapes.count)
    func backwardMatchesFiniteDifferences(_ c: Int) {
        let s = Self.shapes[c]
        var rng = Xoshiro256(seed: 100 + UInt64(c))
        var net = MLP(inputs: 3, hidden: s.hidden, outputs: 2, hiddenActivation: s.hiddenAct,
                      outputActivation: s.outAct, rng: &rng)
        let batch = 5
        let x = randomFloats(batch * 3, &rng, scale: 2)
        let coefficients = randomFloats(batch * 2, &rng)   // L = Σ c·y
        let ws = net.makeWorkspace(batch: batch)
        x.withUnsafeBufferPointer { _ = net.forward($0.baseAddress!, batch: batch, workspace: ws) }
        net.zeroGradients()
        coefficients.withUnsafeBufferPointer { net.backward(outputGradient: $0.baseAddress!, workspace: ws, inputGradient: true) }

        let p0 = net.parameters.map(Double.init), x0 = x.map(Double.init)
        func loss(_ p: [Double], _ input: [Double]) -> Double {
            zip(referenceForward(net, parameters: p, input: input, batch: batch), coefficients).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        let h = 1e-6
        for k in p0.indices {
            var plus = p0, minus = p0
            plus[k] += h; minus[k] -= h
            let numeric = (loss(plus, x0) - loss(minus, x0)) / (2 * h)
            #expect(close(Double(net.gradients[k]), numeric, rel: 1e-4, abs: 1e-5), "parameter \(k)")
        }
        for k in x0.indices {
            var plus = x0, minus = x0
            plus[k] += h; minus[k] -= h
            let numeric = (loss(p0, plus) - loss(p0, minus)) / (2 * h)
            #expect(close(Double(ws.inputGradient[k]), numeric, rel: 1e-4, abs: 1e-5), "input \(k)")
        }
    }

    @Test("backward accumulates until gradients are zeroed")
    func backwardAccumulates() {
        var rng = Xoshiro256(seed: 7)
        var net = MLP(inputs: 2, hidden: [3], outputs: 1, rng: &rng)
        let ws = net.makeWorkspace(batch: 1)
        let x: [Float] = [0.3, -0.2], g: [Float] = [1]
        x.withUnsafeBufferPointer { _ = net.forward($0.baseAddress!, batch: 1, workspace: ws) }
        g.withUnsafeBufferPointer { net.backward(outputGradient: $0.baseAddress!, workspace: ws) }
        let once = net.gradients
        g.withUnsafeBufferPointer { net.backward(outputGradient: $0.baseAddress!, workspace: ws) }
        for i in once.indices { #expect(net.gradients[i] == 2 * once[i]) }
        net.zeroGradients()
        #expect(net.gradients.allSatisfy { $0 == 0 })
    }

    @Test("Jacobian-vector product equals the directional finite difference", arguments: 0..<shapes.count)
    func jvpMatchesFiniteDifference(_ c: Int) {
        let s = Self.shapes[c]
        var rng = Xoshiro256(seed: 200 + UInt64(c))
        let net = MLP(inputs: 3, hidden: s.hidden, outputs: 2, hiddenActivation: s.hiddenAct,
                      outputActivation: s.outAct, rng: &rng)
        let batch = 4
        let x = randomFloats(batch * 3, &rng, scale: 2)
        let v = randomFloats(net.parameterCount, &rng)
        let ws = net.makeWorkspace(batch: batch)
        x.withUnsafeBufferPointer { _ = net.forward($0.baseAddress!, batch: batch, workspace: ws) }
        let jv = v.withUnsafeBufferPointer { net.jvp(direction: $0.baseAddress!, workspace: ws) }
        let p0 = net.parameters.map(Double.init), h = 1e-6
        let plus = referenceForward(net, parameters: zip(p0, v).map { $0 + h * Double($1) }, input: x.map(Double.init), batch: batch)
        let minus = referenceForward(net, parameters: zip(p0, v).map { $0 - h * Double($1) }, input: x.map(Double.init), batch: batch)
        for i in 0..<(batch * 2) {
            #expect(close(Double(jv[i]), (plus[i] - minus[i]) / (2 * h), rel: 1e-4, abs: 1e-5), "output \(i)")
        }
    }

    @Test("initialisation is PyTorch's nn.Linear default: U(±1/√fanIn)")
    func initialisationBounds() {
        var rng = Xoshiro256(seed: 3)
        let net = MLP(inputs: 64, hidden: [256], outputs: 4, rng: &rng)
        for l in 0..<net.layerCount {
            let bound = 1 / Float(net.widths[l]).squareRoot()
            let values = net.parameters[net.layerRange(l)]
            #expect(values.allSatisfy { abs($0) <= bound })
            // Uniform on ±bound has variance bound²/3.
            let variance = values.reduce(0.0) { $0 + Double($1 * $1) } / Double(values.count)
            #expect(abs(variance / Double(bound * bound / 3) - 1) < 0.05, "layer \(l) variance \(variance)")
        }
    }

    @Test("large batches (sgemm path) agree with row-by-row passes (plain-loop path)")
    func sgemmAndPlainLoopAgree() {
        var rng = Xoshiro256(seed: 11)
        let net = MLP(inputs: 17, hidden: [64, 64], outputs: 6, rng: &rng)
        let batch = 32
        let x = randomFloats(batch * 17, &rng)
        let all = net(x)
        for r in 0..<batch {
            let one = net(Array(x[(r * 17)..<((r + 1) * 17)]))
            for j in 0..<6 { #expect(abs(one[j] - all[r * 6 + j]) <= 1e-5) }
        }
    }
}
