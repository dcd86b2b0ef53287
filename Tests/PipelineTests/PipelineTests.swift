import Foundation
import Testing
import Agents
@testable import Pipeline

/// The repository's folder (for pipelines/*.yaml).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func load(_ yaml: String) throws -> Pipeline { try Pipeline.parse(yaml: yaml, file: "test.yaml") }

func diagnostics(_ yaml: String) -> [PipelineDiagnostic] {
    do { _ = try load(yaml); return [] } catch let e as PipelineErrors { return e.diagnostics } catch { return [] }
}

// MARK: - Malformed pipelines

/// Each fixture in Fixtures/bad states what it must produce in its first lines:
/// `# expect: LINE:COLUMN FIELD | message fragment`, one line per error.
struct BadPipelineTests {
    struct Expectation: CustomStringConvertible {
        var line: Int, column: Int, field: String, fragment: String
        var description: String { "\(line):\(column) \(field) | \(fragment)" }
    }

    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/bad")
    static let fixtures: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()

    static func expectations(_ text: String) -> [Expectation] {
        text.split(separator: "\n").prefix { $0.hasPrefix("# expect: ") }.compactMap { line in
            let body = line.dropFirst("# expect: ".count)
            guard let bar = body.range(of: " | ") else { return nil }
            let head = body[..<bar.lowerBound].split(separator: " ", maxSplits: 1)
            let lc = head[0].split(separator: ":").compactMap { Int($0) }
            guard lc.count == 2, head.count == 2 else { return nil }
            return Expectation(line: lc[0], column: lc[1], field: String(head[1]), fragment: String(body[bar.upperBound...]))
        }
    }

    @Test func thereAreAtLeastTwentyFixtures() {
        #expect(Self.fixtures.count >= 20)
    }

    @Test(arguments: fixtures)
    func fixtureReportsItsErrors(_ name: String) throws {
        let path = Self.folder.appendingPathComponent(name).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let expected = Self.expectations(text)
        #expect(!expected.isEmpty, "\(name) states no expectation")
        var found: [PipelineDiagnostic] = []
        do { _ = try Pipeline.load(path: path); Issue.record("\(name) validated") }
        catch let e as PipelineErrors { found = e.diagnostics }
        #expect(found.count == expected.count, "\(name): \(found.map(\.description))")
        for e in expected {
            let match = found.first { $0.mark.line == e.line && $0.mark.column == e.column && $0.field == e.field }
            #expect(match != nil, "\(name): expected \(e), got \(found.map(\.description))")
            if let match {
                #expect(match.message.contains(e.fragment), "\(name): \(match.message) lacks '\(e.fragment)'")
                #expect(match.description == "\(path):\(e.line):\(e.column): \(e.field): \(match.message)")
                #expect(!match.description.contains("\n"))
            }
        }
    }

    @Test func everyErrorOfAFileIsReportedInFileOrder() {
        let found = diagnostics("""
            name: t
            stages:
              a: {kind: train, algorithm: dqn, environment: Nowhere-v0, actor: [4], critic: [4], steps: 0}
              b: {kind: evaluate, needs: [zz]}
            """)
        #expect(found.map(\.field) == ["stages.a.algorithm", "stages.a.environment", "stages.a.steps", "stages.b.needs"])
        #expect(found.map(\.mark) == found.map(\.mark).sorted())
    }
}

// MARK: - The smoke pipeline and expansion

