import ArgumentParser
import Foundation
import Store

/// The store folder option shared by ls, show and gc.
struct StoreOption: ParsableArguments {
    @Option(help: "Artifact store folder (default $ASYM_STORE, else artifacts).")
    var store: String?
    var resolved: ArtifactStore { ArtifactStore(root: ArtifactStore.resolveRoot(option: store)) }
}

func printProblem(_ line: String) { FileHandle.standardError.write(Data("asym: \(line)\n".utf8)) }

extension Asym {
    struct Ls: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the store's objects, one line each.",
            discussion: """
            Columns: key prefix, kind, algorithm, environment, actor and critic
            sizes, seed, steps, final evaluation return, created. A FILTER is
            field=value (e.g. algo=sac, env=Pendulum-v1, seed=0) or a word that
            must appear in the line.

            A file in the store that is not one of its objects or run records
            (a stray file, a damaged object, an object under another key's
            name) is named on stderr, one line each, and left alone; the
            listing of the rest still exits 0.
            """)
        @OptionGroup var storeOption: StoreOption
        @Option(help: "Only objects of this kind (e.g. train).")
        var kind: String?
        @Argument(help: "field=value or a word.")
        var filters: [String] = []

        func run() throws {
            for row in storeOption.resolved.rows(kind: kind, filters: filters, problem: printProblem) { print(row.line) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one object: spec, provenance, datasets, metric summaries.")
        @OptionGroup var storeOption: StoreOption
        @Argument(help: "A key or a unique prefix of one.")
        var key: String

        func run() throws {
            let store = storeOption.resolved
            let full = try userFacing { try store.resolve(prefix: key) }
            switch try operational({ try store.lookup(full) }) {
            case .found(let artifact): print(ArtifactStore.describe(key: full, artifact), terminator: "")
            case .absent: throw UserError(message: StoreError.noObject(prefix: key, store: store.root).description, exitCode: 2)
            case .quarantined(let why, let movedTo):
                throw UserError(message: "\(store.objectPath(full)): damaged (\(why)); moved to \(movedTo)", exitCode: 1)
            }
        }
    }

    struct Gc: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove objects no run record reaches, and partial checkpoints older than the grace period.",
            discussion: "Never removes a partial checkpoint whose key is locked by a running process.")
        @OptionGroup var storeOption: StoreOption
        @Flag(help: "Only list what would be removed.")
        var dryRun = false
        @Option(help: "Keep partial checkpoints younger than this many days.")
        var graceDays: Double = 7

        func run() throws {
            let store = storeOption.resolved
            let result = try operational { try store.collectGarbage(dryRun: dryRun, grace: graceDays * 24 * 3600) }
            let verb = dryRun ? "would remove" : "removed"
            for path in result.objects + result.partials { print("\(verb) \(path)") }
            print("\(verb) \(result.objects.count) objects and \(result.partials.count) partial files, \(result.bytes) bytes")
        }
    }
}
