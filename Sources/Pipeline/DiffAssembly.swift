// `asym diff A B`: resolves each side (a run record, or a git revision looked
// up among the store's run records), reads the artifacts its record names,
// groups nodes that differ only by seed, and hands the per-seed values to
// Report's `DiffMarkdown` (the table, deltas, Welch's p) and the per-seed
// training returns to its curve writer (the overlay figures).
import Foundation
import Report
import Store

/// A problem `asym diff` reports in one line.
public enum DiffError: Error, Equatable, CustomStringConvertible {
    /// The arguments name nothing usable (unknown revision, unreadable record,
    /// a record of another pipeline): exit 2.
    case badInput(String)
    /// The store has no run record for a revision: the message says which command computes one.
    case notInStore(String)
    /// Running a revision (`--run`) failed.
    case runFailed(String)

    public var description: String {
        switch self { case .badInput(let m), .notInStore(let m), .runFailed(let m): return m }
    }
}

/// One side as the command line gave it, resolved to the run record that stands for it.
public struct ResolvedSide: Sendable {
    /// What the user typed (a revision or a record path).
    public var argument: String
    /// The full commit when the argument was a git revision.
    public var revision: String?
    public var recordPath: String
    public var record: RunRecord

    /// The column heading: the revision as typed with its short commit, or the record's file name.
    public var label: String {
        var text = revision.map { "\(argument) (\($0.prefix(8)))" }
            ?? URL(fileURLWithPath: recordPath).deletingPathExtension().lastPathComponent
        if record.gitDirty == "true" { text += ", uncommitted changes" }
        return text
    }
}

/// What one side's artifacts hold, grouped over seeds.
public struct DiffSideData: Sendable {
    public var side: DiffSide
    /// Per node group, one training-return series (step, return) per seed: the overlay plots.
    public var trainingReturns: [String: [[(step: Double, value: Double)]]]
    /// Nodes of the record without per-seed values: failed, skipped, or their artifact gone.
    public var leftOut: [String]
}

public enum DiffAssembly {
    // MARK: Metrics

    /// The metric names of the table. A small set that says whether results
    /// moved: what the paper reports (the final deterministic evaluation),
    /// where training ended, and the critic's fit (Figure 2's value loss).
    public enum Metric {
        /// A train node's final deterministic evaluation: the mean return over its episodes.
        public static let finalEvalReturn = "final eval return"
        /// The mean of a train node's last `lastEpisodes` training-episode returns.
        public static let trainReturn = "train return, last \(lastEpisodes) episodes"
        /// The last logged value loss (`loss/critic` off-policy, `loss/value` on-policy).
        public static let valueLoss = "value loss, last logged"
        /// An evaluate node's return: the mean over its episodes.
        public static let evalReturn = "eval return"
    }

    /// Training episodes averaged for `Metric.trainReturn` (Spinning Up's logger
    /// reports an epoch's episodes the same way; one episode alone is noisy).
    public static let lastEpisodes = 10

    // MARK: Grouping over seeds

    /// The node id without its seed: `toy/td3-ToyTracking-v0-a1-c16x16-s2-zoo`
    /// with seed 2 gives `toy/td3-ToyTracking-v0-a1-c16x16-zoo`. Train ids
    /// name the seed as `-s<seed>` after the sizes (`TrainSpec.idSuffix`) and
    /// before any matrix variant; an evaluate node's id is its stage and the
    /// train node's id. An id without `-s<seed>` is its own group.
    public static func seedlessID(_ id: String, seed: UInt64) -> String {
        let marker = "-s\(seed)"
        // Only after the stage prefix; the first match that ends at a field boundary.
        var searchStart = id.lastIndex(of: "/").map { id.index(after: $0) } ?? id.startIndex
        while let range = id.range(of: marker, range: searchStart..<id.endIndex) {
            if range.upperBound == id.endIndex || id[range.upperBound] == "-" {
                return String(id[..<range.lowerBound]) + String(id[range.upperBound...])
            }
            searchStart = range.upperBound
        }
        return id
    }

    /// The seed of a train artifact, from the spec it was keyed by.
    static func seed(ofTrain artifact: Artifact) -> UInt64? {
        guard case .object(let spec)? = try? CanonicalJSON(parsing: artifact.attributes["spec"] ?? "") else { return nil }
        switch spec["seed"] {
        case .integer(let v)?: return UInt64(exactly: v)
        case .string(let s)?: return UInt64(s)
        default: return nil
        }
    }

