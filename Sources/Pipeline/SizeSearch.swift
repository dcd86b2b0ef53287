// The paper's size search (Mysore et al. 2021, §4 "Experimental Method") as a
// pure state machine: it says which sizes to train next and decides from the
// returns it is given. Training happens elsewhere (each probe seed is an
// ordinary, cached train node), so a search replayed from cached results
// retraces the same probes and decisions.
//
// 1. Baseline: the original architecture over the seeds. Its mean return is
//    the threshold unless the pipeline gives one.
// 2. Symmetric: binary search over the ordered size list for the smallest
//    [s, s] actor-critic whose mean over seeds passes.
// 3. Asymmetric: the critic locked at that size, binary search over the
//    actors smaller than it (actor = critic is known to pass).
//
// A size passes when its mean return ≥ threshold − tolerance·|threshold|
// (the paper's "threshold with a 10% tolerance"; |·| because returns are
// often negative).
//
// Monotonicity: binary search assumes that if a size passes, every larger
// one does (the paper's method assumes it too). Whatever the returns, the
// result is a probed size that passed whose next smaller size was probed and
// failed (or is the smallest in the list): a boundary. When returns are not
// monotone that boundary need not be the smallest passing size, and the
// search's own probes cannot show it (any sequence of binary-search outcomes
// fits some monotone function). What can contradict monotonicity is the
// baseline, measured apart: such pairs are listed in `Outcome.contradictions`
// so the report can say so. Nothing is probed beyond the binary search.

/// One size search's state.
public struct SizeSearch: Sendable, Codable, Equatable {
    public enum Phase: String, Sendable, Codable { case baseline, symmetric, asymmetric, done }

    /// Sizes to train over `seeds`; the search waits for their returns.
    public struct Probe: Sendable, Codable, Hashable {
        public var phase: Phase
        public var sizes: SizePair
        public var seeds: [UInt64]
    }

    /// A probe, its returns (one per seed, in seed order) and what it decided.
    public struct Record: Sendable, Codable, Equatable {
        public var phase: Phase
        public var sizes: SizePair
        public var seeds: [UInt64]
        public var returns: [Double]
        public var mean: Double
        public var passed: Bool
        public var decision: String
    }

    /// What the search found.
    public struct Outcome: Sendable, Codable, Equatable {
        public var threshold: Double
        /// threshold − tolerance·|threshold|: the mean a size must reach.
        public var passMark: Double
        public var baselineMean: Double?
        /// The smallest passing symmetric size, nil when none in the list passes.
        public var symmetric: [Int]?
        /// The smallest passing actor with the critic locked at `symmetric`.
        public var asymmetric: SizePair?
        /// Probe pairs that contradict "larger passes if smaller does".
        public var contradictions: [String]
    }

    public let sizes: [[Int]]
    public let seeds: [UInt64]
    public let tolerance: Double
    public let baseline: SizePair?
    public private(set) var phase: Phase
    public private(set) var records: [Record] = []
    public private(set) var threshold: Double?
    /// The binary search's open interval [low, high): `high` passes (or is past the end).
    private var low = 0
    private var high = 0
    private var symmetricIndex: Int?
    private var asymmetricIndex: Int?

    public init(sizes: [[Int]], seeds: [UInt64], threshold: SearchThreshold, tolerance: Double = 0.1,
                baseline: SizePair? = nil) {
        precondition(!sizes.isEmpty && !seeds.isEmpty, "a search needs sizes and seeds")
        self.sizes = sizes; self.seeds = seeds; self.tolerance = tolerance; self.baseline = baseline
        if case .given(let t) = threshold { self.threshold = t }
        else { precondition(baseline != nil, "a threshold from the baseline needs a baseline") }
        if baseline != nil { phase = .baseline }
        else { phase = .symmetric; low = 0; high = sizes.count }
    }

    public var passMark: Double? { threshold.map { $0 - tolerance * abs($0) } }

    /// The probe whose returns the search waits for; nil when done.
    public var next: Probe? {
        switch phase {
        case .baseline: return Probe(phase: .baseline, sizes: baseline!, seeds: seeds)
        case .symmetric:
            let s = sizes[(low + high) / 2]
            return Probe(phase: .symmetric, sizes: SizePair(actor: s, critic: s), seeds: seeds)
        case .asymmetric:
            return Probe(phase: .asymmetric, sizes: SizePair(actor: sizes[(low + high) / 2], critic: sizes[symmetricIndex!]),
                         seeds: seeds)
        case .done: return nil
        }
    }

    /// Returns already recorded for these sizes (a probe the baseline or an
    /// earlier phase trained), so the caller can feed them without training.
    public func knownReturns(_ sizes: SizePair) -> [Double]? {
        records.first { $0.sizes == sizes }?.returns
    }

