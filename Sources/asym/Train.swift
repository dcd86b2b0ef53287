import ArgumentParser
import Foundation
import Agents
import Envs
import Nets
import Store

extension Algorithm: ExpressibleByArgument {}
extension Preset: ExpressibleByArgument {}

extension Asym {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train one agent with independent actor and critic sizes, then evaluate it.",
            discussion: """
            Prints a live progress line on a terminal (plain periodic lines
            otherwise) to stderr, and at the end one JSON line on stdout with the
            run's spec, the evaluation return over --eval-episodes episodes and
            the training speed.

            Hyper-parameters start from --preset (spinup: Spinning Up's
            defaults; zoo: the RL Zoo's setting for the environment) and are
            overridden one by one with --set key=value. An unknown key lists the
            known ones. PPO anneals its learning rate over total_timesteps (the
            preset's budget, so a shorter run is the start of the preset's run):
            --set total_timesteps=N anneals over N steps instead.

            Examples:
              asym train --algo sac --env Pendulum-v0 \\
                         --actor 16,16 --critic 16,16 --steps 20000
              asym train --algo td3 --env ToyTracking-v0 --actor "" \\
                         --critic 16,16 --steps 6000 --set start_steps=1000
              asym train --algo ppo --env Acrobot-v1 --actor 8,8 \\
                         --critic 64,64 --steps 100000 --preset zoo
              asym train --algo sac --env Pendulum-v0 --actor 4,4 \\
                         --critic 16,16 --steps 1 --print-config
              asym train … --checkpoint run.h5 --checkpoint-every 5000
                         (resumable: rerun with --resume run.h5)
            """)

        @Option(help: "Algorithm: \(Algorithm.allCases.map(\.rawValue).joined(separator: ", ")).")
        var algo: Algorithm
        @Option(help: "Environment id (see `asym env list`).")
        var env: String
        @Option(parsing: .unconditional, help: "Actor hidden sizes, comma separated (\"\" for a single linear layer).")
        var actor: HiddenSizes
        @Option(parsing: .unconditional, help: "Critic hidden sizes, comma separated.")
        var critic: HiddenSizes
        @Option(parsing: .unconditional, help: "Environment steps to train for (default: the preset's budget, `total_steps`).")
        var steps: Int?
        @Option(parsing: .unconditional, help: "Random seed.")
        var seed: UInt64 = 0
        @Option(help: "Defaults to start from: \(Preset.allCases.map(\.rawValue).joined(separator: ", ")).")
        var preset: Preset = .spinup
        @Option(name: .customLong("set"), parsing: .singleValue, help: "Override a hyper-parameter (repeatable): key=value.")
        var overrides: [String] = []
        @Option(parsing: .unconditional, help: "Evaluation episodes of the deterministic policy at the end.")
        var evalEpisodes: Int = 10
        @Option(help: "HDF5 file to save the complete training state to (at the end and every --checkpoint-every steps).")
        var checkpoint: String?
        @Option(parsing: .unconditional, help: "Save a checkpoint every N environment steps.")
        var checkpointEvery: Int?
        @Option(help: "Resume from a checkpoint file written by --checkpoint.")
        var resume: String?
        @Flag(help: "Resume a checkpoint computed under other numerics (the result will differ from an uninterrupted run).")
        var allowNumericsChange = false
        @Flag(help: "Print every hyper-parameter of this run (preset plus --set) as JSON, and exit.")
        var printConfig = false

        func validate() throws {
            if let steps, steps <= 0 { throw ValidationError("--steps must be positive (got \(steps))") }
            guard evalEpisodes >= 0 else { throw ValidationError("--eval-episodes must be ≥ 0") }
            if let every = checkpointEvery, every <= 0 { throw ValidationError("--checkpoint-every must be positive") }
            if checkpointEvery != nil && checkpoint == nil {
                throw ValidationError("--checkpoint-every needs --checkpoint FILE")
            }
        }

        func run() throws {
            let pairs = try overrides.map { raw -> (key: String, value: String) in
                guard let eq = raw.firstIndex(of: "="), eq != raw.startIndex else {
                    throw ValidationError("--set expects key=value (got '\(raw)')")
                }
                return (String(raw[..<eq]), String(raw[raw.index(after: eq)...]))
            }
            let spec = RunSpec(algorithm: algo, env: env, actorHidden: actor.sizes, criticHidden: critic.sizes,
                               seed: seed, preset: preset)
            let agent = try userFacing { try AgentFactory.make(spec, overrides: pairs) }
            if printConfig {
                try StandardOutput.line(agent.configJSON)
                return
            }
            if let checkpoint { try userFacing { try StateFile.checkWritable(checkpoint) } }   // fail before training, not after
            if let resume {
                try userFacing { try agent.load(StateFile.read(resume)) }
                let warning = try userFacing { try Numerics.checkResume(stored: HDF5File.open(resume).attribute("numerics"), allowChange: allowNumericsChange) }
                if let warning { FileHandle.standardError.write(Data("asym: warning: \(warning)\n".utf8)) }
            }
            let steps = self.steps ?? agent.budget
            let specJSON = try userFacing { try canonicalJSON(spec) }
            let reporter = ProgressPrinter()
            let metrics = MemoryMetrics()
            var lastSavedStep: Int?
            StopSignals.install()
            let save: ((StateDict) throws -> Void)? = checkpoint.map { path in { state in
                try StateFile.write(state, to: path, attributes: ["kind": "checkpoint", "spec": specJSON,
                                                                  "config": agent.configJSON, "tool_version": AsymVersion.string,
                                                                  "numerics": Numerics.id])
                lastSavedStep = agent.stepsDone
            } }
            do {
                try operational {
                    try reportingTrainingStops(checkpoint: checkpoint, lastSavedStep: { lastSavedStep }) {
                        try Training.run(agent, totalSteps: steps, metrics: metrics, checkpointEvery: checkpointEvery,
                                         onCheckpoint: save, progress: reporter.report)
                    }
                }
            } catch { reporter.finish(); throw error }
            reporter.finish()
            let returns = agent.evaluate(episodes: evalEpisodes, seed: seed &+ 1_000_003)
            if let signal = StopRequest.process.signal {   // arrived after the last step: the final checkpoint is written
                throw UserError(message: "stopped by \(signalName(signal)) after training"
                                    + (checkpoint.map { "; checkpoint saved to \($0)" } ?? ""), exitCode: 128 + signal)
            }
            if let bad = returns.first(where: { !$0.isFinite }) {
                throw UserError(message: "evaluation diverged: an episode return is \(bad)", exitCode: 1)
            }
            // No episodes, no measurement: the fields are null, not a made-up 0.
            let mean = returns.isEmpty ? nil : returns.reduce(0, +) / Double(returns.count)
            let std = mean.map { m in (returns.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(returns.count)).squareRoot() }
            let summary = TrainSummary(algo: algo.rawValue, env: env, actor: actor.sizes, critic: critic.sizes,
                                       seed: seed, steps: agent.stepsDone, eval_return_mean: mean, eval_return_std: std,
                                       steps_per_second: metrics.last("perf/steps_per_second") ?? 0)
            try StandardOutput.line(try summary.jsonLine())
        }
    }
}

