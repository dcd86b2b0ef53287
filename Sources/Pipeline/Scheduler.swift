// Runs a node graph on N workers. What running a node means is the runner's
// business (a worker process `asym exec KEY`, a cache lookup, an in-process
// search step); the scheduler decides only the order: the longest chain of
// remaining work first, a failing node retried, the dependants of a failed
// node skipped, nodes added while the graph runs (a search's probes).

/// What became of one attempt at a node.
public enum NodeOutcome: Sendable, Equatable {
    case succeeded
    /// Failed; the message says why and where its log is.
    case failed(String)
    /// Cannot finish before these nodes have: the scheduler adds those it does
    /// not know, runs them, and runs this node again (a search asking for its
    /// next probe). Asking for nodes that have all finished is a failure.
    case waiting(for: [PipelineNode])
}

/// Runs one node. Called concurrently from up to `jobs` tasks.
public protocol NodeRunner: Sendable {
    func run(_ node: PipelineNode, attempt: Int) async -> NodeOutcome
    /// Sees nodes as they join the graph (all of them at the start, a search's
    /// probes as it asks for them), before any of them runs: a runner may start
    /// their work early (the Slurm executor submits it, each job after its inputs').
    func prepare(_ nodes: [PipelineNode]) async
}

extension NodeRunner {
    public func prepare(_ nodes: [PipelineNode]) async {}
}

/// What the scheduler tells its observer (a status line, a run record).
public enum SchedulerEvent: Sendable, Equatable {
    case started(String, attempt: Int)
    case succeeded(String)
    case retrying(String, message: String)
    case failed(String, message: String)
    case waiting(String, on: [String])
    case skipped(String, because: String)
}

/// The end of a run: every node in exactly one list.
public struct ScheduleReport: Sendable, Equatable {
    public var succeeded: [String] = []
    public var failed: [(id: String, message: String)] = []
    /// Nodes not run because a node they need failed (directly or further up).
    public var skipped: [(id: String, because: String)] = []
    /// Node starts in order, one per attempt (for tests and run records).
    public var started: [String] = []

    public var ok: Bool { failed.isEmpty && skipped.isEmpty }

    public static func == (a: ScheduleReport, b: ScheduleReport) -> Bool {
        a.succeeded == b.succeeded && a.started == b.started
            && a.failed.map(\.id) == b.failed.map(\.id) && a.failed.map(\.message) == b.failed.map(\.message)
            && a.skipped.map(\.id) == b.skipped.map(\.id) && a.skipped.map(\.because) == b.skipped.map(\.because)
    }
}

public struct Scheduler: Sendable {
    /// Workers running at once.
    public var jobs: Int
    /// Extra attempts of a failing node before it is reported.
    public var retries: Int

    public init(jobs: Int, retries: Int = 1) {
        precondition(jobs >= 1, "at least one worker")
        self.jobs = jobs; self.retries = retries
    }

    /// Runs every node of `graph` through `runner`; `observe` sees each event
    /// as it happens (from the scheduling task, one at a time).
    public func run(_ graph: NodeGraph, runner: some NodeRunner,
                    observe: @Sendable (SchedulerEvent) -> Void = { _ in }) async -> ScheduleReport {
        var state = SchedulerState(graph.nodes)
        var report = ScheduleReport()
        await withTaskGroup(of: (String, Int, NodeOutcome).self) { group in
            var inFlight = 0
            func launch() {
                while inFlight < jobs, let id = state.popReady() {
                    let node = state.nodes[id]!
                    let attempt = state.attempts[id, default: 0] + 1
                    state.attempts[id] = attempt
                    report.started.append(id)
                    observe(.started(id, attempt: attempt))
                    inFlight += 1
                    group.addTask { (id, attempt, await runner.run(node, attempt: attempt)) }
                }
            }
            await runner.prepare(graph.nodes)
            launch()
            while let (id, attempt, outcome) = await group.next() {
                inFlight -= 1
                switch outcome {
                case .succeeded:
                    state.finish(id)
                    report.succeeded.append(id)
                    observe(.succeeded(id))
                case .failed(let message):
                    if attempt <= retries {
                        observe(.retrying(id, message: message))
                        state.requeue(id)
                    } else {
                        report.failed.append((id, message))
                        observe(.failed(id, message: message))
                        for skipped in state.fail(id) {
                            report.skipped.append((skipped, id))
                            observe(.skipped(skipped, because: id))
                        }
                    }
                case .waiting(let wanted):
                    var added: [PipelineNode] = []
                    for n in wanted where state.nodes[n.id] == nil && !added.contains(where: { $0.id == n.id }) { added.append(n) }
                    switch state.wait(id, on: wanted) {
                    case .ok(let ids):
                        state.attempts[id] = 0   // waiting is progress, not a failed attempt
                        observe(.waiting(id, on: ids))
                        if !added.isEmpty { await runner.prepare(added) }
                    case .blockedByFailure(let failed):
                        report.failed.append((id, "needs \(failed), which failed"))
                        observe(.failed(id, message: "needs \(failed), which failed"))
                        for skipped in state.fail(id) { report.skipped.append((skipped, id)) }
                    case .invalid(let why):
                        report.failed.append((id, why))
                        observe(.failed(id, message: why))
                        for skipped in state.fail(id) { report.skipped.append((skipped, id)) }
                    }
                }
                launch()
            }
        }
        return report
    }
}

