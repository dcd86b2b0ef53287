import Foundation
import Testing
@testable import Pipeline

/// The paper's candidate list (Table 1's sizes).
let paperSizes: [[Int]] = [[1, 1], [4, 4], [8, 8], [16, 16], [32, 32], [64, 64], [128, 128], [256, 256], [400, 300]]

/// Runs a search to the end against `returnOf(sizes, seed)`; counts distinct sizes probed per phase.
func drive(_ search: inout SizeSearch, _ returnOf: (SizePair, UInt64) -> Double) -> [SizeSearch.Phase: Int] {
    var trained: [SizeSearch.Phase: Set<SizePair>] = [:]
    var guardSteps = 0
    while let probe = search.next {
        trained[probe.phase, default: []].insert(probe.sizes)
        search.record(returns: probe.seeds.map { returnOf(probe.sizes, $0) })
        guardSteps += 1
        if guardSteps > 100 { Issue.record("the search does not end"); break }
    }
    return trained.mapValues(\.count)
}

struct SizeSearchTests {
    static let log2Bound = Int(ceil(log2(Double(paperSizes.count)))) + 1   // ⌈log₂ 9⌉ + 1 = 5

    /// For every place the symmetric boundary and the asymmetric boundary can
    /// be, a monotone stub (a size passes iff critic index ≥ c and actor index ≥ a)
    /// is searched exactly, within the probe bound.
    @Test func findsExactlyTheSmallestPassingSizesWithinTheBound() {
        let n = paperSizes.count
        for c in 0...n {
            for a in 0...min(c, n - 1) {
                func passes(_ p: SizePair) -> Bool {
                    let ai = paperSizes.firstIndex(of: p.actor)!, ci = paperSizes.firstIndex(of: p.critic)!
                    return ci >= c && ai >= a
                }
                // Returns spread over seeds with mean −100 (passes −160 − 16) or −300 (fails).
                let stub = { (p: SizePair, seed: UInt64) in (passes(p) ? -100.0 : -300.0) + (seed == 0 ? 20 : -20) }
                var search = SizeSearch(sizes: paperSizes, seeds: [0, 1], threshold: .given(-160))
                let probes = drive(&search, stub)
                let outcome = search.outcome!
                #expect((probes[.symmetric] ?? 0) <= Self.log2Bound)
                #expect((probes[.asymmetric] ?? 0) <= Self.log2Bound)
                #expect(probes[.baseline] == nil)
                if c == n {
                    #expect(outcome.symmetric == nil && outcome.asymmetric == nil, "c=\(c)")
                    #expect(probes[.asymmetric] == nil)
                } else {
                    #expect(outcome.symmetric == paperSizes[c], "c=\(c) a=\(a)")
                    #expect(outcome.asymmetric == SizePair(actor: paperSizes[a], critic: paperSizes[c]), "c=\(c) a=\(a)")
                }
                #expect(outcome.contradictions.isEmpty)
                // Every record holds the probe's sizes, seeds, returns and what it decided.
                for r in search.records {
                    #expect(r.seeds == [0, 1] && r.returns.count == 2 && r.mean == r.returns.reduce(0, +) / 2)
                    #expect(r.passed == passes(r.sizes) && !r.decision.isEmpty)
                }
            }
        }
    }

    /// A stub whose return grows smoothly with both sizes: the threshold comes
    /// from the baseline's mean with the 10 % tolerance, and the result is the
    /// smallest size meeting it, computed here by brute force.
    @Test func derivesTheThresholdFromTheBaseline() throws {
        func params(_ h: [Int]) -> Double { Double(ParameterCountStub.mlp(3, h, 1)) }
        // Return rises with the critic's size more than with the actor's (the paper's hypothesis).
        let stub = { (p: SizePair, seed: UInt64) -> Double in
            -1000 / (1 + params(p.critic) / 50) - 300 / (1 + params(p.actor) / 5) - 130 + Double(seed)
        }
        let baseline = SizePair(actor: [400, 300], critic: [400, 300])
        var search = SizeSearch(sizes: paperSizes, seeds: Array(0..<6), threshold: .fromBaseline, baseline: baseline)
        let probes = drive(&search, stub)
        let outcome = try #require(search.outcome)
        let baselineMean = (0..<6).map { stub(baseline, UInt64($0)) }.reduce(0, +) / 6
        #expect(outcome.baselineMean == baselineMean && outcome.threshold == baselineMean)
        #expect(outcome.passMark == baselineMean - 0.1 * abs(baselineMean))
        func mean(_ p: SizePair) -> Double { (0..<6).map { stub(p, UInt64($0)) }.reduce(0, +) / 6 }
        let smallestSymmetric = paperSizes.first { mean(SizePair(actor: $0, critic: $0)) >= outcome.passMark }!
        let smallestActor = paperSizes.first { mean(SizePair(actor: $0, critic: smallestSymmetric)) >= outcome.passMark }!
        #expect(outcome.symmetric == smallestSymmetric)
        #expect(outcome.asymmetric == SizePair(actor: smallestActor, critic: smallestSymmetric))
        #expect(smallestActor != smallestSymmetric, "the stub should make asymmetry pay")
        #expect(probes[.baseline] == 1)
        #expect(probes[.symmetric]! <= Self.log2Bound && probes[.asymmetric]! <= Self.log2Bound)
        #expect(search.records.first?.phase == .baseline)
    }