    /// Reads the artifacts `record` names and groups them over seeds.
    public static func data(of side: ResolvedSide, store: ArtifactStore) throws -> DiffSideData {
        var metrics: [String: [String: [Double]]] = [:]
        var curves: [String: [[(step: Double, value: Double)]]] = [:]
        var leftOut: [String] = []
        var artifacts: [String: Artifact] = [:]
        for (id, node) in side.record.nodes.sorted(by: { $0.key < $1.key }) {
            guard let key = node.key else { continue }   // report nodes: a folder, no values
            guard node.disposition == "computed" || node.disposition == "cached" else {
                leftOut.append("\(id) (\(node.disposition))"); continue
            }
            switch try store.lookup(key) {
            case .found(let a): artifacts[id] = a
            case .absent: leftOut.append("\(id) (artifact \(key.prefix(12)) not in the store)")
            case .quarantined(let why, _): leftOut.append("\(id) (artifact \(key.prefix(12)) damaged: \(why))")
            }
        }
        // Train nodes first: an evaluate node's group takes its train node's seed.
        var trainSeeds: [String: UInt64] = [:]
        for (id, a) in artifacts where a.attributes["kind"] == "train" {
            trainSeeds[id] = seed(ofTrain: a)
        }
        for (id, a) in artifacts.sorted(by: { $0.key < $1.key }) {
            switch a.attributes["kind"] {
            case "train":
                let group = trainSeeds[id].map { seedlessID(id, seed: $0) } ?? id
                let returns = a.metric("train/episode_return")
                if let eval = a.arrays["eval"]?.doubles, !eval.isEmpty {
                    metrics[group, default: [:]][Metric.finalEvalReturn, default: []].append(eval.reduce(0, +) / Double(eval.count))
                }
                if !returns.isEmpty {
                    let tail = returns.suffix(lastEpisodes).map(\.value)
                    metrics[group, default: [:]][Metric.trainReturn, default: []].append(tail.reduce(0, +) / Double(tail.count))
                    curves[group, default: []].append(returns.map { (Double($0.step), $0.value) })
                }
                if let loss = (a.metric("loss/critic").last ?? a.metric("loss/value").last)?.value {
                    metrics[group, default: [:]][Metric.valueLoss, default: []].append(loss)
                }
            case "evaluate":
                // `stage/<train node id>`: the seed is the train node's.
                let trainID = id.firstIndex(of: "/").map { String(id[id.index(after: $0)...]) } ?? id
                var seed = trainSeeds[trainID]
                if seed == nil, let model = a.attributes["model"], case .found(let m)? = try? store.lookup(model) {
                    seed = Self.seed(ofTrain: m)
                }
                let group = seed.map { seedlessID(id, seed: $0) } ?? id
                if let eval = a.arrays["eval"]?.doubles, !eval.isEmpty {
                    metrics[group, default: [:]][Metric.evalReturn, default: []].append(eval.reduce(0, +) / Double(eval.count))
                }
            default:
                // A search has no per-seed value of its own; the probes it ran are train nodes of the record.
                continue
            }
        }
        return DiffSideData(side: DiffSide(label: side.label, metrics: metrics), trainingReturns: curves, leftOut: leftOut)
    }

    // MARK: The Markdown

