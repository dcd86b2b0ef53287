import Foundation
import Nets

// Table 1 of Mysore et al. 2021 ("Exploring the impact of actor-critic
// asymmetry on algorithm performance"): the paper's values as data, our
// results beside them, as Markdown grouped by environment.

/// A reward as the paper reports it: mean ± std over seeds.
public struct RewardStat: Sendable, Equatable, Codable {
    public let mean: Double
    public let std: Double
    public init(mean: Double, std: Double) { self.mean = mean; self.std = std }
    public init(_ s: Summary) { mean = s.mean; std = s.std }
    /// Whether `x` lies in [mean − std, mean + std].
    public func contains(_ x: Double) -> Bool { x >= mean - std && x <= mean + std }
}

/// An environment's network shape for Table 1's size convention:
/// observation inputs and actor outputs (one per action dimension, or one logit per discrete action).
public struct Table1Environment: Sendable, Equatable, Codable {
    public let id: String
    public let observationCount: Int
    public let actorOutputs: Int
    public init(id: String, observationCount: Int, actorOutputs: Int) {
        self.id = id; self.observationCount = observationCount; self.actorOutputs = actorOutputs
    }
    /// Weights plus biases of an actor with these hidden sizes (Nets' `ParameterCount`).
    public func actorParameters(_ hidden: [Int]) -> Int {
        ParameterCount.mlp(inputs: observationCount, hidden: hidden, outputs: actorOutputs)
    }
}

/// One row of the paper's Table 1. Columns the paper leaves as "-" are nil.
public struct PaperTable1Row: Sendable, Equatable, Codable {
    public let environment: String
    public let algorithm: String
    public let threshold: Double?
    public let baseline: [Int]
    public let baselineReward: RewardStat
    public let symmetric: [Int]?
    public let symmetricReward: RewardStat?
    public let asymmetricActor: [Int]?
    /// The paper's "Reduction" column in percent (1 − asymmetric/symmetric actor parameters).
    public let reductionPercent: Double?
    public let critic: [Int]?
    public let asymmetricReward: RewardStat?
}

/// The paper's Table 1: environments (in the paper's order) and rows. Codable
/// so a pipeline file can carry it (or a different reference) beside its stages.
public struct PaperTable1: Sendable, Equatable, Codable {
    public let environments: [Table1Environment]
    public let rows: [PaperTable1Row]

    public func row(environment: String, algorithm: String) -> PaperTable1Row? {
        rows.first { $0.environment == environment && $0.algorithm == algorithm }
    }
}