/// The scheduler's bookkeeping, apart from the concurrency so it reads plainly.
struct SchedulerState {
    enum WaitResult { case ok([String]), blockedByFailure(String), invalid(String) }

    var nodes: [String: PipelineNode] = [:]
    var order: [String: Int] = [:]   // insertion order: the tie-break
    var pendingNeeds: [String: Set<String>] = [:]
    var dependants: [String: [String]] = [:]
    var done: Set<String> = []
    var failed: Set<String> = []
    /// Nodes ready to run, in priority order, the next to run last (a sorted
    /// array: a pop is O(1) and an insertion a binary search, so a 10,000-node
    /// graph schedules in milliseconds, not seconds).
    var ready: [String] = []
    var readySet: Set<String> = []
    var attempts: [String: Int] = [:]
    /// Cost of the longest chain of work from a node to the end of the graph.
    var chain: [String: Double] = [:]

    init(_ initial: [PipelineNode]) {
        for n in initial { insert(n) }
        recomputeChains()
        for n in initial where pendingNeeds[n.id]!.isEmpty { makeReady(n.id) }
    }

    mutating func insert(_ n: PipelineNode) {
        nodes[n.id] = n
        order[n.id] = order.count
        pendingNeeds[n.id] = Set(n.needs.filter { !done.contains($0) })
        for need in n.needs { dependants[need, default: []].append(n.id) }
    }

    /// Longest remaining chain first; ties in graph order.
    func priority(_ id: String) -> (Double, Int) { (chain[id] ?? 0, -(order[id] ?? 0)) }

    mutating func popReady() -> String? {
        guard let id = ready.popLast() else { return nil }
        readySet.remove(id)
        return id
    }

    mutating func makeReady(_ id: String) {
        guard readySet.insert(id).inserted else { return }
        let p = priority(id)
        var low = 0, high = ready.count   // the first position whose node ranks above `id`
        while low < high {
            let mid = (low + high) / 2
            if priority(ready[mid]) > p { high = mid } else { low = mid + 1 }
        }
        ready.insert(id, at: low)
    }

    mutating func recomputeChains() {
        chain = [:]
        func length(_ id: String) -> Double {
            if let c = chain[id] { return c }
            chain[id] = nodes[id]?.cost ?? 0   // guards a cycle from looping
            let c = (nodes[id]?.cost ?? 0) + ((dependants[id] ?? []).map(length).max() ?? 0)
            chain[id] = c
            return c
        }
        for id in nodes.keys.sorted() { _ = length(id) }
        let ranks = chain, orders = order
        ready.sort { (ranks[$0] ?? 0, -(orders[$0] ?? 0)) < (ranks[$1] ?? 0, -(orders[$1] ?? 0)) }
    }

    mutating func finish(_ id: String) {
        done.insert(id)
        for d in dependants[id] ?? [] where !done.contains(d) && !failed.contains(d) {
            pendingNeeds[d]?.remove(id)
            if pendingNeeds[d]?.isEmpty == true { makeReady(d) }
        }
    }

    mutating func requeue(_ id: String) { makeReady(id) }

    /// Marks `id` failed and returns the not-yet-run nodes that depend on it, transitively.
    mutating func fail(_ id: String) -> [String] {
        failed.insert(id)
        var skipped: [String] = []
        var stack = dependants[id] ?? []
        while let d = stack.popLast() {
            guard !failed.contains(d), !done.contains(d) else { continue }
            failed.insert(d)
            if readySet.remove(d) != nil { ready.removeAll { $0 == d } }
            skipped.append(d)
            stack.append(contentsOf: dependants[d] ?? [])
        }
        return skipped.sorted { order[$0]! < order[$1]! }
    }

    /// `id` waits for `wanted`: new nodes join the graph, and `id` runs again when they are done.
    mutating func wait(_ id: String, on wanted: [PipelineNode]) -> WaitResult {
        guard !wanted.isEmpty else { return .invalid("\(id) asked to wait for nothing") }
        if let f = wanted.first(where: { failed.contains($0.id) }) { return .blockedByFailure(f.id) }
        if wanted.allSatisfy({ done.contains($0.id) }) {
            return .invalid("\(id) asked again for nodes that have finished (\(wanted.map(\.id).joined(separator: ", ")))")
        }
        // A new node that needs the waiting node (or its dependants) would never become ready.
        var downstream: Set<String> = [id]
        var stack = [id]
        while let x = stack.popLast() {
            for d in dependants[x] ?? [] where downstream.insert(d).inserted { stack.append(d) }
        }
        for n in wanted where nodes[n.id] == nil {
            if let bad = n.needs.first(where: { downstream.contains($0) }) {
                return .invalid("\(id) asked for \(n.id), which needs \(bad): a cycle")
            }
        }
        var added: [String] = []
        for n in wanted {
            if nodes[n.id] == nil {
                insert(n); added.append(n.id)
                if let f = n.needs.first(where: { failed.contains($0) }) { return .blockedByFailure(f) }
            }
            if !done.contains(n.id) {
                pendingNeeds[id, default: []].insert(n.id)
                if !(dependants[n.id] ?? []).contains(id) { dependants[n.id, default: []].append(id) }
            }
        }
        nodes[id]!.needs += wanted.map(\.id).filter { !nodes[id]!.needs.contains($0) }
        recomputeChains()
        for a in added where pendingNeeds[a]!.isEmpty { makeReady(a) }
        return .ok(wanted.map(\.id))
    }
}
