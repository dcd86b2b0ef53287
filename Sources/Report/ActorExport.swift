#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nets

// The trained actor as something a microcontroller can run: the network, how
// its output becomes the action the agent's deterministic evaluation takes,
// and (PPO, TRPO) the frozen observation normaliser in front of it.

/// How an actor network's output becomes the deterministic action, one case per
/// policy head, matching each agent's `act(explore: false)` / evaluation.
public enum ActorHead: Sendable, Equatable, Codable {
    /// DDPG, TD3: the network ends in tanh; a = limit · y (`TanhDeterministicHead`).
    case tanhDeterministic(actionLimit: [Float])
    /// SAC: the network outputs μ then raw log σ; the deterministic action is
    /// a = limit · tanh(μ) (`SquashedGaussianHead.sample` with no noise). Log σ is unused.
    case squashedGaussianMean(actionLimit: [Float])
    /// PPO, TRPO (box actions): the Gaussian mean, clipped to the bounds as the
    /// agents clip what they send to the environment.
    case gaussianMean(low: [Float], high: [Float])
    /// Discrete actions (PPO, TRPO, discrete SAC): the index of the largest
    /// logit, the first on ties (`CategoricalHead.mode`), written as one Float.
    case argmax(actionCount: Int)

    /// Floats the action occupies.
    public var actionFloats: Int {
        switch self {
        case .tanhDeterministic(let l), .squashedGaussianMean(let l): return l.count
        case .gaussianMean(let low, _): return low.count
        case .argmax: return 1
        }
    }

    /// Network outputs the head reads.
    var networkOutputs: Int {
        switch self {
        case .tanhDeterministic(let l): return l.count
        case .squashedGaussianMean(let l): return 2 * l.count
        case .gaussianMean(let low, _): return low.count
        case .argmax(let n): return n
        }
    }

    /// Of the network's outputs, how many the action depends on (SAC's log σ
    /// columns are not needed to act, so the export leaves them out).
    var usedOutputs: Int {
        if case .squashedGaussianMean(let l) = self { return l.count }
        return networkOutputs
    }
}

/// Baselines' `VecNormalize` observation filter, frozen at its training
/// statistics (PPO and TRPO with `normalize_observations`):
/// y = clip((x − mean)/√(var + ε), ±clip), computed in double then rounded to
/// Float, as the on-policy agents' `RunningMeanStd.normalize`.
public struct ObservationNormalizer: Sendable, Equatable, Codable {
    public var mean: [Double]
    public var variance: [Double]
    public var epsilon: Double
    public var clip: Float

    public init(mean: [Double], variance: [Double], epsilon: Double = 1e-8, clip: Float = 10) {
        precondition(mean.count == variance.count, "mean and variance differ in length")
        self.mean = mean; self.variance = variance; self.epsilon = epsilon; self.clip = clip
    }

    /// √(var + ε) per dimension (what the C export stores).
    var scale: [Double] { variance.map { ($0 + epsilon).squareRoot() } }

    func normalize(_ x: [Float]) -> [Float] {
        let s = scale
        return x.indices.map { j in
            let z = Float((Double(x[j]) - mean[j]) / s[j])
            return min(max(z, -clip), clip)
        }
    }
}

public enum ActorExportError: Error, Equatable, CustomStringConvertible {
    case shapeMismatch(String)
    case nonFiniteParameter(index: Int)

    public var description: String {
        switch self {
        case .shapeMismatch(let what): return "the actor cannot be exported: \(what)"
        case .nonFiniteParameter(let i): return "the actor cannot be exported: parameter \(i) is not finite"
        }
    }
}

/// A trained actor ready to export: its network, its head and its observation filter.
public struct ExportableActor: Sendable, Equatable {
    public let network: MLP
    public let head: ActorHead
    public let normalizer: ObservationNormalizer?

    public init(network: MLP, head: ActorHead, normalizer: ObservationNormalizer? = nil) throws {
        guard network.outputCount == head.networkOutputs else {
            throw ActorExportError.shapeMismatch("the network has \(network.outputCount) outputs, the head reads \(head.networkOutputs)")
        }
        if let n = normalizer, n.mean.count != network.inputCount {
            throw ActorExportError.shapeMismatch("the normaliser has \(n.mean.count) dimensions, the network \(network.inputCount) inputs")
        }
        if case .gaussianMean(let low, let high) = head, low.count != high.count {
            throw ActorExportError.shapeMismatch("action bounds differ in length")
        }
        if case .tanhDeterministic = head, network.outputActivation != .tanh {
            throw ActorExportError.shapeMismatch("a deterministic tanh head needs a network ending in tanh")
        }
        if let bad = network.parameters.firstIndex(where: { !$0.isFinite }) {
            throw ActorExportError.nonFiniteParameter(index: bad)
        }
        self.network = network; self.head = head; self.normalizer = normalizer
    }

