import Foundation

// The paper's figures as writers over plain data (Mysore et al. 2021,
// Figures 1–4 and A.1; Figure 5 is in Inference.swift). Each returns a
// `GnuplotFigure`; `Gnuplot.render` writes its .dat, .gp, PNG and SVG.

/// A size list as the paper writes it: hidden layers then the output layer
/// (`[4,4]` hidden with one output is "[4,4,1]"; no hidden layer is "[1]").
public func paperSizeLabel(hidden: [Int], outputs: Int) -> String {
    "[" + (hidden + [outputs]).map(String.init).joined(separator: ",") + "]"
}

/// A hidden-size list as Table 1 writes it ("[16,16]", "[]" for none).
public func hiddenSizeLabel(_ hidden: [Int]) -> String {
    "[" + hidden.map(String.init).joined(separator: ",") + "]"
}

// MARK: - Figure 1: the toy problem's learned control

/// One step of a toy-tracking episode: internal state s, goal g, observation o = g − s, action a.
public struct ToyStep: Sendable, Equatable, Codable {
    public let t: Int
    public let state: Double, goal: Double, observation: Double, action: Double
    public init(t: Int, state: Double, goal: Double, observation: Double, action: Double) {
        self.t = t; self.state = state; self.goal = goal; self.observation = observation; self.action = action
    }
}

/// One evaluation episode of a trained toy agent with the sizes it was trained at.
public struct ToyRollout: Sendable, Equatable, Codable {
    public let algorithm: String
    public let actorHidden: [Int], criticHidden: [Int]
    public let steps: [ToyStep]
    public init(algorithm: String, actorHidden: [Int], criticHidden: [Int], steps: [ToyStep]) {
        self.algorithm = algorithm; self.actorHidden = actorHidden; self.criticHidden = criticHidden; self.steps = steps
    }
    /// "[a] [1]  [c] [16,16,1]", the paper's panel labels.
    public var label: String {
        "\(algorithm) [a] \(paperSizeLabel(hidden: actorHidden, outputs: 1))  [c] \(paperSizeLabel(hidden: criticHidden, outputs: 1))"
    }
}

public enum PaperFigures {
    /// Figure 1: per rollout (rows), the state tracking its goal over an
    /// episode (left) and the state–action pairs against the ideal policy a = o
    /// (right). Rows, not the paper's columns: two panels across stay legible
    /// at the ~640-pixel width a README shows, however many sizes there are.
    public static func figure1(_ rollouts: [ToyRollout], name: String = "figure1") throws -> GnuplotFigure {
        guard !rollouts.isEmpty else { throw ReportError.badInput("figure 1 needs at least one rollout") }
        var blocks: [DataBlock] = []
        var panels = ""
        for (i, r) in rollouts.enumerated() {
            let index = blocks.count
            blocks.append(DataBlock(title: r.label, columns: ["t", "state", "goal", "observation", "action"],
                                    rows: r.steps.map { [String($0.t), gpNumber($0.state), gpNumber($0.goal),
                                                         gpNumber($0.observation), gpNumber($0.action)] }))
            // Keys on the first row only: every row draws the same series.
            let key = i == 0 ? "set key tmargin center horizontal" : "unset key"
            panels += """
                set title \(gpQuoted(r.label))
                set xlabel 'time step'
                set ylabel 'position (s and g, unitless)'
                set yrange [*:*]
                set xrange [*:*]
                set xtics 0, \(gpNumber(niceTickStep(Double(r.steps.map(\.t).max() ?? 1), intervals: 4)))
                \(key)
                plot datafile index \(index) using 1:3 with lines lt 7 dt 2 lw 1.5 title 'goal g', \\
                     datafile index \(index) using 1:2 with lines lt 1 title 'state s'
                set title 'state-action pairs'
                set xlabel 'observation o = g - s (unitless)'
                set ylabel 'action a (unitless)'
                set xrange [*:*]
                set xtics autofreq
                set yrange [-1.1:1.1]
                \(key)
                plot datafile index \(index) using 4:5 with points lt 2 pt 7 ps 0.5 title 'learned (o, a)', \\
                     x with lines ls 100 title 'ideal a = o'

            """
        }
        let body = Templates.fill(try Templates.text("toy-policy"), [
            "ROWS": String(rollouts.count), "TITLE": "Toy tracking problem: learned control by actor [a] and critic [c] size",
            "TITLEFONTSIZE": "14", "PANELS": panels,
        ])
        return GnuplotFigure(name: name,
                             caption: "Figure 1. State transitions (left: the internal state s following the goal g over one evaluation episode) and state–action pairs (right) for different actor [a] and critic [c] sizes, one row each; the green dotted line is the ideal policy a = o. Sizes count the output layer, as the paper's.",
                             blocks: blocks, body: body, width: 860, height: 320 * rollouts.count + 90)
    }

