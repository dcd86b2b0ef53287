import ArgumentParser
import Foundation
import Envs
import Report
import Store

extension Asym {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a trained actor as dependency-free C99, with its flash and RAM footprint.",
            discussion: """
            Reads the train artifact KEY (a unique key prefix is enough, as for
            `asym show`) and writes one C file defining
              void actor(const float *obs, float *act);
            which computes the deterministic action the agent evaluates with:
            weights as `const float` arrays, ReLU or tanh hidden layers as in
            training (tanh as the same rational approximation Nets uses), the
            tanh-bounded action (DDPG, TD3), limit·tanh(μ) (SAC), the clipped
            mean (PPO, TRPO) or the argmax of the logits (discrete actions).
            The footprint (constant data in flash, stack in RAM) is printed after
            the file is written (to stderr when the C goes to standard output).

            Examples:
              asym export 3fa2 --format c --output actor.c
              cc -std=c99 -O2 -c actor.c
            """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case c }

        @OptionGroup var storeOption: StoreOption
        @Argument(help: "A train artifact's key or a unique prefix of one.")
        var key: String
        @Option(help: "Output language: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: String
        @Option(help: "File to write (default: standard output).")
        var output: String?

        func run() throws {
            guard Format(rawValue: format) != nil else {
                throw UserError(message: "unsupported export format '\(format)' (supported: \(Format.allCases.map(\.rawValue).joined(separator: ", ")))", exitCode: 2)
            }
            let (actor, run, full) = try storedActor(key, in: storeOption.resolved)
            let comment = """
                \(run.algorithm.uppercased()) actor \(run.actorHidden) (critic \(run.criticHidden)) on \(run.environment), seed \(run.seed), \(run.steps) steps.
                Artifact \(full).
                """
            let source = actor.cSource(comment: comment)
            let footprint = "flash \(actor.flashBytes) bytes (\(actor.exportedParameterCount) float32 weights and biases"
                + (actor.flashBytes > 4 * actor.exportedParameterCount ? " + action constants" : "")
                + "), RAM \(actor.ramBytes) bytes of stack; code not counted"
            if let output {
                try operational { try AtomicWrite.writeBytes(Array(source.utf8), to: output) }
                try StandardOutput.line("wrote \(output): " + footprint)
            } else {
                // stdout carries the C alone, so the footprint goes to stderr.
                try StandardOutput.write(source)
                FileHandle.standardError.write(Data((footprint + "\n").utf8))
            }
        }
    }
}

/// The deterministic actor of the train artifact `key` (a unique prefix is
/// enough), as `asym export` writes it and `asym act` runs it.
func storedActor(_ key: String, in store: ArtifactStore) throws -> (ExportableActor, TrainRunDescription, String) {
    let full = try userFacing { try store.resolve(prefix: key) }
    let artifact: Artifact
    switch try operational({ try store.lookup(full) }) {
    case .found(let a): artifact = a
    case .absent: throw UserError(message: StoreError.noObject(prefix: key, store: store.root).description, exitCode: 2)
    case .quarantined(let why, let movedTo):
        throw UserError(message: "\(store.objectPath(full)): damaged (\(why)); moved to \(movedTo)", exitCode: 1)
    }
    let (actor, run) = try userFacing { () throws -> (ExportableActor, TrainRunDescription) in
        let run = try TrainRunDescription(artifact)
        let space: ExportActionSpace
        switch try EnvRegistry.entry(run.environment).actionSpace {
        case .box(let low, let high): space = .box(low: low, high: high)
        case .discrete(let n): space = .discrete(n)
        }
        return (try ExportableActor(artifact: artifact, actionSpace: space), run)
    }
    return (actor, run, full)
}