    public var observationCount: Int { network.inputCount }
    public var actionCount: Int { head.actionFloats }

    /// The deterministic action in Swift, through the same Nets code the agents
    /// evaluate with (forward at batch 1, then the policy head). The reference the C must match.
    public func action(_ observation: [Float]) -> [Float] {
        precondition(observation.count == observationCount, "observation has \(observation.count) values, not \(observationCount)")
        let input = normalizer?.normalize(observation) ?? observation
        let ws = network.makeWorkspace(batch: 1)
        var action = [Float](repeating: 0, count: actionCount)
        input.withUnsafeBufferPointer { o in
            let y = network.forward(o.baseAddress!, batch: 1, workspace: ws)
            action.withUnsafeMutableBufferPointer { a in
                let out = a.baseAddress!
                switch head {
                case .tanhDeterministic(let limit):
                    TanhDeterministicHead(actionLimit: limit).actions(netOutput: y, batch: 1, into: out)
                case .squashedGaussianMean(let limit):
                    var logProb: Float = 0
                    var squashed = [Float](repeating: 0, count: limit.count)
                    squashed.withUnsafeMutableBufferPointer { s in
                        SquashedGaussianHead(actionLimit: limit).sample(netOutput: y, noise: nil, batch: 1, actions: out,
                                                                        logProb: &logProb, squashed: s.baseAddress!)
                    }
                case .gaussianMean(let low, let high):
                    for j in low.indices { out[j] = min(max(y[j], low[j]), high[j]) }
                case .argmax(let n):
                    out[0] = Float(CategoricalHead(actionCount: n).mode(logits: y))
                }
            }
        }
        return action
    }

    // MARK: - Footprint

    /// Floats the C export stores as weights (SAC's log σ columns left out).
    public var exportedParameterCount: Int {
        let w = network.widths
        var total = 0
        for l in 0..<(w.count - 1) {
            let fanOut = l == w.count - 2 ? head.usedOutputs : w[l + 1]
            total += w[l] * fanOut + fanOut
        }
        return total
    }

    /// Flash for the constant data: 4 bytes per weight, 8 per normaliser
    /// constant (mean and scale), 4 per action bound or limit. Code is not
    /// counted (a few hundred bytes for the loops on a Cortex-M).
    public var flashBytes: Int {
        let constants: Int
        switch head {
        case .tanhDeterministic(let l), .squashedGaussianMean(let l): constants = 4 * l.count
        case .gaussianMean(let low, let high): constants = 4 * (low.count + high.count)
        case .argmax: constants = 0
        }
        return 4 * exportedParameterCount + constants + 16 * (normalizer?.mean.count ?? 0)
    }

    /// RAM while `actor` runs: its activation buffers on the stack (one or two
    /// of the widest layer's width, ping-pong), nothing static.
    public var ramBytes: Int { 4 * bufferWidth * bufferCount }

    var bufferWidth: Int { max(network.widths.dropFirst().max() ?? 1, network.inputCount) }
    var bufferCount: Int { min(2, network.layerCount + (normalizer == nil ? 0 : 1)) }
}

// MARK: - C99 source

