#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Nets
import Envs

// Running normalisation of observations and rewards, as OpenAI Baselines' `VecNormalize`
// (`baselines/common/vec_env/vec_normalize.py`, `baselines/common/running_mean_std.py`).

// MARK: - Running statistics (Baselines' VecNormalize)

/// Running mean and variance merged batch by batch (Chan et al.'s parallel
/// formula), as Baselines' `RunningMeanStd`: starts at mean 0, variance 1 and a
/// pseudo-count of 1e-4.
public struct RunningMeanStd: Sendable, Equatable {
    public var mean: [Double]
    public var variance: [Double]
    public var count: Double

    public init(dimension: Int) {
        mean = [Double](repeating: 0, count: dimension)
        variance = [Double](repeating: 1, count: dimension)
        count = 1e-4
    }

    public var dimension: Int { mean.count }

    /// Merges `rows` rows of `x` (rows × dimension), read with row stride `stride`.
    public mutating func update(_ x: UnsafePointer<Float>, rows: Int, stride: Int? = nil) {
        let d = dimension, s = stride ?? d, n = Double(rows)
        for j in 0..<d {
            var m = 0.0
            for r in 0..<rows { m += Double(x[r * s + j]) }
            m /= n
            var v = 0.0
            for r in 0..<rows { let c = Double(x[r * s + j]) - m; v += c * c }
            v /= n
            let delta = m - mean[j], total = count + n
            let m2 = variance[j] * count + v * n + delta * delta * count * n / total
            mean[j] += delta * n / total
            variance[j] = m2 / total
        }
        count += n
    }

    /// Same update for doubles (the reward normaliser's running returns).
    public mutating func update(_ x: [Double]) {
        let n = Double(x.count)
        var m = 0.0
        for v in x { m += v }
        m /= n
        var v = 0.0
        for xi in x { v += (xi - m) * (xi - m) }
        v /= n
        let delta = m - mean[0], total = count + n
        let m2 = variance[0] * count + v * n + delta * delta * count * n / total
        mean[0] += delta * n / total
        variance[0] = m2 / total
        count += n
    }

    func stateDict() -> StateDict {
        var s = StateDict()
        s.doubles["mean"] = mean; s.doubles["variance"] = variance; s.doubles["count"] = [count]
        return s
    }

    mutating func load(_ s: StateDict) throws {
        mean = try s.double("mean", count: dimension)
        variance = try s.double("variance", count: dimension)
        count = try s.double("count", count: 1)[0]
    }
}

/// VecNormalize's constants: ε under the square root and the clip bound.
let normalizerEpsilon = 1e-8
let normalizerClip: Float = 10

extension RunningMeanStd {
    /// y = clip((x − mean)/√(var + ε), ±10) for one row.
    func normalize(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        for j in 0..<dimension {
            let z = Float((Double(x[j]) - mean[j]) / (variance[j] + normalizerEpsilon).squareRoot())
            y[j] = min(max(z, -normalizerClip), normalizerClip)
        }
    }
}

