import Foundation
import Testing
import Store

/// `asym diff` on real runs: one small pipeline (TD3 on the toy problem,
/// three seeds) run twice into one store, the second time with the actor's
/// learning rate 100× smaller and one more critic size. The learning rate
/// stands in for a code change: the code fingerprint is compiled in, so two
/// builds would be needed to change it, while a hyper-parameter set in the
/// pipeline's defaults changes every result under the same node ids.
@Suite("asym diff", .serialized)
struct DiffTests {
    static let group = "toy/td3-ToyTracking-v0-a1-c16x16"

    @Test("two records whose runs differ in the actor's learning rate: per metric both means over 3 seeds, the delta and a numeric p; nodes only in B listed")
    func recordsThatDifferInLearningRate() throws {
        let f = try DiffFixture.shared.get()
        let diff = try runAsym(["diff", f.recordA, f.recordB, "--store", f.store])
        #expect(diff.status == 0, "\(diff.stderr)")
        let md = diff.stdout

        let row = try #require(TableRow(md, node: Self.group, metric: "final eval return"), "\(md)")
        #expect(row.a.n == 3 && row.b.n == 3, "seeds are not grouped: \(row.line)")
        // The A cell is the mean over seeds of each seed's final evaluation, read here from the store.
        let expectedA = try f.finalEvalMeans(record: f.recordA, node: Self.group)
        #expect(expectedA.count == 3)
        #expect(agreesToFourDigits(row.a.mean, expectedA.reduce(0, +) / 3), "\(row.line) against \(expectedA)")
        #expect(row.a.mean != row.b.mean, "the learning rate changed nothing? \(row.line)")
        // Each cell is rounded to four digits, so the printed delta matches their difference to that of the means.
        #expect(abs(row.delta - (row.b.mean - row.a.mean)) <= 1e-3 * (abs(row.a.mean) + abs(row.b.mean)), "\(row.line)")
        let p = try #require(row.p, "no numeric p-value: \(row.line)")
        #expect(p >= 0 && p <= 1)

        for metric in ["train return, last 10 episodes", "value loss, last logged"] {
            let r = TableRow(md, node: Self.group, metric: metric)
            #expect(r?.p != nil, "\(metric): \(r?.line ?? "no row")")
        }
        let evaluate = TableRow(md, node: "evaluate/" + Self.group, metric: "eval return")
        #expect(evaluate?.a.n == 3 && evaluate?.p != nil, "\(evaluate?.line ?? md)")

        let onlyB = try #require(md.split(separator: "\n").first { $0.hasPrefix("Only in B") }, "\(md)")
        #expect(onlyB.contains("`toy/td3-ToyTracking-v0-a1-c1`") && onlyB.contains("`evaluate/toy/td3-ToyTracking-v0-a1-c1`"))
        #expect(!md.contains("Only in A"), "\(md)")
        #expect(md.contains("| run record | \(f.recordA) | \(f.recordB) |"), "\(md)")
    }