    /// The whole answer: where each side comes from, the table of `DiffMarkdown`,
    /// what was left out, and what the metrics mean.
    public static func markdown(_ a: ResolvedSide, _ b: ResolvedSide, _ da: DiffSideData, _ db: DiffSideData) -> String {
        func cell(_ s: ResolvedSide, _ f: (ResolvedSide) -> String) -> String { f(s).replacingOccurrences(of: "|", with: "\\|") }
        let rows: [(String, (ResolvedSide) -> String)] = [
            ("run record", { $0.recordPath }),
            ("commit", { String($0.record.gitCommit.prefix(12)) + ($0.record.gitDirty == "true" ? " (uncommitted changes)" : "") }),
            ("pipeline", { "\($0.record.pipelineName) (file sha256 \($0.record.pipelineHash.prefix(12)))" }),
            ("budget", { $0.record.budget ?? "full budget" }),
            ("numerics", { $0.record.numerics }),
            ("created", { $0.record.created }),
        ]
        var out = "| | A | B |\n|---|---|---|\n"
        for (name, f) in rows { out += "| \(name) | \(cell(a, f)) | \(cell(b, f)) |\n" }
        let modules = Set(a.record.code.keys).union(b.record.code.keys).sorted()
        func digests(_ s: ResolvedSide) -> String {
            modules.map { "\($0) \(s.record.code[$0].map { String($0.prefix(8)) } ?? "none")" }.joined(separator: ", ")
        }
        out += "| code fingerprints | \(digests(a)) | \(digests(b)) |\n\n"
        let changed = modules.filter { a.record.code[$0] != b.record.code[$0] }
        out += changed.isEmpty
            ? "Code: the fingerprinted source (\(modules.joined(separator: ", "))) is the same on both sides.\n\n"
            : "Code: \(changed.joined(separator: ", ")) changed between A and B.\n\n"
        var notes: [String] = []
        if (a.record.budget ?? "") != (b.record.budget ?? "") { notes.append("the budgets differ, so the results are not comparable like for like") }
        if a.record.numerics != b.record.numerics { notes.append("the numerics differ; results differ in their last bits even for the same code") }
        if a.record.pipelineName != b.record.pipelineName { notes.append("the sides ran different pipelines") }
        for n in notes { out += "> Note: \(n).\n" }
        if !notes.isEmpty { out += "\n" }
        out += DiffMarkdown.render(da.side, db.side)
        for (name, d) in [("A", da), ("B", db)] where !d.leftOut.isEmpty {
            out += "\nLeft out of \(name) (no values): " + d.leftOut.map { "`\($0)`" }.joined(separator: ", ") + "\n"
        }
        out += """

            Metrics, per node group (the nodes that differ only by seed; n is the number of seeds): \
            *\(Metric.finalEvalReturn)* is a train node's final deterministic evaluation (mean over its episodes); \
            *\(Metric.trainReturn)* the mean return of its last \(lastEpisodes) training episodes; \
            *\(Metric.valueLoss)* its critic's last logged loss; *\(Metric.evalReturn)* an evaluate node's mean return. \
            Search nodes have no values of their own: their probes are the train nodes listed.

            """
        return out
    }

    // MARK: Resolving the sides

    /// The side `argument` names: a run record (a path, or a file name in the
    /// store's `runs/` folder, with or without `.json`), else a git revision
    /// resolved in `repository` and looked up among the store's records (of
    /// `pipelineName`, when given). Returns nil for a revision without a record.
    /// `recordsMustMatch`: a record of another pipeline than `pipelineName` is
    /// an error (the user gave --pipeline), else `pipelineName` only chooses
    /// among a revision's records.
    public static func resolve(_ argument: String, pipelineName: String?, store: ArtifactStore,
                               repository: String, recordsMustMatch: Bool = true) throws -> Resolution {
        if let path = recordPath(argument, store: store) {
            let record = try readRecord(path)
            if recordsMustMatch, let pipelineName, record.pipelineName != pipelineName {
                throw DiffError.badInput("\(path) is a run of pipeline \(record.pipelineName), not of \(pipelineName) (--pipeline)")
            }
            return .found(ResolvedSide(argument: argument, revision: nil, recordPath: path, record: record))
        }
        guard let commit = Git.revParse(argument, in: repository) else {
            throw DiffError.badInput("'\(argument)' is neither a run record (a file, or a name in \(store.runsFolder)) "
                                     + "nor a revision git knows in \(repository)")
        }
        let matching = RunRecord.all(in: store).filter {
            $0.record.gitCommit == commit && (pipelineName == nil || $0.record.pipelineName == pipelineName)
        }
        if pipelineName == nil {
            let names = Set(matching.map(\.record.pipelineName))
            if names.count > 1 {
                throw DiffError.badInput("\(store.runsFolder) has runs of \(names.sorted().joined(separator: ", ")) at \(argument); "
                                         + "choose one with --pipeline FILE")
            }
        }
        // `all` is oldest first (record names start with their time).
        guard let newest = matching.last else { return .missing(commit: commit) }
        return .found(ResolvedSide(argument: argument, revision: commit, recordPath: newest.path, record: newest.record))
    }

