import ArgumentParser
import Foundation
import Agents
import Pipeline
import Store

extension Asym {
    /// What a pipeline's worker runs: one node, named by its key, whose spec
    /// `asym run` wrote to the store's specs/ folder. Hidden: users run pipelines.
    struct Exec: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one prepared pipeline node by its key (the workers of `asym run`).",
            shouldDisplay: false)

        @Argument(help: "The node's key.") var key: String
        @Option(help: "Artifact store folder (default $ASYM_STORE, else artifacts).") var store: String?

        func run() throws {
            TrainNode.toolVersion = AsymVersion.string
            let store = ArtifactStore(root: ArtifactStore.resolveRoot(option: self.store))
            let node = try userFacing { try NodeSpecFile.read(key: key, in: store) }
            StopSignals.install()
            CoordinatorWatch.start()
            FileHandle.standardError.write(Data("asym exec: \(node.id) key \(key) (\(AsymVersion.string), pid \(getpid()))\n".utf8))
            switch node.spec {
            case .train(let spec):
                let train = try userFacing { try spec.makeTrainNode() }
                _ = try userFacing { try train.makeAgent() }
                var options = TrainNode.Options()
                options.recordRun = false
                options.notice = { FileHandle.standardError.write(Data("asym: \($0)\n".utf8)) }
                var lastWrite = 0.0
                options.progress = { p in
                    let now = monotonicSeconds()
                    if now - lastWrite >= 1 || p.steps == p.totalSteps {
                        lastWrite = now
                        ProgressFile.write(p, key: key, in: store)
                    }
                }
                defer { ProgressFile.remove(key: key, in: store) }
                let outcome = try operational {
                    try reportingTrainingStops(checkpoint: store.partialPath(key), lastSavedStep: { train.lastPartialStep },
                                               continueWith: "asym run") {
                        try train.run(in: store, options: options)
                    }
                }
                try StandardOutput.line(outcome.summaryLine)
            case .evaluate(let spec):
                let outcome = try operational { try EvaluateNode(spec).run(in: store) }
                try StandardOutput.line(outcome.summaryLine)
            case .search, .report:
                throw UserError(message: "\(node.id): \(node.spec.kind.rawValue) nodes run in `asym run` itself", exitCode: 2)
            }
        }
    }
}

/// A worker whose coordinator died stops by itself: it checkpoints, as on SIGTERM.
enum CoordinatorWatch {
    static func start() {
        guard let text = ProcessInfo.processInfo.environment["ASYM_COORDINATOR_PID"], let parent = Int32(text) else { return }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
        timer.setEventHandler {
            if getppid() != parent { StopRequest.process.request(signal: SIGTERM) }
        }
        timer.resume()
        source = timer
    }
    nonisolated(unsafe) static var source: DispatchSourceTimer?
}