    // MARK: - Figures 2 and A.1: toy training curves

    /// One algorithm's toy-problem curves: episode return and value (critic)
    /// loss against environment steps, one curve per size configuration.
    public struct ToyTraining: Sendable, Equatable {
        public let algorithm: String
        public let rewards: [Curve]
        public let valueLosses: [Curve]
        public init(algorithm: String, rewards: [Curve], valueLosses: [Curve]) {
            self.algorithm = algorithm; self.rewards = rewards; self.valueLosses = valueLosses
        }
    }

    /// Figure 2 (DDPG, TRPO) and Figure A.1 (SAC, TD3, PPO): a row per
    /// algorithm, rewards left and value losses (log scale) right.
    public static func toyTraining(_ algorithms: [ToyTraining], name: String, number: String) throws -> GnuplotFigure {
        let rewards = algorithms.map {
            CurvePanel(title: "\($0.algorithm): reward", xLabel: "environment steps", yLabel: "episode return (mean ± std over seeds)",
                       curves: $0.rewards, keyPosition: "bottom right")
        }
        let losses = algorithms.map {
            CurvePanel(title: "\($0.algorithm): value loss", xLabel: "environment steps", yLabel: "value loss (MSE, log scale)",
                       curves: $0.valueLosses, logY: true, keyPosition: "bottom left")
        }
        let names = algorithms.map(\.algorithm).joined(separator: ", ")
        // A row per algorithm (reward, loss): two panels across stay legible at a README's ~640 pixels.
        return try CurveGrid(title: "Toy tracking problem: \(names)", rows: zip(rewards, losses).map { [$0, $1] }).figure(
            name: name,
            caption: "Figure \(number). Rewards and value (critic) losses during training on the toy problem for \(names): symmetric actor-critic pairs [1], [4,4,1], [8,8,1], [16,16,1] and the asymmetric 1-neuron actor with a [16,16,1] critic (sizes count the output layer). Lines are means over seeds, bands ± one standard deviation.",
            panelWidth: 450, panelHeight: 330)
    }

    // MARK: - Figure 3: smallest symmetric vs asymmetric actors

    /// One (environment, algorithm) row of the size search's outcome.
    public struct SizeComparison: Sendable, Equatable, Codable {
        public let environment: String
        public let algorithm: String
        public let baselineParameters: Int
        public let symmetricParameters: Int
        public let asymmetricParameters: Int
        public let symmetricReward: Summary
        public let asymmetricReward: Summary
        public init(environment: String, algorithm: String, baselineParameters: Int, symmetricParameters: Int,
                    asymmetricParameters: Int, symmetricReward: Summary, asymmetricReward: Summary) {
            self.environment = environment; self.algorithm = algorithm; self.baselineParameters = baselineParameters
            self.symmetricParameters = symmetricParameters; self.asymmetricParameters = asymmetricParameters
            self.symmetricReward = symmetricReward; self.asymmetricReward = asymmetricReward
        }
    }

