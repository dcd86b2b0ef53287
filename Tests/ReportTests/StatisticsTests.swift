import Testing
@testable import Report

// Reference values computed with SciPy 1.17.1 (scipy.stats.ttest_ind(a, b,
// equal_var=False), scipy.stats.t.cdf, scipy.special.betainc) in a throwaway
// virtual environment; printed with repr, so every digit is SciPy's.
@Suite("Statistics")
struct StatisticsTests {
    @Test("Welch's t and two-sided p match SciPy's ttest_ind(equal_var=False)")
    func welchMatchesSciPy() throws {
        let cases: [(a: [Double], b: [Double], t: Double, p: Double)] = [
            ([1, 2, 3, 4, 5, 6], [2.5, 3.5, 4.5, 5.5, 6.5, 9.0], -1.4388962906378164, 0.18206275561363394),
            ([-145.2, -150.1, -139.8, -160.3, -148.0, -142.7], [-158.9, -163.2, -151.0, -170.4, -155.5, -154.8],
             2.764499877445504, 0.01999465479556195),
            ([0.1, 0.2, 0.15], [10.0, -3.0, 4.0, 8.0, 1.0], -1.6415211629844988, 0.17601197720845727),
            ([3087.0, 3950.5, 2100.2, 4500.1, 3300.0, 2999.9], [3553.0, 3100.2, 3900.4, 3700.0, 3400.9, 3200.1],
             -0.4241425811764056, 0.6855361050852269),
        ]
        for c in cases {
            let w = try #require(Statistics.welch(c.a, c.b))
            #expect(abs(w.t - c.t) <= 1e-12 * abs(c.t), "t for \(c.a) vs \(c.b)")
            #expect(abs(w.pValue - c.p) <= 1e-10 * c.p, "p for \(c.a) vs \(c.b): \(w.pValue) vs \(c.p)")
        }
    }

    @Test("Student t CDF and the regularised incomplete beta match SciPy")
    func cdfAndBetaMatchSciPy() {
        #expect(abs(Statistics.studentTCDF(-1.5, degreesOfFreedom: 3.7) - 0.10679908460100675) < 1e-12)
        #expect(abs(Statistics.studentTCDF(2.2, degreesOfFreedom: 12) - 0.9759315932774888) < 1e-12)
        #expect(abs(Statistics.studentTCDF(0.3, degreesOfFreedom: 1) - 0.5927735790777423) < 1e-12)
        #expect(abs(Statistics.regularizedIncompleteBeta(a: 2.5, b: 0.5, x: 0.3) - 0.018927124071945658) < 1e-13)
        #expect(abs(Statistics.regularizedIncompleteBeta(a: 0.5, b: 7, x: 0.9) - 0.9999999780702157) < 1e-13)
        #expect(abs(Statistics.regularizedIncompleteBeta(a: 30, b: 40, x: 0.42) - 0.4470495308604757) < 1e-12)
    }

    @Test("Welch's test is symmetric and undefined without spread")
    func edgeCases() throws {
        let a: [Double] = [1, 2, 4], b: [Double] = [3, 5, 9, 10]
        let ab = try #require(Statistics.welch(a, b)), ba = try #require(Statistics.welch(b, a))
        #expect(ab.t == -ba.t && ab.pValue == ba.pValue)
        #expect(Statistics.welch([1], [2, 3]) == nil)
        #expect(Statistics.welch([2, 2], [2, 2]) == nil)
        #expect(Statistics.studentTTwoSidedP(t: 0, degreesOfFreedom: 5) == 1)
    }

    @Test("Summary uses the population standard deviation (NumPy's np.std)")
    func summary() {
        let s = Summary([2, 4, 4, 4, 5, 5, 7, 9])
        #expect(s.count == 8 && s.mean == 5 && s.std == 2)
        #expect(Summary([]).mean.isNaN)
    }
}