extension PaperTable1 {
    /// Table 1 as published (arXiv 2102.11893v2). Shapes follow the size
    /// convention that reproduces its Reduction column: Ant-v2's 111
    /// observations, Reacher-v2's 11, Acrobot-v1's 3 logits.
    public static let published: PaperTable1 = {
        func r(_ m: Double, _ s: Double) -> RewardStat { RewardStat(mean: m, std: s) }
        func row(_ env: String, _ algo: String, _ threshold: Double?, _ base: [Int], _ baseR: RewardStat,
                 _ sym: [Int]?, _ symR: RewardStat?, _ asym: [Int]?, _ reduction: Double?, _ critic: [Int]?,
                 _ asymR: RewardStat?) -> PaperTable1Row {
            PaperTable1Row(environment: env, algorithm: algo, threshold: threshold, baseline: base, baselineReward: baseR,
                           symmetric: sym, symmetricReward: symR, asymmetricActor: asym, reductionPercent: reduction,
                           critic: critic, asymmetricReward: asymR)
        }
        let p = "Pendulum-v0", re = "Reacher-v2", a = "Ant-v2", h = "HalfCheetah-v2", ac = "Acrobot-v1"
        return PaperTable1(
            environments: [
                Table1Environment(id: p, observationCount: 3, actorOutputs: 1),
                Table1Environment(id: re, observationCount: 11, actorOutputs: 2),
                Table1Environment(id: a, observationCount: 111, actorOutputs: 8),
                Table1Environment(id: h, observationCount: 17, actorOutputs: 6),
                Table1Environment(id: ac, observationCount: 6, actorOutputs: 3),
            ],
            rows: [
                row(p, "DDPG", -160, [400, 300], r(-145.56, 10.64), [16, 16], r(-150.28, 9.08), [4, 4], 88.38, [16, 16], r(-158.97, 5.33)),
                row(p, "TD3", -160, [400, 300], r(-152.71, 9.47), [16, 16], r(-152.42, 6.65), [4, 4], 88.38, [16, 16], r(-167.57, 14.53)),
                row(p, "SAC", -160, [256, 256], r(-139.86, 8.29), [16, 16], r(-155.32, 11.25), [4, 4], 88.38, [16, 16], r(-153.86, 10.97)),
                row(p, "PPO", -200, [64, 64], r(-668.60, 551.85), [128, 128], r(-193.55, 40.14), [128, 128], 0, [128, 128], r(-193.55, 40.14)),
                row(re, "DDPG", -6.0, [400, 300], r(-4.26, 0.25), [64, 64], r(-4.75, 0.19), [8, 8], 96.33, [64, 64], r(-4.80, 0.44)),
                row(re, "TD3", -7.0, [400, 300], r(-6.52, 1.12), [64, 64], r(-6.91, 0.74), [32, 32], 70.23, [64, 64], r(-6.68, 1.21)),
                row(re, "SAC", -6.5, [256, 256], r(-5.96, 0.47), [128, 128], r(-6.05, 0.91), [16, 16], 97.28, [128, 128], r(-6.02, 1.07)),
                row(re, "PPO", -5.5, [64, 64], r(-4.37, 1.74), [64, 64], r(-4.37, 1.74), [16, 16], 90.15, [64, 64], r(-5.49, 1.00)),
                row(a, "DDPG", nil, [400, 300], r(225.23, 362.88), nil, nil, nil, nil, nil, nil),
                row(a, "TD3", 3000, [400, 300], r(3087.86, 888.75), [256, 256], r(3944.78, 745.48), [32, 32], 94.92, [256, 256], r(3553.52, 396.30)),
                row(a, "SAC", 3000, [256, 256], r(3366.07, 1522.45), [64, 64], r(3108.63, 519.59), [64, 64], 0, [64, 64], r(3108.63, 519.59)),
                row(a, "PPO", 3000, [64, 64], r(3734.58, 988.29), [8, 8], r(3723.57, 760.94), [8, 8], 0, [8, 8], r(3723.57, 760.94)),
                row(h, "DDPG", 7000, [400, 300], r(7026.01, 202.78), [64, 64], r(7450.01, 950.15), [32, 32], 68.01, [64, 64], r(8273.76, 437.66)),
                row(h, "TD3", 8000, [400, 300], r(8861.92, 870.02), [64, 64], r(8315.13, 262.78), [32, 32], 68.01, [64, 64], r(8145.84, 262.55)),
                row(h, "SAC", 10000, [256, 256], r(11554.76, 779.91), [64, 64], r(10180, 759.10), [32, 32], 68.01, [64, 64], r(9619, 158.40)),
                row(h, "PPO", 3000, [64, 64], r(3395, 1156.30), [64, 64], r(3395, 1156.30), [32, 32], 68.01, [64, 64], r(3089, 919.25)),
                row(ac, "SAC", -100, [256, 256], r(-76.5, 4.30), [32, 32], r(-86.5, 7.54), [16, 16], 68.46, [32, 32], r(-90.5, 8.12)),
                row(ac, "PPO", -100, [64, 64], r(-74.7, 0.30), [8, 8], r(-70.75, 0.33), [1, 1], 90.33, [8, 8], r(-71.75, 0.50)),
            ])
    }()
}

// MARK: - Our results