    /// Figure 3: per environment (a row each), the actor sizes of the smallest
    /// symmetric and asymmetric actors as a percentage of the baseline actor's
    /// weights (left, log scale) and their rewards ± std (right), per algorithm.
    public static func figure3(_ rows: [SizeComparison], name: String = "figure3") throws -> GnuplotFigure {
        var environments: [String] = []
        for r in rows where !environments.contains(r.environment) { environments.append(r.environment) }
        guard !environments.isEmpty else { throw ReportError.badInput("figure 3 needs at least one row") }
        var blocks: [DataBlock] = []
        var panels = ""
        // The size axis starts a decade below the smallest actor, so every bar shows.
        let smallest = rows.map { 100 * Double(min($0.symmetricParameters, $0.asymmetricParameters)) / Double($0.baselineParameters) }.min() ?? 1
        let sizeFloor = pow(10, (log10(max(smallest, 1e-6))).rounded(.down))
        for env in environments {
            let index = blocks.count
            let group = rows.filter { $0.environment == env }
            blocks.append(DataBlock(
                title: env,
                columns: ["algorithm", "symmetric_%", "symmetric_params", "asymmetric_%", "asymmetric_params",
                          "symmetric_reward", "symmetric_std", "asymmetric_reward", "asymmetric_std"],
                rows: group.map { r in
                    let b = Double(r.baselineParameters)
                    return [gpQuoted(r.algorithm),
                            gpNumber(100 * Double(r.symmetricParameters) / b), String(r.symmetricParameters),
                            gpNumber(100 * Double(r.asymmetricParameters) / b), String(r.asymmetricParameters),
                            gpNumber(r.symmetricReward.mean), gpNumber(r.symmetricReward.std),
                            gpNumber(r.asymmetricReward.mean), gpNumber(r.asymmetricReward.std)]
                }))
            // Sizes carry no spread: the error-bar histogram style reads a zero std column.
            panels += """
                set title \(gpQuoted(env + ": actor sizes"))
                set xlabel 'algorithm'
                set ylabel 'actor size (% of baseline weights, log)'
                set logscale y
                set yrange [\(gpNumber(sizeFloor)):200]
                set format y '%g'
                set key inside top right
                plot datafile index \(index) using 2:(0):xtic(1) title 'symmetric' lt 1, \\
                     datafile index \(index) using 4:(0) title 'asymmetric' lt 2

            """
            // Returns are often negative: points with error bars, not bars from zero.
            panels += """
                set title \(gpQuoted(env + ": returns"))
                set xlabel ''
                set ylabel 'evaluation return (mean ± std)'
                unset logscale y
                set yrange [*:*]
                set offsets 0.5, 0.5, graph 0.08, graph 0.08
                set key bmargin center horizontal
                plot datafile index \(index) using 0:(NaN):xtic(1) with points notitle, \\
                     datafile index \(index) using ($0-0.12):6:7 with yerrorbars lt 1 pt 7 ps 1.4 title 'symmetric', \\
                     datafile index \(index) using ($0+0.12):8:9 with yerrorbars lt 2 pt 5 ps 1.4 title 'asymmetric'
                set offsets 0, 0, 0, 0

            """
        }
        let body = Templates.fill(try Templates.text("bars"), [
            "ROWS": String(environments.count), "COLUMNS": "2", "TITLE": "Smallest symmetric vs asymmetric actors",
            "TITLEFONTSIZE": "14", "PANELS": panels,
        ])
        return GnuplotFigure(name: name,
                             caption: "Figure 3. Actor sizes (number of weights and biases, as a percentage of the baseline actor's) and evaluation returns (mean ± std over seeds) of the smallest symmetric and asymmetric actors found by the binary search, per environment and algorithm.",
                             blocks: blocks, body: body, width: 860, height: 340 * environments.count + 50)
    }

    // MARK: - Figure 4: SAC on Reacher

    /// Figure 4: (a)[i] Q-value loss for different critic sizes (the symmetric
    /// search's probes), (a)[ii] Q-value loss for different actors trained with
    /// one critic, (b) episodic returns.
    public static func figure4(criticSweep: [Curve], actorSweep: [Curve], returns: [Curve], fixedCritic: [Int],
                               algorithm: String = "SAC", environment: String = "Reacher-v2",
                               name: String = "figure4", number: String? = "4",
                               loss: (short: String, long: String) = ("Q loss", "Q-value loss")) throws -> GnuplotFigure {
        // (a)[i] and (a)[ii] share one loss axis: the comparison between them is the point.
        let losses = (criticSweep + actorSweep).flatMap { $0.points.map(\.mean) }.filter { $0 > 0 && $0.isFinite }
        let shared = losses.isEmpty ? nil : pow(10, log10(losses.min()!).rounded(.down))...pow(10, log10(losses.max()!).rounded(.up))
        let panels = [
            CurvePanel(title: "(a)[i] \(loss.short), symmetric sizes", xLabel: "environment steps",
                       yLabel: "\(loss.long) (MSE, log scale)", curves: criticSweep, logY: true, keyPosition: "top right", yRange: shared),
            CurvePanel(title: "(a)[ii] \(loss.short), actors with critic \(hiddenSizeLabel(fixedCritic))", xLabel: "environment steps",
                       yLabel: "\(loss.long) (MSE, log scale)", curves: actorSweep, logY: true, keyPosition: "top right", yRange: shared),
            CurvePanel(title: "(b) episodic return", xLabel: "environment steps",
                       yLabel: "episode return (mean ± std over seeds)", curves: returns, keyPosition: "bottom right"),
        ]
        // Two columns, not three in a row: the figure stays legible at the ~640-pixel width a README shows.
        return try CurveGrid(title: "\(algorithm) on \(environment)", rows: [Array(panels[0..<2]), [panels[2]]]).figure(
            name: name,
            caption: (number.map { "Figure \($0). " } ?? "") + "Training progress for \(algorithm) on \(environment): (a)[i] \(loss.long) for different critic sizes (the symmetric search's probes), (a)[ii] the same for different actors trained with the critic \(hiddenSizeLabel(fixedCritic)), (b) episodic returns. Lines are means over seeds, bands ± one standard deviation.",
            panelWidth: 450, panelHeight: 360)
    }
}
