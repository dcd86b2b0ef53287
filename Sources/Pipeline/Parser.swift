// Reads a pipeline file through Yams' node API (which keeps every value's
// line and column) into typed stages, collecting every problem instead of
// stopping at the first.
import Foundation
import Yams
import Agents
import Envs

/// A node field or hyper-parameter as written, with where it was written.
struct Setting: Sendable {
    var key: String
    var value: FieldValue
    /// Where the value is written (value errors point here)…
    var mark: SourceMark
    var field: String
    /// …and its key (an unknown hyper-parameter points here).
    var keyMark: SourceMark

    init(key: String, value: FieldValue, mark: SourceMark, field: String, keyMark: SourceMark? = nil) {
        self.key = key; self.value = value; self.mark = mark; self.field = field; self.keyMark = keyMark ?? mark
    }
}

/// One key of a matrix and the values it takes.
struct MatrixAxis: Sendable {
    var key: String
    var isHyper: Bool
    var entries: [Setting]
    var mark: SourceMark
    var field: String
}

/// A matrix `exclude:` entry: combinations matching all its values are dropped.
struct Exclusion: Sendable {
    var values: [String: FieldValue]
    var mark: SourceMark
}

/// A stage as written, before expansion.
struct ParsedStage: Sendable {
    var name: String
    var mark: SourceMark
    var field: String { "stages.\(name)" }
    var kind: StageKind = .train
    var needs: [(name: String, mark: SourceMark)] = []
    var needsMark: SourceMark
    var doc: String?
    var fields: [String: Setting] = [:]
    var hyper: [String: Setting] = [:]
    /// Fields given with a value that did not parse (reported already, so not "missing").
    var broken: Set<String> = []
    var axes: [MatrixAxis] = []
    var matrixMark: SourceMark?
    var exclusions: [Exclusion] = []
    // evaluate
    var episodes = EvaluationDefaults.episodes
    var evalSeed = EvaluationDefaults.seed
    // search
    var sizes: [[Int]]?
    var sizesMark: SourceMark
    var baseline: SizePair?
    var threshold: Double?
    var tolerance = 0.1
    var seeds: [UInt64] = Array(0..<6)
    var seedsMark: SourceMark
    // report
    var title: String?
    var output: String?
    var reference: [ReferenceRow] = []
    /// Measure Figure 5's inference rates on this host (a report stage).
    var inference = false
    /// `slurm:` as written in the stage (defaults not applied).
    var slurm = SlurmResources()
}

/// The whole file as written.
struct ParsedPipeline: Sendable {
    var name = ""
    var doc: String?
    var defaults: [String: Setting] = [:]
    var defaultHyper: [String: Setting] = [:]
    var brokenDefaults: Set<String> = []
    var defaultSlurm = SlurmResources()
    var stages: [ParsedStage] = []
}

struct SpecReader {
    var log: DiagnosticLog

    init(file: String) { log = DiagnosticLog(file: file) }

    // MARK: - The file