struct ExpansionTests {
    @Test func smokePipelineValidatesAndExpands() throws {
        let p = try Pipeline.load(path: repoRoot.appendingPathComponent("pipelines/smoke.yaml").path)
        #expect(p.name == "smoke")
        #expect(p.stages.map(\.name) == ["toy", "pendulum", "evaluate", "search", "report"])
        #expect(p.stages[0].doc?.contains("toy problem") == true)
        let g = p.graph
        #expect(g.count == 18)
        #expect(g.nodes(in: "toy").map(\.id) == [
            "toy/td3-ToyTracking-v0-a1-c1-s1", "toy/td3-ToyTracking-v0-a1-c1-s2",
            "toy/td3-ToyTracking-v0-a1-c16x16-s1", "toy/td3-ToyTracking-v0-a1-c16x16-s2",
        ])
        guard case .train(let t)? = g["pendulum/td3-Pendulum-v0-a4x4-c16x16-s2"]?.spec else {
            Issue.record("no pendulum node"); return
        }
        #expect(t == TrainSpec(algorithm: .td3, environment: "Pendulum-v0", actor: [4, 4], critic: [16, 16], seed: 2,
                               preset: .spinup, overrides: ["start_steps": "500", "update_after": "500"], steps: 4000,
                               evalEpisodes: 3, numerics: .portable))
        // Every override applies to the agent exactly as `asym train --set` would.
        _ = try applyOverrides(t.overrideList, to: TD3.preset(.spinup, env: "Pendulum-v0"), algorithm: .td3)

        let evals = g.nodes(in: "evaluate")
        #expect(evals.count == 8)
        for e in evals {
            guard case .evaluate(let spec) = e.spec else { Issue.record("\(e.id) is not an evaluation"); continue }
            #expect(e.needs == [spec.trainNode])
            #expect(spec.episodes == 5 && spec.seed == 10_000 + spec.train.seed)
        }
        guard let search = g["search/td3-Pendulum-v0"], case .search(let s) = search.spec else {
            Issue.record("no search node"); return
        }
        #expect(s.sizes == [[4, 4], [16, 16], [64, 64]] && s.seeds == [1, 2] && s.threshold == .given(-160))
        #expect(s.tolerance == 0.1 && s.baseline == nil && search.needs.isEmpty)
        let report = try #require(g["report/report"])
        #expect(Set(report.needs) == Set(evals.map(\.id) + [search.id]))
        guard case .report(let r) = report.spec else { return }
        #expect(r.reference.first?.reduction == 0.8838 && r.reference.first?.asymmetricReward == [-167.57, 14.53])
    }

    @Test func expansionIsDeterministicAndTopological() throws {
        let path = repoRoot.appendingPathComponent("pipelines/smoke.yaml").path
        let a = try Pipeline.load(path: path).graph.nodes, b = try Pipeline.load(path: path).graph.nodes
        #expect(a == b)
        var seen: Set<String> = []
        for n in a {
            #expect(n.needs.allSatisfy(seen.contains), "\(n.id) comes before what it needs")
            seen.insert(n.id)
        }
        #expect(try a.map { try $0.spec.canonical } == b.map { try $0.spec.canonical })
    }

    @Test func matrixExpandsAnyFieldWithExclusions() throws {
        let p = try load("""
            name: m
            defaults: {environment: Pendulum-v0, steps: 100, critic: [8]}
            stages:
              grid:
                kind: train
                matrix:
                  algorithm: [td3, sac]
                  actor: [[], [4, 4]]
                  preset: [spinup, zoo]
                  gamma: [0.9, 0.99]
                  exclude:
                    - {algorithm: sac, preset: zoo}
                    - {actor: [], gamma: 0.9}
            """)
        let ids = p.graph.nodes.map(\.id)
        // 2·2·2·2 = 16 combinations, minus sac+zoo (4), minus actor [] with γ 0.9 (4), plus their overlap (1 counted twice).
        #expect(ids.count == 16 - 4 - 4 + 1)
        #expect(ids.first == "grid/td3-Pendulum-v0-alin-c8-s0-spinup-gamma0.99")
        #expect(ids.contains("grid/sac-Pendulum-v0-a4x4-c8-s0-spinup-gamma0.9"))
        #expect(!ids.contains { $0.contains("sac") && $0.contains("zoo") })
        #expect(Set(ids).count == ids.count)
        guard case .train(let t)? = p.graph["grid/td3-Pendulum-v0-a4x4-c8-s0-zoo-gamma0.9"]?.spec else {
            Issue.record("missing node"); return
        }
        #expect(t.preset == .zoo && t.overrides == ["gamma": "0.9"] && t.actor == [4, 4])
    }

    @Test func stageOverridesDefaultsAndMatrixOverridesNeither() throws {
        let p = try load("""
            name: o
            defaults: {algorithm: td3, environment: Pendulum-v0, steps: 100, eval_episodes: 2, actor: [4], critic: [4], set: {gamma: 0.9, polyak: 0.99}}
            stages:
              a:
                kind: train
                steps: 200
                set: {gamma: 0.95}
                matrix: {seed: [7]}
            """)
        guard case .train(let t)? = p.graph.nodes.first?.spec else { Issue.record("no node"); return }
        #expect(t.steps == 200 && t.evalEpisodes == 2 && t.seed == 7)
        #expect(t.overrides == ["gamma": "0.95", "polyak": "0.99"])
    }

    @Test func hyperParameterValuesAreCanonical() throws {
        let a = try load("name: c\nstages:\n  a: {kind: train, algorithm: td3, environment: Pendulum-v0, actor: [4], critic: [4], steps: 10, set: {pi_lr: 1.0e-3, batch_size: 128.0}}")
        let b = try load("name: c\nstages:\n  a: {kind: train, algorithm: td3, environment: Pendulum-v0, actor: [4], critic: [4], steps: 10, set: {batch_size: 128, pi_lr: 0.001}}")
        #expect(try a.graph.nodes.map { try $0.spec.canonical } == b.graph.nodes.map { try $0.spec.canonical })
    }

    @Test func searchWithBaselineAddsTheBaselineNodes() throws {
        let p = try load("""
            name: s
            defaults: {algorithm: sac, environment: Pendulum-v0, steps: 100}
            stages:
              table:
                kind: search
                matrix: {algorithm: [td3, sac]}
                baseline: {actor: [400, 300], critic: [400, 300]}
                sizes: [[4, 4], [16, 16], [400, 300]]
                seeds: [0, 1, 2]
            """)
        let search = try #require(p.graph["table/td3-Pendulum-v0"])
        #expect(search.needs == (0...2).map { "table/td3-Pendulum-v0-a400x300-c400x300-s\($0)" })
        #expect(search.needs.allSatisfy { p.graph[$0] != nil })
        guard case .search(let s) = search.spec else { return }
        #expect(s.threshold == .fromBaseline)
        // A probe at the baseline's sizes is the baseline node itself.
        #expect(search.probeNodes(SizePair(actor: [400, 300], critic: [400, 300])).map(\.id) == search.needs)
        #expect(p.graph.count == 2 * (1 + 3))
    }

    @Test func hyperParameterKeysComeFromTheResolvedConfig() throws {
        let td3 = try HyperParameters.config(.td3, preset: .spinup, environment: "Pendulum-v0")
        #expect(td3["policy_delay"] != nil && td3["alpha"] == nil)
        let discreteSAC = try HyperParameters.config(.sac, preset: .zoo, environment: "Acrobot-v1")
        #expect(discreteSAC["target_entropy"] != nil)
        #expect(HyperParameters.problem(key: "policy_delay", value: "2", algorithm: .td3, preset: .spinup,
                                        environment: "Pendulum-v0") == nil)
        #expect(HyperParameters.problem(key: "policy_delay", value: "x", algorithm: .td3, preset: .spinup,
                                        environment: "Pendulum-v0") != nil)
    }
}