extension ExportableActor {
    /// Dependency-free C99 computing this actor's deterministic action:
    /// `void actor(const float *obs, float *act)`. Weights are `const float`
    /// arrays (row-major fanIn × fanOut, as in `MLP`); each layer accumulates
    /// Σ_p x_p·W[p][j] from p = 0 upward and then adds the bias, the order of
    /// Nets' sgemm-free small-product loop, so below that loop's size limit
    /// the C and Swift results agree bit for bit (sgemm-sized layers agree to
    /// rounding). tanh layers use the same rational approximation as training
    /// (`fastTanh`). Only SAC (tanhf) and a normaliser (none: division only)
    /// reach for <math.h>; link with -lm for SAC.
    public func cSource(comment: String = "") -> String {
        let w = network.widths
        let layers = w.count - 1
        var out = ""
        out += "/* Generated by asym: a trained actor as dependency-free C99.\n"
        for line in comment.split(separator: "\n", omittingEmptySubsequences: false) where !comment.isEmpty {
            out += " * \(line)\n"
        }
        out += " *\n"
        out += " *   void actor(const float *obs, float *act);\n"
        out += " *\n"
        out += " * obs: \(observationCount) floats, act: \(actionCount) floats (\(headDescription)).\n"
        out += " * Layers \(w.map(String.init).joined(separator: " -> ")), hidden \(network.hiddenActivation.rawValue), output \(network.outputActivation.rawValue).\n"
        out += " * Footprint: \(flashBytes) bytes of constant data (flash), \(ramBytes) bytes of stack (RAM).\n"
        out += " * Build without -ffast-math and without FMA contraction (-ffp-contract=off):\n"
        out += " * either reorders the sums and changes the last bits.\n"
        out += " */\n"
        let needsMath: Bool = { if case .squashedGaussianMean = head { return true }; return false }()
        if needsMath { out += "#include <math.h>\n" }
        out += "\n#define ACTOR_OBSERVATIONS \(observationCount)\n#define ACTOR_ACTIONS \(actionCount)\n\n"
        out += "void actor(const float *obs, float *act);\n\n"

        network.parameters.withUnsafeBufferPointer { p in
            for l in 0..<layers {
                let fanIn = w[l], fanOut = w[l + 1]
                let usedOut = l == layers - 1 ? head.usedOutputs : fanOut
                let range = network.layerRange(l)
                let wBase = range.lowerBound, bBase = wBase + fanIn * fanOut
                var weights: [Float] = []
                weights.reserveCapacity(fanIn * usedOut)
                for i in 0..<fanIn { for j in 0..<usedOut { weights.append(p[wBase + i * fanOut + j]) } }
                let bias = (0..<usedOut).map { p[bBase + $0] }
                out += "/* layer \(l): \(fanIn) -> \(usedOut), W[\(fanIn)][\(usedOut)] row-major */\n"
                out += cArray("W\(l)", weights)
                out += cArray("B\(l)", bias)
            }
        }
        switch head {
        case .tanhDeterministic(let limit), .squashedGaussianMean(let limit):
            out += cArray("ACTION_LIMIT", limit)
        case .gaussianMean(let low, let high):
            out += cArray("ACTION_LOW", low)
            out += cArray("ACTION_HIGH", high)
        case .argmax: break
        }
        if let n = normalizer {
            out += "/* observation filter: clip((x - mean) / sqrt(var + eps), +-\(cFloat(n.clip))) in double */\n"
            out += cDoubleArray("OBS_MEAN", n.mean)
            out += cDoubleArray("OBS_SCALE", n.scale)
        }
        let usesTanh = network.hiddenActivation == .tanh || network.outputActivation == .tanh
        if usesTanh { out += fastTanhC }
        out += layerFunction(withTanh: usesTanh)

        // The actor: normalise, run the layers through two buffers, apply the head.
        let widest = bufferWidth
        var body = ""
        var used: Set<String> = []
        var input = "obs"
        if let n = normalizer {
            let c = cFloat(n.clip)
            body += "    for (i = 0; i < \(w[0]); i++) {\n"
            body += "        float z = (float)(((double)obs[i] - OBS_MEAN[i]) / OBS_SCALE[i]);\n"
            body += "        a[i] = z < -\(c) ? -\(c) : (z > \(c) ? \(c) : z);\n"
            body += "    }\n"
            input = "a"; used.insert("a")
        }
        var buffers = input == "a" ? ["b", "a"] : ["a", "b"]
        for l in 0..<layers {
            let last = l == layers - 1
            let act = last ? network.outputActivation : network.hiddenActivation
            let usedOut = last ? head.usedOutputs : w[l + 1]
            let target = buffers[0]
            body += "    layer(\(input), W\(l), B\(l), \(target), \(w[l]), \(usedOut), \(activationCode(act)));\n"
            input = target; used.insert(target)
            buffers.swapAt(0, 1)
        }
        body += headCode(input)
        out += "void actor(const float *obs, float *act)\n{\n"
        out += "    float " + used.sorted().map { "\($0)[\(widest)]" }.joined(separator: ", ") + ";\n"
        if normalizer != nil { out += "    int i;\n" }
        out += body
        out += "}\n"
        return out
    }

    var headDescription: String {
        switch head {
        case .tanhDeterministic: return "limit * tanh-deterministic output (DDPG/TD3)"
        case .squashedGaussianMean: return "limit * tanh(mean) of the squashed Gaussian (SAC)"
        case .gaussianMean: return "Gaussian mean clipped to the action bounds (PPO/TRPO)"
        case .argmax(let n): return "index of the largest of \(n) logits, as a float"
        }
    }