    @Test("a git revision stands for the newest run record of its commit; a revision without one names the command that computes it; bad input exits 2")
    func gitRevisions() throws {
        let f = try DiffFixture.shared.get()
        let repo = try scratchDirectory("diff-repo")
        defer { try? FileManager.default.removeItem(at: repo) }
        try git(["init", "-q"], in: repo)
        try "one\n".write(to: repo.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        try git(["add", "file"], in: repo)
        try git(["commit", "-q", "-m", "one"], in: repo)
        let first = try git(["rev-parse", "HEAD"], in: repo)
        try git(["commit", "-q", "--allow-empty", "-m", "two"], in: repo)
        let second = try git(["rev-parse", "HEAD"], in: repo)

        // Record A as if `asym run` had run at the first commit (in a store of its own, so no other test sees it).
        let store = try scratchDirectory("diff-rev-store").path
        defer { try? FileManager.default.removeItem(atPath: store) }
        try FileManager.default.createDirectory(atPath: store + "/runs", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: store + "/objects", withDestinationPath: f.store + "/objects")
        var record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f.recordA))) as! [String: Any]
        record["git_commit"] = first
        try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: store + "/runs/2000-01-01T000000Z-\(first.prefix(12)).json"))
        try FileManager.default.copyItem(atPath: f.recordB, toPath: store + "/runs/b.json")

        let diff = try runAsym(["diff", "HEAD~1", "b", "--store", store], currentDirectory: repo)
        #expect(diff.status == 0, "\(diff.stderr)")
        // (The record made here says "uncommitted changes" when this checkout has them.)
        #expect(diff.stdout.contains("**HEAD~1 (\(first.prefix(8)))"), "\(diff.stdout)")
        #expect(TableRow(diff.stdout, node: Self.group, metric: "final eval return")?.p != nil, "\(diff.stdout)")

        let missing = try runAsym(["diff", "HEAD~1", "HEAD", "--store", store], currentDirectory: repo)
        #expect(missing.status == 1)
        #expect(missing.stdout.isEmpty)
        let line = missing.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!line.contains("\n"), "not one line: \(line)")
        #expect(line.contains("no run at HEAD (\(second.prefix(8)))"), "\(line)")
        #expect(line.contains("git worktree add /tmp/asym-\(second.prefix(8)) \(second.prefix(12))"), "\(line)")
        #expect(line.contains("swift build -c release && .build/release/asym run PIPELINE --store \(store)"), "\(line)")
        #expect(line.contains("--run"), "\(line)")

        let unknown = try runAsym(["diff", "no-such-revision", "b", "--store", store], currentDirectory: repo)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("'no-such-revision' is neither a run record"), "\(unknown.stderr)")

        try "{not json".write(toFile: store + "/runs/broken.json", atomically: true, encoding: .utf8)
        let unreadable = try runAsym(["diff", "broken", "b", "--store", store], currentDirectory: repo)
        #expect(unreadable.status == 2)
        #expect(unreadable.stderr.contains("broken.json: cannot read it as a run record"), "\(unreadable.stderr)")

        let other = repo.appendingPathComponent("other.yaml").path
        try f.pipelineText(name: "other", extraSettings: "", critics: "[[16, 16]]").write(toFile: other, atomically: true, encoding: .utf8)
        let wrongPipeline = try runAsym(["diff", "b", "HEAD~1", "--pipeline", other, "--store", store], currentDirectory: repo)
        #expect(wrongPipeline.status == 2)
        #expect(wrongPipeline.stderr.contains("is a run of pipeline diffcheck, not of other (--pipeline)"), "\(wrongPipeline.stderr)")
    }

    @Test("--run computes a revision missing from the store in a temporary worktree (its build step faked by a `swift` on PATH that copies this asym), then diffs it")
    func runComputesAMissingRevision() throws {
        let f = try DiffFixture.shared.get()
        let repo = try scratchDirectory("diff-run-repo")
        defer { try? FileManager.default.removeItem(at: repo) }
        // The revision's pipeline is pipeline A under the same name, so every node is already in the store:
        // what is tested is the worktree, the build step, the run and its record, not training.
        try FileManager.default.copyItem(atPath: f.pipelineA, toPath: repo.appendingPathComponent("diffcheck.yaml").path)
        try git(["init", "-q"], in: repo)
        try git(["add", "diffcheck.yaml"], in: repo)
        try git(["commit", "-q", "-m", "pipeline"], in: repo)
        let commit = try git(["rev-parse", "HEAD"], in: repo)

        let fakeBin = try scratchDirectory("diff-fake-swift")
        defer { try? FileManager.default.removeItem(at: fakeBin) }
        let swift = fakeBin.appendingPathComponent("swift").path
        try """
        #!/bin/sh
        # Stands in for `swift build -c release`: the asym under test, copied (not linked:
        # asym reports the commit of the folder its binary is in).
        mkdir -p .build/release && cp '\(asymBinary().path)' .build/release/asym
        """.write(toFile: swift, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: swift)
        let path = fakeBin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")

        let before = runRecordFiles(f.store)
        let diff = try runAsym(["diff", "HEAD", f.recordB, "--pipeline", "diffcheck.yaml", "--run", "--store", f.store],
                               environment: ["PATH": path], currentDirectory: repo)
        #expect(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stderr.contains("building \(commit.prefix(12))"), "\(diff.stderr)")
        #expect(diff.stdout.contains("**HEAD (\(commit.prefix(8)))** (A)"), "\(diff.stdout)")
        #expect(TableRow(diff.stdout, node: Self.group, metric: "final eval return")?.p != nil, "\(diff.stdout)")
        let added = runRecordFiles(f.store).subtracting(before)
        #expect(added.count == 1)
        for name in added {
            let text = try String(contentsOfFile: f.store + "/runs/" + name, encoding: .utf8)
            #expect(text.contains("\"git_commit\" : \"\(commit)\""), "\(text)")
        }
        #expect(try git(["worktree", "list"], in: repo).split(separator: "\n").count == 1, "the temporary worktree is left")

        let needsPipeline = try runAsym(["diff", "HEAD", f.recordB, "--run", "--store", f.store], currentDirectory: repo)
        #expect(needsPipeline.status == 2)
        #expect(needsPipeline.stderr.contains("--run needs --pipeline"), "\(needsPipeline.stderr)")
    }

    @Test("--plot writes per node group on both sides the overlaid training returns as PNG, SVG, .dat and .gp",
          .enabled(if: gnuplotInstalled(), "gnuplot is not installed"))
    func plotWritesFigures() throws {
        let f = try DiffFixture.shared.get()
        let out = try scratchDirectory("diff-plot")
        defer { try? FileManager.default.removeItem(at: out) }
        let diff = try runAsym(["diff", f.recordA, f.recordB, "--store", f.store, "--plot", out.path])
        #expect(diff.status == 0, "\(diff.stderr)")
        let stem = out.appendingPathComponent("diff-toy_td3-ToyTracking-v0-a1-c16x16").path
        for ext in ["png", "svg", "dat", "gp"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(stem).\(ext)")[.size] as? Int) ?? 0
            #expect(size > 0, "\(stem).\(ext) is missing or empty")
        }
        let png = try Data(contentsOf: URL(fileURLWithPath: stem + ".png"))
        #expect(png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        let data = try String(contentsOfFile: stem + ".dat", encoding: .utf8)
        #expect(data.contains(": A: ") && data.contains(": B: "), "\(data.prefix(400))")
        // Only groups on both sides are plotted.
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("diff-toy_td3-ToyTracking-v0-a1-c1.png").path))
        #expect(diff.stdout.contains("](\(stem).png)"), "\(diff.stdout)")
    }

    @Test("--plot without gnuplot is one line naming the Debian package, before any work")
    func plotWithoutGnuplot() throws {
        let f = try DiffFixture.shared.get()
        let out = try scratchDirectory("diff-noplot")
        defer { try? FileManager.default.removeItem(at: out) }
        let diff = try runAsym(["diff", f.recordA, f.recordB, "--store", f.store, "--plot", out.path + "/figures"],
                               environment: ["PATH": "/nonexistent"])
        #expect(diff.status == 1)
        #expect(diff.stdout.isEmpty)
        let line = diff.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!line.contains("\n") && line.contains("gnuplot-nox"), "\(line)")
        #expect(!FileManager.default.fileExists(atPath: out.path + "/figures"))
    }
}

