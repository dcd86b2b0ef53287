import Foundation
import Testing
@testable import Report

@Suite("REPORT.md and diff")
struct ReportDocumentTests {
    func document() -> ReportDocument {
        ReportDocument(
            title: "Toy problem", pipeline: "pipelines/toy.yaml",
            stages: [
                StageSection(name: "train", kind: "train", doc: "Train **every** size on the toy problem.\n",
                             outputs: [.figure(name: "figure2", caption: "Figure 2. Rewards and value losses.")],
                             nodes: [NodeProvenance(node: "train[ddpg,1,seed=0]", key: "ab12", cached: true, computeSeconds: 12.5),
                                     NodeProvenance(node: "train[ddpg,1,seed=1]", key: "cd34", cached: false, computeSeconds: 200)]),
                StageSection(name: "table", kind: "report", doc: nil,
                             outputs: [.table(title: "Table 1", markdown: "| a |\n|---|\n| 1 |\n")], nodes: []),
            ],
            provenance: RunProvenance(commit: "0123456789abcdef0123", dirty: true, toolVersion: "asym 0.1.0",
                                      numericsID: "openblas/Haswell", date: Date(timeIntervalSince1970: 1_800_000_000),
                                      host: "AMD EPYC", budgets: [("steps", "30,000"), ("seeds", "3")]))
    }

    @Test("Stages in order: heading, doc, outputs, then node provenance; the run's provenance last")
    func layout() throws {
        let md = document().markdown
        func at(_ s: String) throws -> String.Index { try #require(md.range(of: s)?.lowerBound, "missing \(s)") }
        #expect(try at("## 1. train") < at("Train **every** size"))
        #expect(try at("Train **every** size") < at("![Figure 2"))
        #expect(try at("![Figure 2. Rewards and value losses](figure2.png)") < at("*Figure 2. Rewards and value losses.*"))
        #expect(md.contains("([SVG](figure2.svg), [data](figure2.dat), [gnuplot script](figure2.gp))"))
        #expect(try at("*Figure 2.") < at("train stage: 2 nodes, 1 cached, 1 computed; 3 min 33 s of compute"))
        #expect(try at("| train[ddpg,1,seed=1] | `cd34` | computed | 3 min 20 s |") < at("## 2. table"))
        #expect(try at("## 2. table") < at("**Table 1**"))
        #expect(try at("**Table 1**") < at("## Provenance"))
        #expect(md.contains("| commit | `0123456789abcdef0123` (dirty: uncommitted changes) |"))
        #expect(md.contains("| numerics | `openblas/Haswell` |") && md.contains("| tool version | asym 0.1.0 |"))
        #expect(md.contains("| date | 2027-01-15 08:00:00 UTC |"))
        #expect(md.contains("| budget: steps | 30,000 |\n| budget: seeds | 3 |"))
        #expect(md.contains("| nodes | 2: 1 cached, 1 computed by this run |"))
        #expect(md.contains("| compute time | 3 min 20 s this run; 3 min 33 s in all |"))
    }

    @Test("Diff: both values, delta and Welch p per metric; one-sided nodes listed")
    func diff() throws {
        let a = DiffSide(label: "v1", metrics: [
            "train[td3,pendulum]": ["eval_return": [-145.2, -150.1, -139.8, -160.3, -148.0, -142.7], "steps": [1000]],
            "train[old]": ["eval_return": [1, 2]],
        ])
        let b = DiffSide(label: "HEAD", metrics: [
            "train[td3,pendulum]": ["eval_return": [-158.9, -163.2, -151.0, -170.4, -155.5, -154.8], "steps": [1000]],
            "train[new]": ["eval_return": [3, 4]],
        ])
        let md = DiffMarkdown.render(a, b)
        // p from the SciPy reference in StatisticsTests (case 2): 0.01999465…
        #expect(md.contains("| train[td3,pendulum] | eval_return | -147.7 ± 6.561 (6) | -159.0 ± 6.344 (6) | -11.28 | 0.0200 |"))
        // (means and std checked with NumPy: np.std −147.68 ± 6.5608, −158.97 ± 6.3442)
        #expect(md.contains("| train[td3,pendulum] | steps | 1000 (1) | 1000 (1) | 0 | n/a (one seed) |"))
        #expect(md.contains("Only in A (v1): `train[old]`") && md.contains("Only in B (HEAD): `train[new]`"))
    }
}

@Suite("Report folder")
struct ReportFolderTests {
    @Test("Writes every figure's files, table1.md and REPORT.md, and every link in REPORT.md resolves")
    func writesEveryFile() throws {
        let (dir, keep) = try figureDirectory("report")
        defer { if !keep { try? FileManager.default.removeItem(at: dir) } }
        let figure2 = try PaperFigures.toyTraining([toyTraining("DDPG", seed: 1), toyTraining("TRPO", seed: 2)], name: "figure2", number: "2")
        let result = Table1Result(environment: "Pendulum-v0", algorithm: "TD3", threshold: -160,
                                  baseline: SizedResult(actorHidden: [400, 300], criticHidden: [400, 300], rewards: [-150, -155, -149]),
                                  symmetric: SizedResult(actorHidden: [16, 16], criticHidden: [16, 16], rewards: [-152, -160, -158]),
                                  asymmetric: SizedResult(actorHidden: [4, 4], criticHidden: [16, 16], rewards: [-170, -165, -180]),
                                  budget: Table1Budget(steps: 30_000, seeds: 3, fullSteps: 1_000_000))
        let table = Table1Markdown.render(results: [result])
        let document = ReportDocument(
            title: "Smoke", pipeline: "pipelines/smoke.yaml",
            stages: [StageSection(name: "toy", kind: "train", doc: "The toy problem.", outputs: [.figure(name: figure2.name, caption: figure2.caption)], nodes: []),
                     StageSection(name: "table1", kind: "report", doc: "Table 1.", outputs: [.table(title: "Table 1", markdown: table)], nodes: [])],
            provenance: RunProvenance(commit: "abc", dirty: false, toolVersion: "asym test", numericsID: "openblas/test",
                                      date: Date(timeIntervalSince1970: 0), host: nil, budgets: []))
        let written = try ReportFolder.write(figures: [figure2], table1: table, document: document, into: dir)
        #expect(written == ["REPORT.md", "figure2.dat", "figure2.gp", "figure2.png", "figure2.svg", "table1.md"])
        for name in written { #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name)") }
        let md = try String(contentsOf: dir.appendingPathComponent("REPORT.md"), encoding: .utf8)
        // Every local link target (](target)) exists in the folder.
        let links = md.components(separatedBy: "](").dropFirst().map { String($0.prefix { $0 != ")" }) }
        #expect(links.count == 4)   // png, svg, dat, gp
        for link in links { #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(link).path), "\(link)") }
        #expect(md.contains("| TD3 | ours (reduced budget: 30,000 steps × 3 seeds of 1,000,000 × 6)"))
    }
}