/// The JSON line `asym train` prints, fields in this order.
struct TrainSummary: Encodable {
    let algo: String, env: String, actor: [Int], critic: [Int], seed: UInt64, steps: Int
    let eval_return_mean: Double?, eval_return_std: Double?, steps_per_second: Double

    /// One line of JSON with the fields in declaration order (JSONEncoder's
    /// order is unspecified on Linux, and readers of logs expect this one).
    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        func value<T: Encodable>(_ v: T?) throws -> String {
            guard let v else { return "null" }
            return String(decoding: try encoder.encode(v), as: UTF8.self)
        }
        let fields: [(String, String)] = [
            ("algo", try value(algo)), ("env", try value(env)), ("actor", try value(actor)),
            ("critic", try value(critic)), ("seed", try value(seed)), ("steps", try value(steps)),
            ("eval_return_mean", try value(eval_return_mean)), ("eval_return_std", try value(eval_return_std)),
            ("steps_per_second", try value(steps_per_second)),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// Live progress on stderr: one rewritten line on a terminal, periodic plain lines otherwise.
final class ProgressPrinter {
    let isTerminal = isatty(STDERR_FILENO) == 1
    var lastPlain = 0.0
    var printedLive = false

    func report(_ p: Training.Progress) {
        let ret = p.lastReturn.map { formatFixed($0, digits: 1) } ?? "–"
        let eta = p.etaSeconds.flatMap { $0.isFinite && $0 < 1e9 ? formatDuration($0) : nil } ?? "–"
        let line = "steps \(p.steps)/\(p.totalSteps)  \(formatFixed(p.stepsPerSecond, digits: 0)) steps/s  last return \(ret)  ETA \(eta)"
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            printedLive = true
        } else {
            let t = monotonicSeconds()
            if t - lastPlain >= 10 || p.steps == p.totalSteps {
                lastPlain = t
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        }
    }

    func finish() {
        if printedLive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
}
