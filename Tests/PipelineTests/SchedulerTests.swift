import Foundation
import Testing
@testable import Pipeline

/// A train node with the given cost (steps) and needs.
func stubNode(_ id: String, needs: [String] = [], steps: Int = 100) -> PipelineNode {
    let spec = TrainSpec(algorithm: .td3, environment: "Pendulum-v0", actor: [4], critic: [4], seed: 0, steps: steps)
    return PipelineNode(id: id, stage: "s", spec: .train(spec), needs: needs)
}

/// Records what ran; fails the nodes it is told to, `failures` times each.
actor RunLog {
    var started: [String] = []
    var inFlight = 0
    var maxInFlight = 0
    var finished: Set<String> = []
    func begin(_ id: String) { started.append(id); inFlight += 1; maxInFlight = max(maxInFlight, inFlight) }
    func end(_ id: String) { inFlight -= 1; finished.insert(id) }
    func attempts(_ id: String) -> Int { started.filter { $0 == id }.count }
}

struct StubRunner: NodeRunner {
    let log = RunLog()
    var failures: [String: Int] = [:]
    /// Each run waits until this many are in flight (or a while passes), to show the workers overlap.
    var gather = 1

    func run(_ node: PipelineNode, attempt: Int) async -> NodeOutcome {
        await log.begin(node.id)
        for _ in 0..<(gather > 1 ? 200 : 0) {
            if await log.inFlight >= gather { break }
            try? await Task.sleep(nanoseconds: 1_000_000)
        }
        await log.end(node.id)
        return attempt <= failures[node.id, default: 0] ? .failed("\(node.id) broke (log: logs/\(node.id).log)") : .succeeded
    }
}

struct SchedulerTests {
    @Test func runsEveryNodeAfterWhatItNeedsOnNWorkers() async {
        var nodes = (0..<6).map { stubNode("a\($0)") }
        nodes.append(stubNode("join", needs: nodes.map(\.id)))
        let runner = StubRunner(gather: 3)
        let report = await Scheduler(jobs: 3).run(NodeGraph(nodes), runner: runner)
        #expect(report.ok && Set(report.succeeded) == Set(nodes.map(\.id)))
        #expect(report.succeeded.last == "join")
        #expect(await runner.log.maxInFlight == 3)
    }

    @Test func neverRunsMoreThanNAtOnce() async {
        let nodes = (0..<4).map { stubNode("n\($0)") }
        let runner = StubRunner(gather: 3)   // would reach 3 if allowed; waits out its patience instead
        let report = await Scheduler(jobs: 2).run(NodeGraph(nodes), runner: runner)
        #expect(report.ok)
        #expect(await runner.log.maxInFlight == 2)
    }

    @Test func startsTheLongestChainFirst() async {
        // b: one long node; chain c1 → c2 → c3 longer in total; a: short and first in file order.
        let nodes = [stubNode("a", steps: 10), stubNode("b", steps: 250),
                     stubNode("c1", steps: 100), stubNode("c2", needs: ["c1"], steps: 100), stubNode("c3", needs: ["c2"], steps: 100)]
        let report = await Scheduler(jobs: 1).run(NodeGraph(nodes), runner: StubRunner())
        #expect(report.started == ["c1", "b", "c2", "c3", "a"])
    }

    @Test func retriesOnceThenReportsAndSkipsDependants() async {
        let nodes = [stubNode("flaky"), stubNode("broken"), stubNode("fine"),
                     stubNode("afterBroken", needs: ["broken"]), stubNode("further", needs: ["afterBroken", "fine"]),
                     stubNode("afterFlaky", needs: ["flaky"])]
        let runner = StubRunner(failures: ["flaky": 1, "broken": 2])
        let report = await Scheduler(jobs: 2).run(NodeGraph(nodes), runner: runner)
        #expect(Set(report.succeeded) == ["flaky", "fine", "afterFlaky"])
        #expect(report.failed.map(\.id) == ["broken"])
        #expect(report.failed.first?.message.contains("logs/broken.log") == true)
        #expect(report.skipped.map(\.id) == ["afterBroken", "further"])
        #expect(report.skipped.allSatisfy { $0.because == "broken" })
        #expect(await runner.log.attempts("flaky") == 2)
        #expect(await runner.log.attempts("broken") == 2)
        #expect(await runner.log.attempts("afterBroken") == 0)
    }

    /// A node that asks for nodes while the graph runs (a search's probes) gets them and runs again.
    @Test func acceptsNodesAddedWhileRunning() async {
        struct Asking: NodeRunner {
            let log = RunLog()
            func run(_ node: PipelineNode, attempt: Int) async -> NodeOutcome {
                await log.begin(node.id); defer { Task { await log.end(node.id) } }
                guard node.id == "ask" else { return .succeeded }   // its probes ("ask-probe…") ask for nothing
                let step = await log.attempts(node.id)
                if step <= 2 { return .waiting(for: [stubNode("\(node.id)-probe\(step)a"), stubNode("\(node.id)-probe\(step)b")]) }
                return .succeeded
            }
        }
        let nodes = [stubNode("ask"), stubNode("after", needs: ["ask"]), stubNode("other")]
        let runner = Asking()
        var events: [SchedulerEvent] = []
        let collected = EventBox()
        let report = await Scheduler(jobs: 2).run(NodeGraph(nodes), runner: runner) { collected.append($0) }
        events = collected.events
        #expect(report.ok)
        let order = report.started
        #expect(order.filter { $0 == "ask" }.count == 3)
        for p in ["ask-probe1a", "ask-probe1b", "ask-probe2a", "ask-probe2b"] {
            #expect(report.succeeded.contains(p))
            #expect(order.firstIndex(of: p)! < order.lastIndex(of: "ask")!)
        }
        #expect(order.firstIndex(of: "ask-probe2a")! > order.firstIndex(of: "ask-probe1b")!)
        #expect(order.last == "after" || report.succeeded.last == "after")
        #expect(events.contains(.waiting("ask", on: ["ask-probe1a", "ask-probe1b"])))
    }