    /// The run record file `argument` names: a path, or a file name in the
    /// store's `runs/` folder (with or without `.json`); nil when it names none.
    public static func recordPath(_ argument: String, store: ArtifactStore) -> String? {
        let candidates = [argument, store.runsFolder + "/" + argument, store.runsFolder + "/" + argument + ".json"]
        return candidates.first { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    /// A run record of `asym run`, or a one-line `badInput` saying why the file is not one.
    public static func readRecord(_ path: String) throws -> RunRecord {
        let record: RunRecord
        do { record = try RunRecord.read(path) }
        catch { throw DiffError.badInput("\(path): cannot read it as a run record (\(error))") }
        guard record.command == "run" else {
            throw DiffError.badInput("\(path): a record of `asym \(record.command)`, not of `asym run`; diff compares pipeline runs")
        }
        return record
    }

    public enum Resolution: Sendable {
        case found(ResolvedSide)
        /// A revision with no run record in the store.
        case missing(commit: String)
    }

    /// The one line saying how to compute a revision's results.
    public static func missingMessage(argument: String, commit: String, pipelineName: String?, pipelinePath: String?,
                                      store: ArtifactStore, repository: String) -> String {
        let storePath = absolutePath(store.root)
        let folder = "/tmp/asym-\(commit.prefix(8))"
        // After `cd` into the worktree the pipeline is named from the repository's top.
        let pipeline = pipelinePath.map { path in
            let top = Git.run(["rev-parse", "--show-toplevel"], in: repository).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            return (try? RevisionRun.relativePath(of: path, in: top)) ?? absolutePath(path)
        } ?? "PIPELINE"
        let what = pipelineName.map { "of pipeline \($0) " } ?? ""
        return "no run \(what)at \(argument) (\(commit.prefix(8))) in \(storePath)/runs; compute it with "
            + "`git worktree add \(folder) \(commit.prefix(12)) && cd \(folder) && swift build -c release && "
            + ".build/release/asym run \(pipeline) --store \(storePath)`"
            + (pipelinePath == nil ? " (PIPELINE: the pipeline file)" : "")
            + ", or add --run\(pipelinePath == nil ? " --pipeline FILE" : "") to do that here"
    }

    /// `path` from the root, `.` and `..` resolved (what a command run elsewhere can use).
    static func absolutePath(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
            .standardizedFileURL.path
    }

    // MARK: The overlay figures

    /// One figure per node group on both sides: the training return over
    /// environment steps, A and B overlaid (mean over seeds, ± std band).
    public static func figures(_ da: DiffSideData, _ db: DiffSideData) throws -> [GnuplotFigure] {
        let groups = Set(da.trainingReturns.keys).intersection(db.trainingReturns.keys).sorted()
        return try groups.map { group in
            let a = Curve.overSeeds(label: "A: \(enhancedTextLiteral(da.side.label))", runs: da.trainingReturns[group]!)
            let b = Curve.overSeeds(label: "B: \(enhancedTextLiteral(db.side.label))", runs: db.trainingReturns[group]!)
            let seeds = "\(da.trainingReturns[group]!.count) vs \(db.trainingReturns[group]!.count) seeds"
            let panel = CurvePanel(title: enhancedTextLiteral(group) + " (\(seeds))", xLabel: "environment steps",
                                   yLabel: "training episode return (mean ± std)", curves: [a, b],
                                   // Below the axes (record names are long; a key inside covers curves), clear of the x label.
                                   keyPosition: "below left Left reverse height 1.5")
            return try CurveGrid(title: "asym diff: training return, A against B", rows: [[panel]]).figure(
                name: figureName(group),
                caption: "Training episode return of \(group): A (\(da.side.label)) against B (\(db.side.label)); lines are means over seeds, bands ± one standard deviation.",
                panelWidth: 640, panelHeight: 440)
        }
    }

    /// A file stem for a node group: `diff-` and the id with `/` and other
    /// characters a file name or shell would trip on as `_`.
    public static func figureName(_ group: String) -> String {
        "diff-" + String(group.map { $0.isLetter || $0.isNumber || "-.".contains($0) ? $0 : "_" })
    }

    /// `text` shown literally by gnuplot's enhanced-text mode, where `_ ^ ~ @ & { }`
    /// are markup (`HEAD~1` would print as an overstrike). The backslash is
    /// doubled when the Report module quotes the string for the script.
    static func enhancedTextLiteral(_ text: String) -> String {
        var out = ""
        for c in text {
            if "_^~@&{}".contains(c) { out += "\\" }
            out.append(c)
        }
        return out
    }
}

/// The few git questions `asym diff` asks.
public enum Git {
    /// The full commit `revision` names in `repository`, or nil.
    public static func revParse(_ revision: String, in repository: String) -> String? {
        guard !revision.hasPrefix("-") else { return nil }   // not an option of rev-parse
        let r = run(["rev-parse", "--verify", "--quiet", "\(revision)^{commit}"], in: repository)
        guard r.status == 0 else { return nil }
        let commit = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.isEmpty ? nil : commit
    }

    /// Runs git with `arguments` in `directory` (`git -C`), capturing its output.
    @discardableResult
    public static func run(_ arguments: [String], in directory: String) -> (status: Int32, stdout: String, stderr: String) {
        do {
            let r = try Subprocess.capture(["git", "-C", directory] + arguments)
            return (r.status, r.stdout, r.stderr)
        } catch { return (127, "", "cannot start git: \(error)") }
    }
}
