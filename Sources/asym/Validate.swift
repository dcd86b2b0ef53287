import ArgumentParser
import Foundation
import Pipeline

extension Asym {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a pipeline file and count the nodes it expands to, without running anything.",
            discussion: """
            Every problem is reported, one per line, as FILE:LINE:COLUMN: field: message
            (the format editors jump to); the exit code is then 2. The format of
            pipeline files is described in pipelines/README.md.

            Examples:
              asym validate pipelines/smoke.yaml
              asym validate pipelines/smoke.yaml --nodes     # every node id, in run order
            """)

        @Argument(help: "The pipeline file (YAML).") var pipeline: String
        @Flag(help: "List the expanded nodes, one id per line.") var nodes = false

        func run() throws {
            let loaded: Pipeline
            do { loaded = try Pipeline.load(path: pipeline) }
            catch let errors as PipelineErrors {
                FileHandle.standardError.write(Data((errors.description + "\n").utf8))
                let n = errors.diagnostics.count
                throw UserError(message: "\(pipeline): \(n) error\(n == 1 ? "" : "s")", exitCode: 2)
            }
            if nodes {
                for node in loaded.graph.nodes { print(node.id) }
                return
            }
            let kinds = StageKind.allCases.compactMap { kind -> String? in
                let n = loaded.graph.nodes.filter { $0.spec.kind == kind }.count
                return n == 0 ? nil : "\(kind.rawValue) \(n)"
            }
            print("\(pipeline): \(loaded.stages.count) stages, \(loaded.graph.count) nodes (\(kinds.joined(separator: ", "))) "
                  + "before the searches add their probes")
        }
    }
}
