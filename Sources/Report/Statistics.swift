#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Summary statistics over seeds and Welch's t-test for `asym diff`.

/// Mean and standard deviation of a sample of per-seed values.
public struct Summary: Sendable, Equatable, Codable {
    public let count: Int
    public let mean: Double
    /// Population standard deviation (divides by n, as NumPy's `np.std` and
    /// Spinning Up's logger): the "± std over seeds" of tables and bands.
    public let std: Double

    public init(count: Int, mean: Double, std: Double) {
        self.count = count; self.mean = mean; self.std = std
    }

    /// Summarises `values`; an empty sample has count 0 and NaN moments.
    public init(_ values: [Double]) {
        count = values.count
        guard !values.isEmpty else { mean = .nan; std = .nan; return }
        let m = values.reduce(0, +) / Double(values.count)
        var ss = 0.0
        for v in values { ss += (v - m) * (v - m) }
        mean = m
        std = (ss / Double(values.count)).squareRoot()
    }
}

/// The result of Welch's unequal-variances t-test.
public struct WelchTest: Sendable, Equatable {
    /// t = (mean_a − mean_b) / √(s_a²/n_a + s_b²/n_b), sample variances (n − 1).
    public let t: Double
    /// Welch–Satterthwaite degrees of freedom.
    public let degreesOfFreedom: Double
    /// Two-sided p-value P(|T| ≥ |t|) under the null of equal means.
    public let pValue: Double
}

public enum Statistics {
    /// Sample variance (divides by n − 1).
    public static func sampleVariance(_ x: [Double]) -> Double {
        precondition(x.count > 1, "a sample variance needs two values")
        let m = x.reduce(0, +) / Double(x.count)
        var ss = 0.0
        for v in x { ss += (v - m) * (v - m) }
        return ss / Double(x.count - 1)
    }

    /// Welch's t-test of `a` against `b` (Welch 1947). Returns nil when either
    /// side has fewer than two values, or both have zero variance (no test is
    /// possible: the means either are equal or differ without noise).
    public static func welch(_ a: [Double], _ b: [Double]) -> WelchTest? {
        guard a.count > 1, b.count > 1 else { return nil }
        let na = Double(a.count), nb = Double(b.count)
        let ma = a.reduce(0, +) / na, mb = b.reduce(0, +) / nb
        let va = sampleVariance(a) / na, vb = sampleVariance(b) / nb
        let se2 = va + vb
        guard se2 > 0 else { return nil }
        let t = (ma - mb) / se2.squareRoot()
        let df = se2 * se2 / (va * va / (na - 1) + vb * vb / (nb - 1))
        return WelchTest(t: t, degreesOfFreedom: df, pValue: studentTTwoSidedP(t: t, degreesOfFreedom: df))
    }

    /// P(|T| ≥ |t|) for Student's t with ν degrees of freedom:
    /// I_{ν/(ν+t²)}(ν/2, 1/2), the regularised incomplete beta function.
    public static func studentTTwoSidedP(t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "degrees of freedom must be positive")
        if t.isNaN { return .nan }
        if t.isInfinite { return 0 }
        return regularizedIncompleteBeta(a: nu / 2, b: 0.5, x: nu / (nu + t * t))
    }

    /// The cumulative distribution function of Student's t with ν degrees of freedom.
    public static func studentTCDF(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        let tail = studentTTwoSidedP(t: t, degreesOfFreedom: nu) / 2
        return t >= 0 ? 1 - tail : tail
    }

    /// I_x(a, b) = B(x; a, b) / B(a, b) for a, b > 0 and x in [0, 1], by the
    /// continued fraction of Abramowitz & Stegun 26.5.8 evaluated with the
    /// modified Lentz method, on whichever of x and 1 − x makes it converge
    /// fast (x < (a + 1)/(a + b + 2)); the other by the symmetry
    /// I_x(a, b) = 1 − I_{1−x}(b, a).
    public static func regularizedIncompleteBeta(a: Double, b: Double, x: Double) -> Double {
        precondition(a > 0 && b > 0, "beta parameters must be positive")
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        // x^a (1 − x)^b / (a B(a, b)), in logs to survive large a and b.
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(a: a, b: b, x: x) / a
        }
        let logFrontSwapped = lgamma(a + b) - lgamma(a) - lgamma(b) + b * log1p(-x) + a * log(x)
        return 1 - exp(logFrontSwapped) * betaContinuedFraction(a: b, b: a, x: 1 - x) / b
    }

    /// The continued fraction 1/(1+ d₁/(1+ d₂/(1+ …))) of A&S 26.5.8 with
    /// d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)), d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)).
    static func betaContinuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300, epsilon = 1e-16
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            // Even step.
            var numerator = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            // Odd step.
            numerator = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return h
    }
}