/// The store both runs went into, their records and the pipeline files.
struct DiffFixture: Sendable {
    let folder: String, store: String, pipelineA: String, recordA: String, recordB: String

    static let shared: Result<DiffFixture, any Error> = Result { try make() }

    func pipelineText(name: String, extraSettings: String, critics: String) -> String {
        """
        name: \(name)
        defaults:
          algorithm: td3
          environment: ToyTracking-v0
          steps: 2000
          eval_episodes: 3
          numerics: portable
          set:
            start_steps: 500
            update_after: 500\(extraSettings)
        stages:
          toy:
            kind: train
            actor: [1]
            matrix:
              critic: \(critics)
              seed: [1, 2, 3]
          evaluate:
            kind: evaluate
            needs: [toy]
            episodes: 3
        """
    }

    static func make() throws -> DiffFixture {
        let dir = try scratchDirectory("diff-fixture").path
        atexit { if let f = try? DiffFixture.shared.get() { try? FileManager.default.removeItem(atPath: f.folder) } }
        let store = dir + "/store"
        var fixture = DiffFixture(folder: dir, store: store, pipelineA: dir + "/a.yaml", recordA: "", recordB: "")
        try fixture.pipelineText(name: "diffcheck", extraSettings: "", critics: "[[16, 16]]")
            .write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        try fixture.pipelineText(name: "diffcheck", extraSettings: "\n    pi_lr: 0.00001", critics: "[[16, 16], [1]]")
            .write(toFile: dir + "/b.yaml", atomically: true, encoding: .utf8)
        func run(_ pipeline: String) throws -> String {
            let r = try runAsym(["run", pipeline, "--store", store, "--jobs", "2", "--report-base", dir])
            guard r.status == 0, let range = r.stdout.range(of: "record ") else {
                throw FixtureError(message: "asym run \(pipeline) failed: \(r.stderr)")
            }
            return String(r.stdout[range.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let a = try run(dir + "/a.yaml"), b = try run(dir + "/b.yaml")
        fixture = DiffFixture(folder: dir, store: store, pipelineA: dir + "/a.yaml", recordA: a, recordB: b)
        return fixture
    }

    /// Per seed, the mean of the final evaluation of `group`'s train nodes in `record`, from the store.
    func finalEvalMeans(record: String, node group: String) throws -> [Double] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: record))) as! [String: Any]
        let nodes = json["nodes"] as! [String: [String: Any]]
        let s = ArtifactStore(root: store)
        return try (1...3).map { seed in
            let key = try #require(nodes["\(group)-s\(seed)"]?["key"] as? String)
            let eval = try Artifact.read(s.objectPath(key)).arrays["eval"]!.doubles
            return eval.reduce(0, +) / Double(eval.count)
        }
    }
}