    @Test func aWaitOnAFailedNodeFailsTheWaiterAndSkipsItsDependants() async {
        struct Runner: NodeRunner {
            func run(_ node: PipelineNode, attempt: Int) async -> NodeOutcome {
                switch node.id {
                case "probe": return .failed("probe broke")
                case "search": return .waiting(for: [stubNode("probe")])
                default: return .succeeded
                }
            }
        }
        let report = await Scheduler(jobs: 2).run(NodeGraph([stubNode("search"), stubNode("report", needs: ["search"])]),
                                                  runner: Runner())
        #expect(report.failed.map(\.id) == ["probe"])
        #expect(report.skipped.map(\.id) == ["search", "report"])
    }

    @Test func askingAgainForFinishedNodesIsAFailureNotALoop() async {
        struct Runner: NodeRunner {
            func run(_ node: PipelineNode, attempt: Int) async -> NodeOutcome {
                node.id == "stuck" ? .waiting(for: [stubNode("done")]) : .succeeded
            }
        }
        let report = await Scheduler(jobs: 1, retries: 0).run(NodeGraph([stubNode("done"), stubNode("stuck", needs: ["done"])]),
                                                              runner: Runner())
        #expect(report.failed.map(\.id) == ["stuck"])
        #expect(report.failed.first?.message.contains("finished") == true)
    }
}

final class EventBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [SchedulerEvent] = []
    func append(_ e: SchedulerEvent) { lock.lock(); items.append(e); lock.unlock() }
    var events: [SchedulerEvent] { lock.lock(); defer { lock.unlock() }; return items }
}

/// The smoke pipeline on a stub trainer whose return is a known function of
/// the sizes: the scheduler runs the search node, which asks for its probes
/// one binary-search step at a time, and ends with the expected sizes.
struct SearchThroughSchedulerTests {
    actor Results {
        var returns: [String: Double] = [:]
        var outcome: SizeSearch.Outcome?
        func set(_ id: String, _ r: Double) { returns[id] = r }
        func setOutcome(_ o: SizeSearch.Outcome) { outcome = o }
    }

    struct StubTrainer: NodeRunner {
        let results = Results()
        /// Pendulum-like: passes −176 (−160 with 10 %) when the critic has ≥ 16 units and the actor ≥ 4.
        static func stubReturn(_ t: TrainSpec) -> Double {
            (t.critic.first! >= 16 ? -150.0 : -400.0) + (t.actor.first! >= 4 ? 0 : -300) + Double(t.seed)
        }
        func run(_ node: PipelineNode, attempt: Int) async -> NodeOutcome {
            switch node.spec {
            case .train(let t):
                await results.set(node.id, Self.stubReturn(t))
                return .succeeded
            case .search:
                let known = await results.returns
                switch SearchReplay.advance(node, returnOf: { known[$0.id] }) {
                case .needs(let nodes)?: return .waiting(for: nodes)
                case .done(let search)?:
                    await results.setOutcome(search.outcome!)
                    return .succeeded
                case nil: return .failed("not a search")
                }
            case .evaluate, .report: return .succeeded
            }
        }
    }

    @Test func smokeSearchFindsItsSizes() async throws {
        let p = try Pipeline.load(path: repoRoot.appendingPathComponent("pipelines/smoke.yaml").path)
        let runner = StubTrainer()
        let report = await Scheduler(jobs: 2).run(p.graph, runner: runner)
        #expect(report.ok, "\(report.failed) \(report.skipped)")
        let outcome = try #require(await runner.results.outcome)
        // sizes [4,4] [16,16] [64,64]: symmetric [4,4] fails (critic < 16), [16,16] passes;
        // critic [16,16] locked, actor [4,4] passes.
        #expect(outcome.symmetric == [16, 16])
        #expect(outcome.asymmetric == SizePair(actor: [4, 4], critic: [16, 16]))
        let probes = report.succeeded.filter { $0.hasPrefix("search/") && $0 != "search/td3-Pendulum-v0" }
        #expect(Set(probes) == ["search/td3-Pendulum-v0-a16x16-c16x16-s1", "search/td3-Pendulum-v0-a16x16-c16x16-s2",
                                "search/td3-Pendulum-v0-a4x4-c4x4-s1", "search/td3-Pendulum-v0-a4x4-c4x4-s2",
                                "search/td3-Pendulum-v0-a4x4-c16x16-s1", "search/td3-Pendulum-v0-a4x4-c16x16-s2"])
        #expect(report.succeeded.last == "report/report")
        #expect(report.succeeded.count == p.graph.count + probes.count)
    }
}