    mutating func read(yaml: String) -> ParsedPipeline? {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) }
        catch let error as YamlError { report(error); return nil }
        catch { log.error(SourceMark(line: 1, column: 1), "file", "cannot read YAML: \(error)"); return nil }
        guard let root else { log.error(SourceMark(line: 1, column: 1), "file", "the file is empty"); return nil }
        guard let pairs = mapping(root, "file") else { return nil }
        var pipeline = ParsedPipeline()
        var sawName = false, sawStages = false
        for (key, keyMark, value) in pairs {
            switch key {
            case "name":
                sawName = true
                if let name = string(value, "name") {
                    if name.isEmpty || name.contains("/") || name.contains(where: \.isWhitespace) {
                        log.error(mark(value), "name", "'\(name)' must be one word without '/' (it names the report's folder)")
                    }
                    pipeline.name = name
                }
            case "doc": pipeline.doc = string(value, "doc")
            case "defaults":
                guard let fields = mapping(value, "defaults") else { continue }
                for (k, kMark, v) in fields {
                    let path = "defaults.\(k)"
                    if k == "set" { pipeline.defaultHyper = hyperParameters(v, path) }
                    else if k == "slurm" { pipeline.defaultSlurm = slurmResources(v, path) }
                    else if let f = NodeField(rawValue: k) {
                        if let s = setting(f, v, path) { pipeline.defaults[k] = s } else { pipeline.brokenDefaults.insert(k) }
                    } else {
                        unknownKey(k, kMark, path, allowed: Keys.defaults, context: "defaults")
                    }
                }
            case "stages":
                sawStages = true
                guard let stages = mapping(value, "stages") else { continue }
                if stages.isEmpty { log.error(mark(value), "stages", "no stages") }
                for (name, nameMark, body) in stages {
                    if let stage = readStage(name, nameMark, body) { pipeline.stages.append(stage) }
                }
            default:
                unknownKey(key, keyMark, key, allowed: Keys.top, context: "the top level")
            }
        }
        if !sawName { log.error(mark(root), "name", "missing: a pipeline needs a name") }
        if !sawStages { log.error(mark(root), "stages", "missing: a pipeline needs stages") }
        return pipeline
    }

    /// Yams' parse errors (bad indentation, duplicate keys) as diagnostics.
    mutating func report(_ error: YamlError) {
        switch error {
        case .scanner(_, let problem, let m, _), .parser(_, let problem, let m, _), .composer(_, let problem, let m, _):
            log.error(SourceMark(m), "yaml", problem)
        case .duplicatedKeysInMapping(let keys, let context):
            log.error(SourceMark(context.mark), keys.first ?? "yaml",
                      "duplicate key '\(keys.joined(separator: "', '"))' (each key may appear once in a mapping)")
        default:
            log.error(SourceMark(line: 1, column: 1), "yaml", "\(error)")
        }
    }

    // MARK: - Stages

    mutating func readStage(_ name: String, _ nameMark: SourceMark, _ body: Node) -> ParsedStage? {
        let path = "stages.\(name)"
        if name.isEmpty || name.contains("/") || name.contains(where: \.isWhitespace) {
            log.error(nameMark, path, "stage name '\(name)' must be one word without '/' (it starts node ids)")
        }
        guard let pairs = mapping(body, path) else { return nil }
        var stage = ParsedStage(name: name, mark: nameMark, needsMark: nameMark, sizesMark: nameMark, seedsMark: nameMark)
        guard let kindPair = pairs.first(where: { $0.key == "kind" }) else {
            log.error(nameMark, "\(path).kind", "missing: one of \(StageKind.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        guard let kindText = string(kindPair.value, "\(path).kind") else { return nil }
        guard let kind = StageKind(rawValue: kindText) else {
            log.error(mark(kindPair.value), "\(path).kind",
                      "unknown stage kind '\(kindText)'\(didYouMean(kindText, StageKind.allCases.map(\.rawValue))) "
                      + "(expected \(StageKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        stage.kind = kind
        let allowed = Keys.stage(kind)
        for (key, keyMark, value) in pairs {
            let field = "\(path).\(key)"
            guard allowed.contains(key) else {
                unknownKey(key, keyMark, field, allowed: allowed, context: "a \(kind.rawValue) stage")
                continue
            }
            switch key {
            case "kind": break
            case "doc": stage.doc = string(value, field)
            case "needs":
                stage.needsMark = mark(value)
                stage.needs = needs(value, field)
            case "set": stage.hyper = hyperParameters(value, field)
            case "slurm": stage.slurm = slurmResources(value, field)
            case "matrix":
                stage.matrixMark = keyMark
                readMatrix(value, field, kind: kind, into: &stage)
            case "episodes": if let n = int(value, field, atLeast: 1) { stage.episodes = n }
            case "eval_seed": if let n = int(value, field, atLeast: 0) { stage.evalSeed = UInt64(n) }
            case "sizes":
                stage.sizesMark = mark(value)
                stage.sizes = sizeList(value, field)
            case "baseline": stage.baseline = baseline(value, field)
            case "threshold": stage.threshold = double(value, field)
            case "tolerance":
                if let t = double(value, field) {
                    if t < 0 || t >= 1 { log.error(mark(value), field, "\(t) is not a fraction in [0, 1) (0.1 is 10 %)") }
                    else { stage.tolerance = t }
                }
            case "seeds":
                stage.seedsMark = mark(value)
                if let seeds = seedList(value, field) { stage.seeds = seeds }
            case "title": stage.title = string(value, field)
            case "output": stage.output = string(value, field)
            case "reference": stage.reference = referenceRows(value, field)
            case "inference":
                if case .scalar(let b) = value, let v = Bool(b.string) { stage.inference = v }
                else { log.error(mark(value), field, "expected true or false, got \(describe(value))") }
            default:
                if let f = NodeField(rawValue: key) {
                    if let s = setting(f, value, field) { stage.fields[key] = s } else { stage.broken.insert(key) }
                }
            }
        }
        return stage
    }

    mutating func needs(_ node: Node, _ field: String) -> [(name: String, mark: SourceMark)] {
        if case .scalar = node, let s = string(node, field) { return [(s, mark(node))] }
        guard case .sequence(let seq) = node else {
            log.error(mark(node), field, "expected a stage name or a list of stage names"); return []
        }
        return seq.compactMap { item in string(item, field).map { ($0, mark(item)) } }
    }

    mutating func readMatrix(_ node: Node, _ field: String, kind: StageKind, into stage: inout ParsedStage) {
        guard let pairs = mapping(node, field) else { return }
        if pairs.isEmpty { log.error(mark(node), field, "an empty matrix expands to nothing; remove it or give it a key") }
        var excludeNode: (Node, String)?
        for (key, keyMark, value) in pairs {
            let path = "\(field).\(key)"
            if key == "exclude" { excludeNode = (value, path); continue }
            let nodeField = NodeField(rawValue: key)
            if let f = nodeField, kind == .search, NodeField.probeFields.contains(f) {
                log.error(keyMark, path, "a search chooses \(key) itself; use sizes and seeds")
                continue
            }
            guard case .sequence(let seq) = value else {
                log.error(mark(value), path, "matrix values are lists, e.g. \(key): [a, b]"); continue
            }
            if seq.isEmpty { log.error(mark(value), path, "an empty list expands to no nodes") }
            if nodeField == .actor || nodeField == .critic, seq.contains(where: { if case .sequence = $0 { false } else { true } }) {
                log.error(mark(value), path, "each matrix entry is a size list: \(key): [[4, 4], [16, 16]]")
                stage.broken.insert(key)
                continue
            }
            var entries: [Setting] = []
            for item in seq {
                if let f = nodeField {
                    if let s = setting(f, item, path) { entries.append(s) } else { stage.broken.insert(key) }
                } else if let text = hyperValue(item, path) {
                    entries.append(Setting(key: key, value: .hyper(text), mark: mark(item), field: path, keyMark: keyMark))
                }
            }
            stage.axes.append(MatrixAxis(key: key, isHyper: nodeField == nil, entries: entries, mark: keyMark, field: path))
        }
        if let (value, path) = excludeNode {
            guard case .sequence(let seq) = value else {
                log.error(mark(value), path, "expected a list of partial combinations, e.g. - {actor: [1], critic: [1]}")
                return
            }
            for item in seq {
                guard let pairs = mapping(item, path) else { continue }
                var values: [String: FieldValue] = [:]
                for (k, kMark, v) in pairs {
                    guard let axis = stage.axes.first(where: { $0.key == k }) else {
                        log.error(kMark, "\(path).\(k)", "'\(k)' is not a key of this matrix"
                                  + didYouMean(k, stage.axes.map(\.key)))
                        continue
                    }
                    let parsed: FieldValue?
                    if let f = NodeField(rawValue: k) { parsed = setting(f, v, "\(path).\(k)")?.value }
                    else { parsed = hyperValue(v, "\(path).\(k)").map(FieldValue.hyper) }
                    if let parsed { values[axis.key] = parsed }
                }
                stage.exclusions.append(Exclusion(values: values, mark: mark(item)))
            }
        }
    }

    mutating func baseline(_ node: Node, _ field: String) -> SizePair? {
        if case .sequence = node {   // one size list: a symmetric baseline
            return sizes(node, field, allowEmpty: false).map { SizePair(actor: $0, critic: $0) }
        }
        guard let pairs = mapping(node, field) else { return nil }
        var actor: [Int]?, critic: [Int]?
        for (k, kMark, v) in pairs {
            switch k {
            case "actor": actor = sizes(v, "\(field).actor", allowEmpty: true)
            case "critic": critic = sizes(v, "\(field).critic", allowEmpty: true)
            default: unknownKey(k, kMark, "\(field).\(k)", allowed: ["actor", "critic"], context: "a baseline")
            }
        }
        guard let actor, let critic else {
            log.error(mark(node), field, "a baseline needs both actor and critic sizes (or one size list for both)")
            return nil
        }
        return SizePair(actor: actor, critic: critic)
    }

    mutating func referenceRows(_ node: Node, _ field: String) -> [ReferenceRow] {
        guard case .sequence(let seq) = node else {
            log.error(mark(node), field, "expected a list of Table 1 rows"); return []
        }
        var rows: [ReferenceRow] = []
        for (i, item) in seq.enumerated() {
            let path = "\(field)[\(i)]"
            guard let pairs = mapping(item, path) else { continue }
            var row = ReferenceRow(algorithm: "", environment: "")
            for (k, kMark, v) in pairs {
                let f = "\(path).\(k)"
                if isNull(v) { continue }   // the paper's "-"
                switch k {
                case "algorithm": row.algorithm = string(v, f) ?? ""
                case "environment": row.environment = string(v, f) ?? ""
                case "threshold": row.threshold = double(v, f)
                case "baseline": row.baseline = sizes(v, f, allowEmpty: false)
                case "symmetric": row.symmetric = sizes(v, f, allowEmpty: false)
                case "actor": row.actor = sizes(v, f, allowEmpty: false)
                case "critic": row.critic = sizes(v, f, allowEmpty: false)
                case "baseline_reward": row.baselineReward = meanAndSpread(v, f)
                case "symmetric_reward": row.symmetricReward = meanAndSpread(v, f)
                case "asymmetric_reward": row.asymmetricReward = meanAndSpread(v, f)
                case "reduction":
                    if let r = double(v, f) {
                        if r < 0 || r > 1 { log.error(mark(v), f, "\(r) is not a fraction in [0, 1] (0.8838 for 88.38 %)") }
                        row.reduction = r
                    }
                default: unknownKey(k, kMark, f, allowed: Keys.reference, context: "a reference row")
                }
            }
            if row.algorithm.isEmpty || row.environment.isEmpty {
                log.error(mark(item), path, "a reference row needs an algorithm and an environment")
            }
            rows.append(row)
        }
        return rows
    }

    mutating func meanAndSpread(_ node: Node, _ field: String) -> [Double]? {
        guard case .sequence(let seq) = node, seq.count == 2 else {
            log.error(mark(node), field, "expected [mean, standard deviation]"); return nil
        }
        let values = seq.compactMap { double($0, field) }
        return values.count == 2 ? values : nil
    }

    // MARK: - Node fields

    mutating func setting(_ f: NodeField, _ node: Node, _ field: String) -> Setting? {
        let m = mark(node)
        func make(_ v: FieldValue) -> Setting { Setting(key: f.rawValue, value: v, mark: m, field: field) }
        switch f {
        case .algorithm:
            guard let s = string(node, field) else { return nil }
            guard let a = Algorithm(rawValue: s.lowercased()) else {
                let known = Algorithm.allCases.map(\.rawValue)
                log.error(m, field, "unknown algorithm '\(s)'\(didYouMean(s, known)) (expected \(known.joined(separator: ", ")))")
                return nil
            }
            return make(.algorithm(a))
        case .environment:
            guard let s = string(node, field) else { return nil }
            guard EnvRegistry.ids.contains(s) else {
                log.error(m, field, "unknown environment '\(s)'\(didYouMean(s, EnvRegistry.ids)) "
                          + "(known: \(EnvRegistry.ids.joined(separator: ", ")))")
                return nil
            }
            return make(.environment(s))
        case .actor, .critic:
            if case .sequence(let seq) = node, seq.first.map({ if case .sequence = $0 { true } else { false } }) == true {
                log.error(m, field, "one size list expected; to try several, put them under matrix")
                return nil
            }
            return sizes(node, field, allowEmpty: true).map { make(.sizes($0)) }
        case .seed:
            if case .sequence = node {
                log.error(m, field, "one seed expected; to run several, put a list under matrix: seed: [1, 2, 3]")
                return nil
            }
            return int(node, field, atLeast: 0).map { make(.seed(UInt64($0))) }
        case .preset:
            guard let s = string(node, field) else { return nil }
            guard let p = Preset(rawValue: s) else {
                let known = Preset.allCases.map(\.rawValue)
                log.error(m, field, "unknown preset '\(s)'\(didYouMean(s, known)) (expected \(known.joined(separator: ", ")))")
                return nil
            }
            return make(.preset(p))
        case .steps: return int(node, field, atLeast: 1).map { make(.count($0)) }
        case .evalEpisodes: return int(node, field, atLeast: 0).map { make(.count($0)) }
        case .numerics:
            guard let s = string(node, field) else { return nil }
            guard let p = NumericsProfile(rawValue: s) else {
                let known = NumericsProfile.allCases.map(\.rawValue)
                log.error(m, field, "unknown numerics profile '\(s)'\(didYouMean(s, known)) (expected \(known.joined(separator: ", ")))")
                return nil
            }
            return make(.numerics(p))
        }
    }

    /// A `set:` mapping of hyper-parameters; the keys are checked against the
    /// algorithm's config when the stage is expanded.
    mutating func hyperParameters(_ node: Node, _ field: String) -> [String: Setting] {
        guard let pairs = mapping(node, field) else { return [:] }
        var out: [String: Setting] = [:]
        for (k, kMark, v) in pairs {
            if let text = hyperValue(v, "\(field).\(k)") {
                out[k] = Setting(key: k, value: .hyper(text), mark: mark(v), field: "\(field).\(k)", keyMark: kMark)
            }
        }
        return out
    }

    /// A `slurm:` mapping: `cpus`, `memory`, `time`, each checked as sbatch(1) reads it.
    mutating func slurmResources(_ node: Node, _ field: String) -> SlurmResources {
        guard let pairs = mapping(node, field) else { return SlurmResources() }
        var out = SlurmResources()
        for (k, kMark, v) in pairs {
            let path = "\(field).\(k)"
            switch k {
            case "cpus": out.cpus = int(v, path, atLeast: 1)
            case "memory":
                guard let text = string(v, path) else { continue }
                if SlurmResources.isMemory(text) { out.memory = text }
                else {
                    log.error(mark(v), path, "'\(text)' is not an sbatch memory size: megabytes, or a number "
                              + "with a K, M, G or T suffix, above 0 (e.g. 2G)")
                }
            case "time":
                guard let text = string(v, path) else { continue }
                if SlurmResources.isTimeLimit(text) { out.time = text }
                else {
                    log.error(mark(v), path, "'\(text)' is not an sbatch time limit: minutes, minutes:seconds, "
                              + "hours:minutes:seconds, days-hours, days-hours:minutes or days-hours:minutes:seconds "
                              + "(e.g. \"4:00:00\")")
                }
            default: unknownKey(k, kMark, path, allowed: SlurmResources.keys, context: "slurm")
            }
        }
        return out
    }

    /// A hyper-parameter value in canonical text: integers plainly, other
    /// numbers in Swift's shortest round-trip form, lists comma-joined.
    mutating func hyperValue(_ node: Node, _ field: String) -> String? {
        switch node {
        case .scalar(let s):
            if isNull(node) { log.error(mark(node), field, "no value"); return nil }
            return canonicalScalar(s.string)
        case .sequence(let seq):
            var parts: [String] = []
            for item in seq {
                guard case .scalar(let s) = item, let d = Double(s.string), d.isFinite else {
                    log.error(mark(item), field, "list hyper-parameters hold numbers"); return nil
                }
                parts.append(canonicalScalar(s.string))
                _ = d
            }
            return parts.joined(separator: ",")
        default:
            log.error(mark(node), field, "expected a number, true/false, a word or a list of numbers"); return nil
        }
    }

    func canonicalScalar(_ text: String) -> String {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let i = Int(t) { return String(i) }
        if let d = Double(t), d.isFinite {
            if d == d.rounded(), abs(d) < 9.0e15 { return String(Int(d)) }
            return "\(d)"
        }
        switch t.lowercased() {
        case "true", "yes", "on": return "true"
        case "false", "no", "off": return "false"
        default: return t
        }
    }

    // MARK: - Sizes and numbers

    /// Hidden sizes: a list of positive integers (`[]` is a linear map).
    mutating func sizes(_ node: Node, _ field: String, allowEmpty: Bool) -> [Int]? {
        guard case .sequence(let seq) = node else {
            log.error(mark(node), field, "expected hidden sizes as a list, e.g. [16, 16]"); return nil
        }
        if seq.isEmpty && !allowEmpty { log.error(mark(node), field, "an empty size list"); return nil }
        var out: [Int] = []
        for item in seq {
            guard case .scalar(let s) = item, let n = Int(s.string), n >= 1, n <= 1 << 16 else {
                log.error(mark(item), field, "layer width '\(item.string ?? "…")' is not an integer in 1...65536")
                return nil
            }
            out.append(n)
        }
        return out
    }

    /// A search's candidate sizes: a non-empty list of size lists, no repeats.
    mutating func sizeList(_ node: Node, _ field: String) -> [[Int]]? {
        guard case .sequence(let seq) = node else {
            log.error(mark(node), field, "expected a list of size lists, e.g. [[4, 4], [16, 16], [64, 64]]"); return nil
        }
        if seq.isEmpty { log.error(mark(node), field, "an empty size list leaves nothing to search"); return nil }
        var out: [[Int]] = []
        var ok = true
        for (i, item) in seq.enumerated() {
            guard case .sequence = item else {
                log.error(mark(item), "\(field)[\(i)]", "expected a size list like [16, 16], got '\(item.string ?? "…")'")
                ok = false; continue
            }
            guard let s = sizes(item, "\(field)[\(i)]", allowEmpty: false) else { ok = false; continue }
            if out.contains(s) { log.error(mark(item), "\(field)[\(i)]", "\(s) appears twice"); ok = false }
            out.append(s)
        }
        return ok ? out : nil
    }

    mutating func seedList(_ node: Node, _ field: String) -> [UInt64]? {
        guard case .sequence(let seq) = node else {
            log.error(mark(node), field, "expected a list of seeds, e.g. [0, 1, 2, 3, 4, 5]"); return nil
        }
        if seq.isEmpty { log.error(mark(node), field, "no seeds: a search averages over at least one"); return nil }
        var out: [UInt64] = []
        for item in seq {
            guard let n = int(item, field, atLeast: 0) else { return nil }
            if out.contains(UInt64(n)) { log.error(mark(item), field, "seed \(n) appears twice"); return nil }
            out.append(UInt64(n))
        }
        return out
    }

    mutating func int(_ node: Node, _ field: String, atLeast minimum: Int) -> Int? {
        guard case .scalar(let s) = node, let n = Int(s.string.replacingOccurrences(of: "_", with: "")) else {
            log.error(mark(node), field, "expected an integer, got \(describe(node))"); return nil
        }
        guard n >= minimum else { log.error(mark(node), field, "\(n) is below \(minimum)"); return nil }
        return n
    }

    mutating func double(_ node: Node, _ field: String) -> Double? {
        guard case .scalar(let s) = node, let d = Double(s.string), d.isFinite else {
            log.error(mark(node), field, "expected a number, got \(describe(node))"); return nil
        }
        return d
    }

    mutating func string(_ node: Node, _ field: String) -> String? {
        guard case .scalar(let s) = node, !isNull(node) else {
            log.error(mark(node), field, "expected text, got \(describe(node))"); return nil
        }
        return s.string
    }

    /// A mapping's entries with string keys, in file order.
    mutating func mapping(_ node: Node, _ field: String) -> [(key: String, keyMark: SourceMark, value: Node)]? {
        guard case .mapping(let m) = node else {
            log.error(mark(node), field, "expected a mapping of keys to values, got \(describe(node))"); return nil
        }
        var out: [(key: String, keyMark: SourceMark, value: Node)] = []
        for (k, v) in m {
            guard case .scalar(let s) = k else { log.error(mark(k), field, "keys are words"); continue }
            out.append((s.string, mark(k), v))
        }
        return out
    }

    mutating func unknownKey(_ key: String, _ m: SourceMark, _ field: String, allowed: [String], context: String) {
        log.error(m, field, "unknown key '\(key)' in \(context)\(didYouMean(key, allowed)) (allowed: \(allowed.joined(separator: ", ")))")
    }

    func mark(_ node: Node) -> SourceMark { SourceMark(node.mark) }

    func isNull(_ node: Node) -> Bool {
        guard case .scalar(let s) = node, s.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return isNull(node) ? "nothing" : "'\(s.string)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        }
    }
}
