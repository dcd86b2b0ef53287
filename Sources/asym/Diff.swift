import ArgumentParser
import Foundation
import Pipeline
import Report
import Store

extension Asym {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the results of two runs: per node and metric, both values over seeds, the change and Welch's p.",
            discussion: """
            A and B are each a run record (a file written by `asym run` into the
            store's runs/ folder; its file name alone is enough) or a git revision
            (a tag, branch, sha, HEAD~1: anything `git rev-parse` resolves in the
            current folder), which stands for the newest run record of that commit
            in the store. Nothing is recomputed unless you ask: a revision without
            a record is an error naming the command that computes it, or, with
            --run, that command is run here (a temporary git worktree at the
            revision, `swift build -c release` in it, its `asym run PIPELINE`
            into the same store; the worktree is removed after).

            Prints Markdown (like `dvc metrics diff`, with statistics): where each
            side comes from, then per node group (the nodes that differ only by
            seed) and metric, A and B as mean ± std over seeds (n), Δ = B − A and
            the two-sided p-value of Welch's t-test over seeds. Metrics: a train
            node's final eval return, its mean return over its last 10 training
            episodes, its last value loss; an evaluate node's eval return. Nodes
            on one side only are listed after the table.

            --plot DIR writes, per node group on both sides, the training return
            of A and B over environment steps (mean over seeds, ± std band) as
            DIR/diff-<node group>.{png,svg,dat,gp} (needs gnuplot).

            Examples:
              asym diff v1.0 HEAD --pipeline pipelines/smoke.yaml
              asym diff HEAD~1 HEAD --pipeline pipelines/pendulum.yaml --run
              asym diff 2025-06-01T101500Z-3fa2b1c4d5e6 HEAD    # a record and a revision
              asym diff artifacts/runs/a.json artifacts/runs/b.json --plot diff-figures > diff.md

            Exit codes: 0 compared, 2 bad input (unknown revision, unreadable
            record, a record of another pipeline than --pipeline), 1 otherwise
            (e.g. no run of a revision in the store, a failed --run).
            """)

        @Argument(help: "The run before: a run record (path, or file name in the store's runs/) or a git revision.")
        var a: String
        @Argument(help: "The run after, as A.")
        var b: String
        @Option(help: ArgumentHelp("The pipeline file: only its runs stand for a revision (needed by --run, which runs it).",
                                   valueName: "file"))
        var pipeline: String?
        @Option(help: "Artifact store folder (default $ASYM_STORE, else artifacts).")
        var store: String?
        @Option(help: ArgumentHelp("Also write the overlaid learning curves here (PNG, SVG, .dat, .gp per node group).",
                                   valueName: "dir"))
        var plot: String?
        @Flag(name: .customLong("run"),
              help: "Compute a revision missing from the store (build it in a temporary git worktree and run --pipeline there).")
        var computeMissing = false

        func validate() throws {
            if computeMissing && pipeline == nil { throw ValidationError("--run needs --pipeline FILE: the pipeline to run at the revision") }
        }

        func run() throws {
            let store = ArtifactStore(root: ArtifactStore.resolveRoot(option: self.store))
            // Before any work: a missing gnuplot should not cost a run.
            let gnuplot = try plot.map { _ in try operational { try Gnuplot() } }
            var pipelineName: String?
            if let pipeline { pipelineName = try loadPipeline(pipeline).name }
            let repository = FileManager.default.currentDirectoryPath
            // Without --pipeline, a record on one side says which pipeline's runs a revision on the other stands for.
            let givenPipeline = pipelineName != nil
            if pipelineName == nil, let path = [a, b].lazy.compactMap({ DiffAssembly.recordPath($0, store: store) }).first {
                pipelineName = try diffFacing { try DiffAssembly.readRecord(path) }.pipelineName
            }
            let resolutions = try [a, b].map { argument in
                try diffFacing {
                    try DiffAssembly.resolve(argument, pipelineName: pipelineName, store: store, repository: repository,
                                             recordsMustMatch: givenPipeline)
                }
            }
            var sides: [ResolvedSide] = []
            for (argument, resolution) in zip([a, b], resolutions) {
                switch resolution {
                case .found(let side): sides.append(side)
                case .missing(let commit):
                    guard computeMissing, let pipeline else {
                        throw UserError(message: DiffAssembly.missingMessage(argument: argument, commit: commit, pipelineName: pipelineName,
                                                                             pipelinePath: pipeline, store: store,
                                                                             repository: repository), exitCode: 1)
                    }
                    var revisionRun = RevisionRun(repository: repository, commit: commit, pipelinePath: pipeline, store: store)
                    revisionRun.notice = { printProblem($0) }
                    try diffFacing { try revisionRun.run() }
                    guard case .found(let side) = try diffFacing({
                        try DiffAssembly.resolve(argument, pipelineName: pipelineName, store: store, repository: repository)
                    }) else {
                        throw UserError(message: "asym run at \(commit.prefix(12)) finished but wrote no record of that commit to \(store.runsFolder)", exitCode: 1)
                    }
                    sides.append(side)
                }
            }
            let (da, db) = try operational { (try DiffAssembly.data(of: sides[0], store: store), try DiffAssembly.data(of: sides[1], store: store)) }
            var markdown = DiffAssembly.markdown(sides[0], sides[1], da, db)
            if let plot, let gnuplot {
                let figures = try operational { try DiffAssembly.figures(da, db) }
                if figures.isEmpty {
                    markdown += "\nNo node group has training curves on both sides; nothing plotted.\n"
                } else {
                    markdown += "\n## Learning curves\n\n"
                    for figure in figures {
                        let rendered = try operational { try gnuplot.render(figure, into: URL(fileURLWithPath: plot)) }
                        markdown += "![\(figure.caption)](\(plot)/\(rendered.png.lastPathComponent))\n\n"
                    }
                }
            }
            try StandardOutput.write(markdown)
        }

        /// `DiffError`s with their exit codes: bad input 2, the rest 1.
        func diffFacing<T>(_ body: () throws -> T) throws -> T {
            do { return try body() }
            catch let e as DiffError {
                if case .badInput = e { throw UserError(message: e.description, exitCode: 2) }
                throw UserError(message: e.description, exitCode: 1)
            }
        }
    }
}