    func headCode(_ y: String) -> String {
        switch head {
        case .tanhDeterministic(let limit):
            return "    {\n        int j;\n        for (j = 0; j < \(limit.count); j++) act[j] = ACTION_LIMIT[j] * \(y)[j];\n    }\n"
        case .squashedGaussianMean(let limit):
            return "    {\n        int j;\n        for (j = 0; j < \(limit.count); j++) act[j] = ACTION_LIMIT[j] * tanhf(\(y)[j]);\n    }\n"
        case .gaussianMean(let low, _):
            return """
                {
                    int j;
                    for (j = 0; j < \(low.count); j++) {
                        float m = \(y)[j] > ACTION_LOW[j] ? \(y)[j] : ACTION_LOW[j];
                        act[j] = ACTION_HIGH[j] < m ? ACTION_HIGH[j] : m;
                    }
                }

            """
        case .argmax(let n):
            return "    {\n        int k, best = 0;\n        for (k = 1; k < \(n); k++) if (\(y)[k] > \(y)[best]) best = k;\n        act[0] = (float)best;\n    }\n"
        }
    }

    func activationCode(_ a: Activation) -> String {
        switch a { case .identity: return "0"; case .relu: return "1"; case .tanh: return "2" }
    }
}

/// The shared layer loop: y = act(x·W + b). Each y[j] starts at 0 and
/// accumulates x[p]·W[p][j] for p = 0, 1, …, then the bias is added.
private func layerFunction(withTanh: Bool) -> String {
    let tanhLine = withTanh ? "        else if (act == 2) v = fast_tanh(v);\n" : ""
    return """
    /* y = act(x W + b); act: 0 identity, 1 ReLU\(withTanh ? ", 2 tanh (fast_tanh)" : ""). */
    static void layer(const float *x, const float *w, const float *bias, float *y,
                      int fan_in, int fan_out, int act)
    {
        int p, j;
        for (j = 0; j < fan_out; j++) y[j] = 0.0f;
        for (p = 0; p < fan_in; p++) {
            const float xp = x[p];
            const float *row = w + p * fan_out;
            for (j = 0; j < fan_out; j++) y[j] += xp * row[j];
        }
        for (j = 0; j < fan_out; j++) {
            float v = y[j] + bias[j];
            if (act == 1) v = v > 0.0f ? v : 0.0f;
    \(tanhLine)        y[j] = v;
        }
    }


    """
}

/// Nets' `fastTanh`, term for term. The constants are printed from Swift
/// Float literals, converted exactly as `fastTanh`'s own, so the C rounds the same.
private var fastTanhC: String {
    func f(_ x: Float) -> String { cFloat(x) }
    return """
    /* tanh as the 13/6 odd rational approximation training uses (Eigen's float
     * tanh): identity for |a| < 4e-4, argument clamped to +-7.905. */
    static float fast_tanh(float a)
    {
        const float bound = \(f(7.90531110763549805));
        float x = a > bound ? bound : a;
        float x2, p, q;
        x = x < -bound ? -bound : x;
        x2 = x * x;
        p = x2 * \(f(-2.76076847742355e-16)) + \(f(2.00018790482477e-13));
        p = x2 * p + \(f(-8.60467152213735e-11));
        p = x2 * p + \(f(5.12229709037114e-08));
        p = x2 * p + \(f(1.48572235717979e-05));
        p = x2 * p + \(f(6.37261928875436e-04));
        p = x2 * p + \(f(4.89352455891786e-03));
        p = x * p;
        q = x2 * \(f(1.19825839466702e-06)) + \(f(1.18534705686654e-04));
        q = x2 * q + \(f(2.26843463243900e-03));
        q = x2 * q + \(f(4.89352518554385e-03));
        return (a < \(f(0.0004)) && a > \(f(-0.0004))) ? a : p / q;
    }


    """
}

/// A C float literal that parses back to exactly `x` (Swift prints the shortest round-trip form).
func cFloat(_ x: Float) -> String {
    var s = x.description
    if !s.contains(".") && !s.contains("e") { s += ".0" }
    return s + "f"
}

func cArray(_ name: String, _ values: [Float]) -> String {
    var out = "static const float \(name)[\(max(values.count, 1))] = {"
    for (i, v) in values.enumerated() {
        out += i % 8 == 0 ? "\n    " : " "
        out += cFloat(v) + ","
    }
    return out + "\n};\n\n"
}

func cDoubleArray(_ name: String, _ values: [Double]) -> String {
    var out = "static const double \(name)[\(max(values.count, 1))] = {"
    for (i, v) in values.enumerated() {
        out += i % 4 == 0 ? "\n    " : " "
        var s = v.description
        if !s.contains(".") && !s.contains("e") { s += ".0" }
        out += s + ","
    }
    return out + "\n};\n\n"
}