/// The evaluation returns of one trained configuration, one value per seed.
public struct SizedResult: Sendable, Equatable, Codable {
    public let actorHidden: [Int]
    public let criticHidden: [Int]
    public let rewards: [Double]
    public init(actorHidden: [Int], criticHidden: [Int], rewards: [Double]) {
        self.actorHidden = actorHidden; self.criticHidden = criticHidden; self.rewards = rewards
    }
    public var summary: Summary { Summary(rewards) }
}

/// The training budget a row ran at, against the full (paper's) budget.
public struct Table1Budget: Sendable, Equatable, Codable {
    public let steps: Int
    public let seeds: Int
    public let fullSteps: Int
    public let fullSeeds: Int
    public init(steps: Int, seeds: Int, fullSteps: Int, fullSeeds: Int = 6) {
        self.steps = steps; self.seeds = seeds; self.fullSteps = fullSteps; self.fullSeeds = fullSeeds
    }
    public var isReduced: Bool { steps < fullSteps || seeds < fullSeeds }
}

/// Our outcome for one (environment, algorithm): what the baseline, the
/// symmetric search and the asymmetric search found; nil parts have not run.
public struct Table1Result: Sendable, Equatable, Codable {
    public let environment: String
    public let algorithm: String
    public let threshold: Double?
    public let baseline: SizedResult?
    public let symmetric: SizedResult?
    /// The smallest asymmetric actor with the critic locked at the symmetric size.
    public let asymmetric: SizedResult?
    public let budget: Table1Budget?
    /// How the row's budget was reduced, in words ("scale 0.1"), when it was;
    /// shown instead of `budget`'s counts.
    public let reducedBudget: String?

    public init(environment: String, algorithm: String, threshold: Double?, baseline: SizedResult?,
                symmetric: SizedResult?, asymmetric: SizedResult?, budget: Table1Budget?, reducedBudget: String? = nil) {
        self.environment = environment; self.algorithm = algorithm; self.threshold = threshold
        self.baseline = baseline; self.symmetric = symmetric; self.asymmetric = asymmetric; self.budget = budget
        self.reducedBudget = reducedBudget
    }
}

// MARK: - Markdown

public enum Table1Markdown {
    /// Marks a reward of ours whose mean falls outside the paper's mean ± std.
    public static let outsideMark = "‡"

    /// Table 1 as Markdown: one section per environment (the paper's order,
    /// then any others), for each algorithm a row of ours and the paper's row
    /// beneath it. Sizes are hidden layers with the actor's parameter count.
    public static func render(results: [Table1Result], paper: PaperTable1 = .published) -> String {
        var out = "Sizes are hidden layers with the actor's weights and biases in parentheses. Rewards are mean ± std over seeds. "
        out += "\(outsideMark) marks a mean of ours outside the paper's mean ± std. Reduction is 1 − asymmetric/symmetric actor parameters.\n"
        var environments = paper.environments.map(\.id)
        for id in paper.rows.map(\.environment) + results.map(\.environment) where !environments.contains(id) {
            environments.append(id)
        }
        for env in environments {
            let shape = paper.environments.first { $0.id == env }
            let paperRows = paper.rows.filter { $0.environment == env }
            let ours = results.filter { $0.environment == env }
            var algorithms = paperRows.map(\.algorithm)
            for r in ours where !algorithms.contains(r.algorithm) { algorithms.append(r.algorithm) }
            if algorithms.isEmpty { continue }
            out += "\n### \(env)"
            if let s = shape { out += " (obs \(s.observationCount), actor outputs \(s.actorOutputs))" }
            out += "\n\n"
            out += "| Algorithm | | Threshold | Baseline size | Baseline reward | Symmetric size ↓ | Symmetric reward ↑ | Asymmetric actor size ↓ | Reduction ↑ | Critic size | Asymmetric reward ↑ |\n"
            out += "|---|---|---:|---|---:|---|---:|---|---:|---|---:|\n"
            for algo in algorithms {
                let p = paperRows.first { $0.algorithm == algo }
                let r = ours.first { $0.algorithm == algo }
                out += oursRow(algorithm: algo, result: r, paper: p, shape: shape)
                if let p { out += paperRow(p, shape: shape) }
            }
        }
        return out
    }