    /// Consumes the returns of `next` (one per seed, in seed order) and moves on.
    public mutating func record(returns: [Double]) {
        guard let probe = next else { preconditionFailure("the search is done") }
        precondition(returns.count == seeds.count, "one return per seed")
        let mean = returns.reduce(0, +) / Double(returns.count)
        var passed = true
        var decision: String
        switch phase {
        case .baseline:
            if threshold == nil { threshold = mean }
            passed = mean >= passMark!
            decision = "baseline \(passed ? "passes" : "fails"): mean \(fmt(mean)); threshold \(fmt(threshold!)), pass mark \(fmt(passMark!))"
            phase = .symmetric; low = 0; high = sizes.count
        case .symmetric, .asymmetric:
            passed = mean >= passMark!
            let mid = (low + high) / 2
            if passed { high = mid } else { low = mid + 1 }
            decision = "\(passed ? "passes" : "fails") (mean \(fmt(mean)) \(passed ? "≥" : "<") \(fmt(passMark!)))"
        case .done: preconditionFailure("the search is done")
        }
        records.append(Record(phase: probe.phase, sizes: probe.sizes, seeds: seeds, returns: returns, mean: mean,
                              passed: passed, decision: decision))
        if phase != .baseline && probe.phase != .baseline { settle() }
        if let sizes = next?.sizes, let known = knownReturns(sizes) { record(returns: known) }   // already trained
    }

    /// Ends a phase when its interval is empty and annotates the last record.
    private mutating func settle() {
        guard low >= high, phase == .symmetric || phase == .asymmetric else {
            if phase == .symmetric || phase == .asymmetric {
                records[records.count - 1].decision += "; next \(sizesText(next!.sizes))"
            }
            return
        }
        let last = records.count - 1
        if phase == .symmetric {
            if high == sizes.count {
                records[last].decision += "; no symmetric size passes: the search ends"
                phase = .done
            } else {
                symmetricIndex = high
                records[last].decision += "; smallest passing symmetric size \(sizes[high]); critic locked there"
                if high == 0 {
                    asymmetricIndex = 0
                    records[last].decision += "; no smaller actor to try"
                    phase = .done
                } else {
                    phase = .asymmetric; low = 0
                    records[last].decision += "; next \(sizesText(next!.sizes))"
                }
            }
        } else {
            asymmetricIndex = high
            records[last].decision += "; smallest passing actor \(sizes[high]) with critic \(sizes[symmetricIndex!])"
            phase = .done
        }
    }

    public var outcome: Outcome? {
        guard phase == .done, let threshold, let passMark else { return nil }
        let symmetric = symmetricIndex.map { sizes[$0] }
        let asymmetric = asymmetricIndex.map { SizePair(actor: sizes[$0], critic: sizes[symmetricIndex!]) }
        return Outcome(threshold: threshold, passMark: passMark,
                       baselineMean: records.first { $0.phase == .baseline }?.mean,
                       symmetric: symmetric, asymmetric: asymmetric, contradictions: contradictions())
    }

    /// Pairs of probes where the smaller (in both actor and critic, by list
    /// position) passed and the larger failed. One binary search cannot produce
    /// such a pair by itself (after a failure it only probes larger sizes, after
    /// a pass only smaller ones); the baseline, measured apart, can.
    func contradictions() -> [String] {
        guard let passMark else { return [] }
        func position(_ s: [Int]) -> Int? { sizes.firstIndex(of: s) }
        var out: [String] = []
        for a in records where a.mean >= passMark {
            guard let aa = position(a.sizes.actor), let ac = position(a.sizes.critic) else { continue }
            for b in records where b.mean < passMark {
                guard let ba = position(b.sizes.actor), let bc = position(b.sizes.critic) else { continue }
                if aa <= ba && ac <= bc {
                    out.append("\(sizesText(a.sizes)) passes (\(fmt(a.mean))) but larger \(sizesText(b.sizes)) fails (\(fmt(b.mean)))")
                }
            }
        }
        return out
    }

    private func sizesText(_ p: SizePair) -> String { "actor \(p.actor) critic \(p.critic)" }
    private func fmt(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}

/// One step of a search node run by an executor: the search is replayed from
/// the returns of the probes already trained (cached), so it needs no state of
/// its own between runs and resumes wherever it was interrupted.
public enum SearchReplay {
    public enum Step: Sendable {
        /// Train these nodes (one per seed of the next probe), then run the search node again.
        case needs([PipelineNode])
        /// Finished: the search's records and outcome.
        case done(SizeSearch)
    }

    /// `returnOf` gives a finished train node's evaluation return, nil if it has not run.
    public static func advance(_ searchNode: PipelineNode, returnOf: (PipelineNode) -> Double?) -> Step? {
        guard case .search(let spec) = searchNode.spec else { return nil }
        var search = spec.makeSearch()
        while let probe = search.next {
            let nodes = searchNode.probeNodes(probe.sizes)
            let returns = nodes.map(returnOf)
            if returns.contains(where: { $0 == nil }) { return .needs(nodes.enumerated().filter { returns[$0.offset] == nil }.map(\.element)) }
            search.record(returns: returns.map { $0! })
        }
        return .done(search)
    }
}
