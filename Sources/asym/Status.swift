import ArgumentParser
import Foundation
import Pipeline
import Store

extension Asym {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each node of a pipeline: cached, running, partial, stale (and why), failed or pending.",
            discussion: """
            Reads the store only. A partial node shows the steps its checkpoint has
            done of its budget; a running one its worker's steps/s and ETA. A stale
            node is one an earlier run computed whose key has changed since, with
            the reason: "code of Agents changed", "steps 20000 → 30000",
            "numerics portable → native". The last line counts nodes per state.

            Examples:
              asym status pipelines/smoke.yaml
              asym status pipelines/smoke.yaml --only stale,failed
              asym status pipelines/smoke.yaml --summary
            """)

        @Argument(help: "The pipeline file (YAML).") var pipeline: String
        @Option(help: "Artifact store folder (default $ASYM_STORE, else artifacts).") var store: String?
        @Option(help: "Show only these states, comma separated (\(NodeStatus.State.allCases.map(\.rawValue).joined(separator: ", "))).")
        var only: String?
        @Flag(help: "Print only the counts per state.") var summary = false
        @OptionGroup var shrink: ShrinkOptions
        @Option(help: "Folder the report stage's relative output paths start from (default: the current folder).")
        var reportBase: String?

        func run() throws {
            let loaded = try loadPipeline(pipeline).shrunk(shrink.value)
            let store = ArtifactStore(root: ArtifactStore.resolveRoot(option: self.store))
            var wanted = Set(NodeStatus.State.allCases)
            if let only {
                wanted = []
                for name in only.split(separator: ",") {
                    guard let s = NodeStatus.State(rawValue: String(name)) else {
                        throw UserError(message: "--only: unknown state '\(name)' (known: \(NodeStatus.State.allCases.map(\.rawValue).joined(separator: ", ")))", exitCode: 2)
                    }
                    wanted.insert(s)
                }
            }
            let statuses = try operational {
                try PipelineStatus.of(loaded, in: store, lastRun: RunRecord.latest(of: loaded.name, in: store),
                                      reportBase: reportBase ?? FileManager.default.currentDirectoryPath)
            }
            let width = min(72, statuses.map(\.node.count).max() ?? 0)
            if !summary {
                for s in statuses where wanted.contains(s.state) {
                    let pad = String(repeating: " ", count: max(0, width - s.node.count))
                    try StandardOutput.line("\(s.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(s.node)\(pad)"
                                            + (s.detail.isEmpty ? "" : "  \(s.detail)"))
                }
            }
            let counts = NodeStatus.State.allCases.compactMap { state -> String? in
                let n = statuses.filter { $0.state == state }.count
                return n == 0 ? nil : "\(n) \(state.rawValue)"
            }
            try StandardOutput.line("\(loaded.name): \(statuses.count) nodes: \(counts.joined(separator: ", "))")
        }
    }
}