    static func oursRow(algorithm: String, result r: Table1Result?, paper p: PaperTable1Row?, shape: Table1Environment?) -> String {
        guard let r, r.baseline != nil || r.symmetric != nil || r.asymmetric != nil else {
            return "| \(algorithm) | ours | not run yet | | | | | | | | |\n"
        }
        var who = "ours"
        if let label = r.reducedBudget {
            who += " (reduced budget: \(label))"
        } else if let b = r.budget, b.isReduced {
            who += " (reduced budget: \(grouped(b.steps)) steps × \(b.seeds) seeds of \(grouped(b.fullSteps)) × \(b.fullSeeds))"
        }
        func size(_ s: SizedResult?, critic: Bool = false) -> String {
            guard let s else { return "not run yet" }
            let hidden = critic ? s.criticHidden : s.actorHidden
            return sizeCell(hidden, critic ? nil : shape)
        }
        func reward(_ s: SizedResult?, _ reference: RewardStat?) -> String {
            guard let s else { return "not run yet" }
            let sum = s.summary
            var cell = "\(number(sum.mean)) ± \(number(sum.std))"
            if let ref = reference, ref.mean.isFinite, !ref.contains(sum.mean) { cell += " \(outsideMark)" }
            return cell
        }
        var reduction = ""
        if let sym = r.symmetric, let asym = r.asymmetric, let shape {
            reduction = String(format: "%.2f%%", ParameterCount.reductionPercent(small: shape.actorParameters(asym.actorHidden),
                                                                                baseline: shape.actorParameters(sym.actorHidden)))
        }
        // A search that got past its baseline phase without one was given its threshold instead.
        let noBaseline = r.baseline == nil && r.symmetric != nil
        let cells = [algorithm, who, r.threshold.map(number) ?? "-",
                     noBaseline ? "none (threshold given)" : size(r.baseline), noBaseline ? "-" : reward(r.baseline, p?.baselineReward),
                     size(r.symmetric), reward(r.symmetric, p?.symmetricReward),
                     size(r.asymmetric), reduction, size(r.asymmetric, critic: true), reward(r.asymmetric, p?.asymmetricReward)]
        return "| " + cells.joined(separator: " | ") + " |\n"
    }

    static func paperRow(_ p: PaperTable1Row, shape: Table1Environment?) -> String {
        func reward(_ s: RewardStat?) -> String { s.map { "\(number($0.mean)) ± \(number($0.std))" } ?? "-" }
        let cells = ["", "paper", p.threshold.map(number) ?? "-",
                     p.baseline.isEmpty ? "-" : sizeCell(p.baseline, shape), reward(p.baselineReward.mean.isNaN ? nil : p.baselineReward),
                     p.symmetric.map { sizeCell($0, shape) } ?? "-", reward(p.symmetricReward),
                     p.asymmetricActor.map { sizeCell($0, shape) } ?? "-",
                     p.reductionPercent.map { String(format: "%.2f%%", $0) } ?? "-",
                     p.critic.map { sizeCell($0, nil) } ?? "-", reward(p.asymmetricReward)]
        return "| " + cells.joined(separator: " | ") + " |\n"
    }

    static func sizeCell(_ hidden: [Int], _ shape: Table1Environment?) -> String {
        let label = hidden.isEmpty ? "[]" : "[" + hidden.map(String.init).joined(separator: ", ") + "]"
        guard let shape else { return label }
        return "\(label) (\(grouped(shape.actorParameters(hidden))))"
    }

    /// Two decimals, trailing zeros dropped (−145.56, −6.5, 3000).
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        var s = String(format: "%.2f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }
}
