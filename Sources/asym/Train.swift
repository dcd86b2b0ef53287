import ArgumentParser
import Foundation
import Agents
import Envs
import Nets
import Pipeline
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
        @Option(help: "Artifact store folder (default $ASYM_STORE, else artifacts).")
        var store: String?
        @Flag(help: "Train without the store: no key, no cached result (implied by --checkpoint and --resume).")
        var noStore = false
        @Flag(help: "If another process is computing the same key, say who and exit instead of waiting.")
        var noWait = false
        @Flag(help: "Print every hyper-parameter of this run (preset plus --set) as JSON, and exit.")
        var printConfig = false

        /// --checkpoint and --resume name files outside the store: today's behaviour.
        var usesStore: Bool { !noStore && checkpoint == nil && resume == nil }

        func validate() throws {
            if let steps, steps <= 0 { throw ValidationError("--steps must be positive (got \(steps))") }
            guard evalEpisodes >= 0 else { throw ValidationError("--eval-episodes must be ≥ 0") }
            if let every = checkpointEvery, every <= 0 { throw ValidationError("--checkpoint-every must be positive") }
            if checkpointEvery != nil && checkpoint == nil && !usesStore {
                throw ValidationError("--checkpoint-every needs --checkpoint FILE (or the store)")
            }
            if store != nil && !usesStore {
                throw ValidationError("--store cannot be combined with --no-store, --checkpoint or --resume")
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
            if usesStore && !printConfig { return try runThroughStore(spec, overrides: pairs) }
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
            let result = try operational { try RunResult.evaluate(agent, protocol: .init(episodes: evalEpisodes)) }
            if let signal = StopRequest.process.signal {   // arrived after the last step: the final checkpoint is written
                throw UserError(message: "stopped by \(signalName(signal)) after training"
                                    + (checkpoint.map { "; checkpoint saved to \($0)" } ?? ""), exitCode: 128 + signal)
            }
            let summary = result.summary(of: agent, stepsPerSecond: metrics.last("perf/steps_per_second") ?? 0)
            try StandardOutput.line(try summary.jsonLine())
        }

        /// Prints the key, then the stored summary at once, or trains with
        /// checkpoints in the store's partial/ folder and stores the result.
        func runThroughStore(_ spec: RunSpec, overrides: [(key: String, value: String)]) throws {
            let node = try userFacing {
                try TrainNode(spec: spec, overrides: overrides, steps: steps, evaluation: .init(episodes: evalEpisodes))
            }
            TrainNode.toolVersion = AsymVersion.string
            let store = ArtifactStore(root: ArtifactStore.resolveRoot(option: self.store))
            // What the agent's own checks refuse (sizes, memory) is bad input: say it in one
            // line before anything else. A stored result needs no agent at all.
            if !FileManager.default.fileExists(atPath: store.objectPath(node.key)) {
                _ = try userFacing { try node.makeAgent() }
            }
            // The key goes to stderr at the start on a terminal, else with the result, so
            // that a run that fails still says so in one line.
            let keyLine = Data("key \(node.key)\n".utf8)
            if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(keyLine) }
            let reporter = ProgressPrinter()
            var options = TrainNode.Options()
            options.wait = !noWait
            options.notice = { FileHandle.standardError.write(Data("asym: \($0)\n".utf8)) }
            options.progress = reporter.report
            if let checkpointEvery { options.checkpointInterval = .steps(checkpointEvery) }
            StopSignals.install()
            let partial = store.partialPath(node.key)
            let outcome: TrainNode.Outcome
            do {
                outcome = try operational {
                    try reportingTrainingStops(checkpoint: partial, lastSavedStep: { node.lastPartialStep },
                                               continueWith: "the same command") {
                        try node.run(in: store, options: options)
                    }
                }
            } catch { reporter.finish(); throw error }
            reporter.finish()
            if isatty(STDERR_FILENO) != 1 { FileHandle.standardError.write(keyLine) }
            try StandardOutput.line(outcome.summaryLine)
        }
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
