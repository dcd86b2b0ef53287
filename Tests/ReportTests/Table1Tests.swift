import Foundation
import Nets
import Testing
@testable import Report

/// Rows of Table 1 as they appear in the paper's text (arXiv 2102.11893v2,
/// tab-separated as extracted from the PDF).
let paperTextRows = [
    "Pendulum-v0": "DDPG\t-160\t[400, 300]\t-145.56 ± 10.64\t[16, 16]\t-150.28 ± 9.08\t[4, 4]\t<b>88.38%</b>\t[16, 16]\t-158.97 ± 5.33",
    "Acrobot-v1": "PPO\t-100\t[64, 64]\t-74.7 ± 0.30\t[8, 8]\t-70.75 ± 0.33\t[1, 1]\t<b>90.33%</b>\t[8, 8]\t-71.75 ± 0.50",
]

/// Parses one row of the paper's text into the model.
func parsePaperRow(environment: String, _ line: String) -> PaperTable1Row {
    let f = line.split(separator: "\t").map(String.init)
    func sizes(_ s: String) -> [Int] {
        s.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
    }
    func reward(_ s: String) -> RewardStat {
        let parts = s.components(separatedBy: " ± ")
        return RewardStat(mean: Double(parts[0])!, std: Double(parts[1])!)
    }
    let reduction = Double(f[7].replacingOccurrences(of: "<b>", with: "").replacingOccurrences(of: "%</b>", with: ""))!
    return PaperTable1Row(environment: environment, algorithm: f[0], threshold: Double(f[1])!, baseline: sizes(f[2]),
                          baselineReward: reward(f[3]), symmetric: sizes(f[4]), symmetricReward: reward(f[5]),
                          asymmetricActor: sizes(f[6]), reductionPercent: reduction, critic: sizes(f[8]),
                          asymmetricReward: reward(f[9]))
}

@Suite("Table 1")
struct Table1Tests {
    @Test("The paper's values as data equal the paper's text")
    func paperRowsMatchText() throws {
        for (env, line) in paperTextRows {
            let parsed = parsePaperRow(environment: env, line)
            #expect(PaperTable1.published.row(environment: env, algorithm: parsed.algorithm) == parsed)
        }
    }

    @Test("The Reduction column follows from the sizes (ParameterCount) to 0.01, except HalfCheetah's")
    func reductionFromSizes() throws {
        let paper = PaperTable1.published
        var checked = 0
        for row in paper.rows {
            guard let sym = row.symmetric, let asym = row.asymmetricActor, let reported = row.reductionPercent else { continue }
            let shape = try #require(paper.environments.first { $0.id == row.environment })
            let ours = ParameterCount.reductionPercent(small: shape.actorParameters(asym), baseline: shape.actorParameters(sym))
            // HalfCheetah's 68.01% matches no parameter convention (67.91% from the sizes).
            if row.environment == "HalfCheetah-v2" { #expect(abs(ours - 67.906) < 0.001); continue }
            #expect(abs(ours - reported) <= 0.01, "\(row.environment) \(row.algorithm): \(ours) vs \(reported)")
            checked += 1
        }
        #expect(checked == 13)
    }

    @Test("The paper's table round-trips through JSON, as a pipeline file carries it")
    func codable() throws {
        let data = try JSONEncoder().encode(PaperTable1.published)
        #expect(try JSONDecoder().decode(PaperTable1.self, from: data) == PaperTable1.published)
    }

    @Test("Markdown: ours beside the paper's, a mark outside its mean ± std, not-run and reduced-budget rows say so")
    func markdown() {
        let pendulum = Table1Result(
            environment: "Pendulum-v0", algorithm: "DDPG", threshold: -160,
            baseline: SizedResult(actorHidden: [400, 300], criticHidden: [400, 300], rewards: [-140, -150, -146, -144, -148, -142]),
            symmetric: SizedResult(actorHidden: [16, 16], criticHidden: [16, 16], rewards: [-190, -200, -195, -205, -185, -210]),
            asymmetric: SizedResult(actorHidden: [4, 4], criticHidden: [16, 16], rewards: [-150, -160, -165, -155, -158, -162]),
            budget: Table1Budget(steps: 20_000, seeds: 3, fullSteps: 1_000_000))
        let md = Table1Markdown.render(results: [pendulum])
        let lines = md.split(separator: "\n").map(String.init)
        let ours = lines.first { $0.hasPrefix("| DDPG | ours") }!
        let cells = ours.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(cells[1] == "ours (reduced budget: 20,000 steps × 3 seeds of 1,000,000 × 6)")
        #expect(cells[3] == "[400, 300] (122,201)")
        #expect(cells[4] == "-145 ± 3.42")                     // inside −145.56 ± 10.64: no mark
        #expect(cells[6] == "-197.5 ± 8.54 \(Table1Markdown.outsideMark)")  // outside −150.28 ± 9.08
        #expect(cells[7] == "[4, 4] (41)" && cells[8] == "88.39%" && cells[9] == "[16, 16]")
        #expect(cells[10] == "-158.33 ± 4.85")                  // np.std: 4.8534
        let paperLine = lines[lines.firstIndex(of: ours)! + 1]
        #expect(paperLine == "|  | paper | -160 | [400, 300] (122,201) | -145.56 ± 10.64 | [16, 16] (353) | -150.28 ± 9.08 | [4, 4] (41) | 88.38% | [16, 16] | -158.97 ± 5.33 |")
        #expect(md.contains("| TD3 | ours | not run yet |"))
        #expect(md.contains("### Ant-v2 (obs 111, actor outputs 8)"))
        #expect(md.contains("| DDPG | ours | not run yet |") && md.contains("|  | paper | - | [400, 300] (167,508) | 225.23 ± 362.88 | - |"))
    }

    @Test("A search given its threshold and no baseline says so in the baseline cells, not 'not run yet'")
    func noBaseline() {
        let sac = Table1Result(
            environment: "Pendulum-v0", algorithm: "SAC", threshold: -160, baseline: nil,
            symmetric: SizedResult(actorHidden: [16, 16], criticHidden: [16, 16], rewards: [-150, -160]),
            asymmetric: SizedResult(actorHidden: [4, 4], criticHidden: [16, 16], rewards: [-150, -155]), budget: nil)
        let md = Table1Markdown.render(results: [sac])
        let ours = md.split(separator: "\n").first { $0.hasPrefix("| SAC | ours") }!
        let cells = ours.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(cells[3] == "none (threshold given)" && cells[4] == "-")
        #expect(cells[5] == "[16, 16] (353)")
    }
}
