// `asym diff --run`: computes a revision's results when the store has no run
// record for it. The code of that revision is checked out in a temporary git
// worktree, built there, and its own `asym run` computes the pipeline into the
// same store; its run record then names that commit (the binary reports the
// checkout it was built in), and the worktree is removed.
import Foundation
import Store

public struct RevisionRun {
    /// A folder inside the git repository the revision belongs to.
    public var repository: String
    /// The full commit to run.
    public var commit: String
    /// The pipeline file; it is read as it is at `commit`.
    public var pipelinePath: String
    public var store: ArtifactStore
    /// Builds the checkout; run in the worktree, which must then hold `.build/release/asym`.
    public var buildCommand = ["swift", "build", "-c", "release"]
    /// One-line progress for the user (the build's and run's own output goes to standard error).
    public var notice: (String) -> Void = { _ in }

    public init(repository: String, commit: String, pipelinePath: String, store: ArtifactStore) {
        self.repository = repository; self.commit = commit; self.pipelinePath = pipelinePath; self.store = store
    }

    /// `path` relative to the repository's top folder `top` (what it is called at any commit).
    static func relativePath(of path: String, in top: String) throws -> String {
        let absolute = URL(fileURLWithPath: DiffAssembly.absolutePath(path)).resolvingSymlinksInPath().path
        let root = URL(fileURLWithPath: top).resolvingSymlinksInPath().path
        guard !top.isEmpty, absolute.hasPrefix(root + "/") else {
            throw DiffError.badInput("\(path) is outside the git repository \(root); --run reads the pipeline as it is at the revision")
        }
        return String(absolute.dropFirst(root.count + 1))
    }

    /// Builds the revision in a temporary worktree and runs the pipeline into the store.
    public func run() throws {
        let topLevel = Git.run(["rev-parse", "--show-toplevel"], in: repository)
        guard topLevel.status == 0 else { throw DiffError.badInput("\(repository) is not in a git repository: \(topLevel.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
        let top = topLevel.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let relative = try Self.relativePath(of: pipelinePath, in: top)
        guard Git.run(["cat-file", "-e", "\(commit):\(relative)"], in: top).status == 0 else {
            throw DiffError.badInput("\(relative) does not exist at \(commit.prefix(12)); --run runs the pipeline as that commit has it")
        }
        let worktree = FileManager.default.temporaryDirectory
            .appendingPathComponent("asym-diff-\(commit.prefix(12))-\(getpid())").path
        let added = Git.run(["worktree", "add", "--detach", worktree, commit], in: top)
        guard added.status == 0 else {
            throw DiffError.runFailed("git worktree add \(worktree) \(commit.prefix(12)) failed: \(added.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        defer {
            // `--force`: the build left untracked files. If git cannot remove it, delete and prune.
            if Git.run(["worktree", "remove", "--force", worktree], in: top).status != 0 {
                try? FileManager.default.removeItem(atPath: worktree)
                Git.run(["worktree", "prune"], in: top)
            }
        }
        notice("building \(commit.prefix(12)) in \(worktree) (\(buildCommand.joined(separator: " ")))")
        let built = try Self.runVisibly(buildCommand, in: worktree)
        guard built == 0 else { throw DiffError.runFailed("building \(commit.prefix(12)) failed (exit \(built)); its output is above") }
        let asym = worktree + "/.build/release/asym"
        guard FileManager.default.isExecutableFile(atPath: asym) else {
            throw DiffError.runFailed("the build of \(commit.prefix(12)) left no \(asym)")
        }
        let storePath = DiffAssembly.absolutePath(store.root)
        notice("running \(relative) at \(commit.prefix(12)) into \(storePath)")
        let ran = try Self.runVisibly([asym, "run", relative, "--store", storePath], in: worktree)
        guard ran == 0 else {
            throw DiffError.runFailed("asym run \(relative) at \(commit.prefix(12)) failed (exit \(ran)); its output is above")
        }
    }

    /// Runs a command in `directory` with its output on our standard error
    /// (standard output carries the diff's Markdown).
    static func runVisibly(_ command: [String], in directory: String) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        p.standardOutput = FileHandle.standardError
        p.standardError = FileHandle.standardError
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