    /// The baseline at a symmetric candidate size is not trained twice.
    @Test func reusesTheBaselineWhenTheSearchProbesItsSizes() {
        let sizes: [[Int]] = [[4], [8], [16]]
        var search = SizeSearch(sizes: sizes, seeds: [0], threshold: .given(-10), baseline: SizePair(actor: [8], critic: [8]))
        var asked: [SizePair] = []
        while let p = search.next {
            asked.append(p.sizes)
            search.record(returns: [p.sizes.actor == [4] ? -100 : -1])
        }
        // Baseline [8] (also the first symmetric probe), then [4] fails → symmetric [8]; actor [4] with critic [8] fails.
        #expect(asked == [SizePair(actor: [8], critic: [8]), SizePair(actor: [4], critic: [4]),
                          SizePair(actor: [4], critic: [8])])
        #expect(search.records.count == 4)
        #expect(search.outcome?.symmetric == [8])
        #expect(search.outcome?.asymmetric == SizePair(actor: [8], critic: [8]))
    }

    /// Non-monotone returns: the result is still a probed boundary (passes,
    /// next smaller fails), not necessarily the smallest passing size.
    @Test func nonMonotoneReturnsGiveABoundary() throws {
        // Symmetric passes at [16,16] and from [256,256] up, not at [32,32]…[128,128]: a dip.
        let passing: Set<[Int]> = [[16, 16], [256, 256], [400, 300]]
        var search = SizeSearch(sizes: paperSizes, seeds: [0], threshold: .given(-10))
        _ = drive(&search) { p, _ in passing.contains(p.critic) && p.actor == p.critic ? 0 : -100 }
        let outcome = try #require(search.outcome)
        // First probe [32,32] fails, so the search looks only above it and settles on [256,256].
        #expect(search.records.first?.sizes.actor == [32, 32])
        #expect(outcome.symmetric == [256, 256])
        let record = { (s: [Int]) in search.records.first { $0.phase == .symmetric && $0.sizes.actor == s } }
        #expect(record([256, 256])?.passed == true && record([128, 128])?.passed == false)
        // Its own probes look monotone: nothing to flag.
        #expect(outcome.contradictions.isEmpty)
    }

    /// A baseline that fails while a smaller size passes contradicts the
    /// method's assumption, and the outcome says so.
    @Test func aBaselineThatContradictsTheSearchIsFlagged() throws {
        let sizes: [[Int]] = [[4], [8], [16], [32]]
        var search = SizeSearch(sizes: sizes, seeds: [0, 1], threshold: .given(-100), baseline: SizePair(actor: [32], critic: [32]))
        _ = drive(&search) { p, _ in p.critic == [32] ? -500 : (p.critic == [8] || p.critic == [16]) && p.actor == p.critic ? -90 : -300 }
        let outcome = try #require(search.outcome)
        #expect(outcome.symmetric == [8])
        #expect(outcome.baselineMean == -500 && outcome.threshold == -100)
        #expect(outcome.contradictions.count == 2)   // [8] and [16] pass, the larger baseline [32] fails
        #expect(outcome.contradictions.allSatisfy { $0.contains("actor [32] critic [32] fails") })
    }
}

/// Weights plus biases of obs → hidden… → act, written out here so the test
/// does not lean on the code it checks.
enum ParameterCountStub {
    static func mlp(_ inputs: Int, _ hidden: [Int], _ outputs: Int) -> Int {
        let w = [inputs] + hidden + [outputs]
        return zip(w, w.dropFirst()).map { $0 * $1 + $1 }.reduce(0, +)
    }
}