struct FixtureError: Error, CustomStringConvertible { let message: String; var description: String { message } }

/// One row of the diff table: `| node | metric | A | B | Δ | p |`.
struct TableRow {
    struct Cell { let mean: Double, n: Int }
    let line: String, a: Cell, b: Cell, delta: Double, p: Double?

    init?(_ markdown: String, node: String, metric: String) {
        guard let line = markdown.split(separator: "\n").map(String.init).first(where: { $0.hasPrefix("| \(node) | \(metric) |") })
        else { return nil }
        let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        guard cells.count == 6 else { return nil }
        // "mean ± std (n)"
        func cell(_ text: String) -> Cell? {
            let parts = text.split(separator: " ")
            guard parts.count == 4, parts[1] == "±", let mean = Double(parts[0]),
                  let n = Int(parts[3].trimmingCharacters(in: CharacterSet(charactersIn: "()"))) else { return nil }
            return Cell(mean: mean, n: n)
        }
        guard let a = cell(cells[2]), let b = cell(cells[3]), let delta = Double(cells[4]) else { return nil }
        self.line = line; self.a = a; self.b = b; self.delta = delta; self.p = Double(cells[5])
    }
}

/// Equal to the table's four significant digits.
func agreesToFourDigits(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= 1e-3 * max(abs(x), abs(y), 1e-9) }

func gnuplotInstalled() -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .contains { FileManager.default.isExecutableFile(atPath: "\($0)/gnuplot") }
}

func runRecordFiles(_ store: String) -> Set<String> {
    Set((try? FileManager.default.contentsOfDirectory(atPath: store + "/runs")) ?? [])
}

/// Runs git in `directory` (with a fixed identity, so a machine without one can commit) and returns its trimmed output.
@discardableResult
func git(_ arguments: [String], in directory: URL) throws -> String {
    let r = try runProgram("git", ["-c", "user.name=asym test", "-c", "user.email=test@example.invalid", "-C", directory.path] + arguments)
    guard r.status == 0 else { throw FixtureError(message: "git \(arguments.joined(separator: " ")) failed") }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}
