// Checks a parsed pipeline as a whole (references, cycles, hyper-parameters,
// duplicates) and expands each stage's matrix into graph nodes.
import Foundation
import Agents
import Envs
import Nets

/// A validated, expanded pipeline.
public struct Pipeline: Sendable {
    public var name: String
    public var doc: String?
    public var stages: [StageInfo]
    public var graph: NodeGraph
    /// Budgets and seeds as run (`--scale`, `--seeds`); full unless shrunk.
    public var shrink = Shrink()

    /// Reads, validates and expands a pipeline file. Throws `PipelineErrors`
    /// listing every problem, each as `FILE:LINE:COLUMN: field: message`.
    public static func load(path: String) throws -> Pipeline {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineErrors([PipelineDiagnostic(file: path, mark: SourceMark(line: 1, column: 1), field: "file",
                                                     message: "cannot read the file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineErrors([PipelineDiagnostic(file: path, mark: SourceMark(line: 1, column: 1), field: "file",
                                                     message: "not UTF-8 text")])
        }
        return try parse(yaml: text, file: path)
    }

    /// As `load(path:)`, from text; `file` names it in diagnostics.
    public static func parse(yaml: String, file: String) throws -> Pipeline {
        var reader = SpecReader(file: file)
        let parsed = reader.read(yaml: yaml)
        var expander = Expander(log: reader.log)
        let result = parsed.flatMap { expander.expand($0) }
        guard expander.log.isEmpty, let result else { throw PipelineErrors(expander.log.sorted) }
        return result
    }
}

/// The config of an algorithm as its preset resolves it for an environment,
/// without building the environment (what `--print-config` shows).
public enum HyperParameters {
    /// A spec that only names what decides the config (sizes and seed do not).
    static func spec(_ algorithm: Algorithm, _ preset: Preset, _ environment: String) -> RunSpec {
        RunSpec(algorithm: algorithm, env: environment, actorHidden: [], criticHidden: [], seed: 0, preset: preset)
    }

    /// The resolved config as `AgentFactory` builds it (one switch over algorithms, in Agents).
    public static func config(_ algorithm: Algorithm, preset: Preset, environment: String) throws -> [String: JSONValue] {
        let json = try AgentFactory.resolvedConfigJSON(spec(algorithm, preset, environment))
        guard case .object(let o) = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else { return [:] }
        return o
    }

    /// Checks one override the way `AgentFactory` will apply it; nil when it applies.
    public static func problem(key: String, value: String, algorithm: Algorithm, preset: Preset,
                               environment: String) -> String? {
        // Every node of a matrix asks the same few questions: answer each once
        // (resolving a config is a JSON round trip; 10,000 nodes took a second).
        let question = "\(algorithm.rawValue)|\(preset.rawValue)|\(environment)|\(key)=\(value)"
        if let known = problemCache.withLock({ $0[question] }) { return known }
        let answer = resolveProblem(key: key, value: value, algorithm: algorithm, preset: preset, environment: environment)
        problemCache.withLock { $0[question] = answer }
        return answer
    }

    private static let problemCache = LockedCache<String, String?>()

    private static func resolveProblem(key: String, value: String, algorithm: Algorithm, preset: Preset,
                                       environment: String) -> String? {
        do {
            _ = try AgentFactory.resolvedConfigJSON(spec(algorithm, preset, environment), overrides: [(key: key, value: value)])
            return nil
        } catch AgentError.unknownKey(let k, let a, let known) {
            return "unknown \(a.rawValue) hyper-parameter '\(k)'\(didYouMean(k, known)) (known: \(known.joined(separator: ", ")))"
        } catch {
            return "\(error)"
        }
    }
}

struct Expander {
    var log: DiagnosticLog
    private var nodes: [PipelineNode] = []
    private var nodeIndex: [String: Int] = [:]
    private var brokenDefaults: Set<String> = []
    private var nodesOfStage: [String: [String]] = [:]

    init(log: DiagnosticLog) { self.log = log }

    mutating func expand(_ p: ParsedPipeline) -> Pipeline? {
        let stages = p.stages
        brokenDefaults = p.brokenDefaults
        var byName: [String: ParsedStage] = [:]
        for s in stages {
            if byName[s.name] != nil { log.error(s.mark, s.field, "a second stage named '\(s.name)'") }
            else { byName[s.name] = s }
        }
        // References.
        for s in stages {
            for n in s.needs {
                if n.name == s.name { log.error(n.mark, "\(s.field).needs", "a stage cannot need itself"); continue }
                guard let needed = byName[n.name] else {
                    log.error(n.mark, "\(s.field).needs", "no stage named '\(n.name)'\(didYouMean(n.name, stages.map(\.name)))")
                    continue
                }
                if s.kind == .evaluate && needed.kind != .train {
                    log.error(n.mark, "\(s.field).needs", "an evaluate stage evaluates train stages; '\(n.name)' is a \(needed.kind.rawValue) stage")
                }
            }
            if s.kind == .evaluate && s.needs.isEmpty {
                log.error(s.mark, "\(s.field).needs", "an evaluate stage needs the train stage(s) whose models it evaluates")
            }
        }
        guard let order = topologicalOrder(stages, byName) else { return nil }
        for s in order {
            switch s.kind {
            case .train: expandTrain(s, p)
            case .evaluate: expandEvaluate(s, byName)
            case .search: expandSearch(s, p)
            case .report: expandReport(s)
            }
        }
        return Pipeline(name: p.name, doc: p.doc,
                        stages: stages.map {
                            var info = StageInfo(name: $0.name, kind: $0.kind, needs: $0.needs.map(\.name), doc: $0.doc)
                            if $0.kind != .report { info.resources = $0.slurm.over(p.defaultSlurm) }
                            return info
                        },
                        graph: NodeGraph(nodes))
    }

    /// Stages so that each comes after what it needs, file order otherwise; nil (with an error) on a cycle.
    mutating func topologicalOrder(_ stages: [ParsedStage], _ byName: [String: ParsedStage]) -> [ParsedStage]? {
        var state: [String: Int] = [:]   // 1 visiting, 2 done
        var order: [ParsedStage] = []
        var cycleFound = false
        func visit(_ s: ParsedStage, _ path: [String], _ log: inout DiagnosticLog) {
            if state[s.name] == 2 || cycleFound { return }
            if state[s.name] == 1 {
                let start = path.firstIndex(of: s.name) ?? 0
                let loop = path[start...] + [s.name]
                let first = byName[loop.first!]!
                log.error(first.needsMark, "\(first.field).needs", "a cycle: \(loop.joined(separator: " → "))")
                cycleFound = true
                return
            }
            state[s.name] = 1
            for n in s.needs { if let next = byName[n.name], next.name != s.name { visit(next, path + [s.name], &log) } }
            state[s.name] = 2
            order.append(s)
        }
        for s in stages where byName[s.name]?.mark == s.mark { visit(s, [], &log) }
        return cycleFound ? nil : order
    }

    // MARK: - Matrix

    /// Every combination of the stage's matrix (first key outermost), exclusions dropped.
    mutating func combinations(_ s: ParsedStage) -> [[Setting]] {
        var combos: [[Setting]] = [[]]
        for axis in s.axes {
            combos = combos.flatMap { c in axis.entries.map { c + [$0] } }
        }
        let kept = combos.filter { combo in
            !s.exclusions.contains { ex in
                !ex.values.isEmpty && ex.values.allSatisfy { k, v in combo.contains { $0.key == k && $0.value == v } }
            }
        }
        if kept.isEmpty && !s.axes.isEmpty && s.axes.allSatisfy({ !$0.entries.isEmpty }) {
            log.error(s.matrixMark ?? s.mark, "\(s.field).matrix", "the matrix expands to no nodes (every combination is excluded)")
        }
        return kept
    }

    /// The resolved field values and hyper-parameters of one combination:
    /// defaults, overridden by the stage, overridden by the matrix.
    mutating func resolve(_ s: ParsedStage, _ p: ParsedPipeline, _ combo: [Setting])
        -> (fields: [String: Setting], hyper: [String: Setting]) {
        var fields = p.defaults, hyper = p.defaultHyper
        for (k, v) in s.fields { fields[k] = v }
        for (k, v) in s.hyper { hyper[k] = v }
        for axis in s.axes {
            if s.fields[axis.key] != nil || s.hyper[axis.key] != nil {
                log.error(axis.mark, axis.field, "'\(axis.key)' is given both in the stage and in its matrix; keep one")
            }
        }
        for c in combo {
            if NodeField(rawValue: c.key) != nil { fields[c.key] = c } else { hyper[c.key] = c }
        }
        return (fields, hyper)
    }

    /// A train spec from resolved settings; nil (with errors) when something is missing or wrong.
    mutating func trainSpec(_ s: ParsedStage, fields: [String: Setting], hyper: [String: Setting],
                            needsSizes: Bool) -> TrainSpec? {
        func missing(_ f: String, _ what: String) {
            if s.broken.contains(f) || (brokenDefaults.contains(f) && s.fields[f] == nil) { return }   // reported where written
            log.error(s.mark, "\(s.field).\(f)", "no \(what) (set \(f) in the stage, its matrix or defaults)")
        }
        guard case .algorithm(let algorithm)? = fields["algorithm"]?.value else { missing("algorithm", "algorithm"); return nil }
        guard case .environment(let env)? = fields["environment"]?.value else { missing("environment", "environment"); return nil }
        guard case .count(let steps)? = fields["steps"]?.value else { missing("steps", "step budget"); return nil }
        var actor: [Int] = [], critic: [Int] = []
        if needsSizes {
            guard case .sizes(let a)? = fields["actor"]?.value else { missing("actor", "actor size"); return nil }
            guard case .sizes(let c)? = fields["critic"]?.value else { missing("critic", "critic size"); return nil }
            actor = a; critic = c
        }
        var seed: UInt64 = 0
        if case .seed(let v)? = fields["seed"]?.value { seed = v }
        var preset = Preset.spinup
        if case .preset(let v)? = fields["preset"]?.value { preset = v }
        var evalEpisodes = 10
        if case .count(let v)? = fields["eval_episodes"]?.value { evalEpisodes = v }
        var numerics = NumericsProfile.portable
        if case .numerics(let v)? = fields["numerics"]?.value { numerics = v }

        var ok = true
        if let entry = try? EnvRegistry.entry(env), entry.actionSpace.isDiscrete, algorithm == .ddpg || algorithm == .td3 {
            let where_ = fields["algorithm"]!
            log.error(where_.mark, where_.field, "\(algorithm.rawValue) needs a continuous action space; \(env) has discrete actions (use sac, ppo or trpo)")
            ok = false
        }
        var overrides: [String: String] = [:]
        for (key, setting) in hyper.sorted(by: { $0.key < $1.key }) {
            guard case .hyper(let text) = setting.value else { continue }
            if let problem = HyperParameters.problem(key: key, value: text, algorithm: algorithm, preset: preset, environment: env) {
                let unknownKey = (try? HyperParameters.config(algorithm, preset: preset, environment: env))?[key] == nil
                log.error(unknownKey ? setting.keyMark : setting.mark, setting.field, problem); ok = false
            }
            overrides[key] = text
        }
        guard ok else { return nil }
        return TrainSpec(algorithm: algorithm, environment: env, actor: actor, critic: critic, seed: seed, preset: preset,
                         overrides: overrides, steps: steps, evalEpisodes: evalEpisodes, numerics: numerics)
    }

    /// The id tail for matrix keys beyond algorithm, environment, actor, critic and seed.
    func variant(_ s: ParsedStage, _ combo: [Setting]) -> String {
        let named: Set<String> = ["algorithm", "environment", "actor", "critic", "seed"]
        return combo.filter { !named.contains($0.key) }.map { c in
            switch c.value {
            case .hyper: return "-\(c.key)\(c.value.idText)"
            case .count: return "-\(c.key == "steps" ? "t" : "e")\(c.value.idText)"
            default: return "-\(c.value.idText)"
            }
        }.joined()
    }

    mutating func add(_ node: PipelineNode, _ s: ParsedStage) {
        if nodeIndex[node.id] != nil {
            log.error(s.matrixMark ?? s.mark, "\(s.field).matrix", "two combinations give the same node \(node.id)")
            return
        }
        nodeIndex[node.id] = nodes.count
        nodes.append(node)
        nodesOfStage[s.name, default: []].append(node.id)
    }

    func upstream(_ s: ParsedStage) -> [String] { s.needs.flatMap { nodesOfStage[$0.name] ?? [] } }

    // MARK: - Stage kinds

    mutating func expandTrain(_ s: ParsedStage, _ p: ParsedPipeline) {
        let needs = upstream(s)
        for combo in combinations(s) {
            let r = resolve(s, p, combo)
            guard let spec = trainSpec(s, fields: r.fields, hyper: r.hyper, needsSizes: true) else { continue }
            add(.train(stage: s.name, spec: spec, variant: variant(s, combo), needs: needs), s)
        }
    }

    mutating func expandEvaluate(_ s: ParsedStage, _ byName: [String: ParsedStage]) {
        var any = false
        for id in upstream(s) {
            guard let i = nodeIndex[id], case .train(let t) = nodes[i].spec else { continue }
            let spec = EvaluateSpec(trainNode: id, train: t, episodes: s.episodes, seed: s.evalSeed &+ t.seed)
            add(PipelineNode(id: "\(s.name)/\(id)", stage: s.name, spec: .evaluate(spec), needs: [id]), s)
            any = true
        }
        if !any && !s.needs.isEmpty && log.isEmpty {
            log.error(s.mark, s.field, "nothing to evaluate: the stages it needs have no nodes")
        }
    }

    mutating func expandSearch(_ s: ParsedStage, _ p: ParsedPipeline) {
        guard let sizes = s.sizes else {
            if !log.items.contains(where: { $0.field.hasPrefix("\(s.field).sizes") }) {
                log.error(s.mark, "\(s.field).sizes", "missing: the ordered list of sizes to search, smallest first")
            }
            return
        }
        if s.threshold == nil && s.baseline == nil {
            log.error(s.mark, "\(s.field).threshold", "a search needs a threshold, or a baseline to derive it from")
            return
        }
        let needs = upstream(s)
        for combo in combinations(s) {
            let r = resolve(s, p, combo)
            guard let template = trainSpec(s, fields: r.fields, hyper: r.hyper, needsSizes: false) else { continue }
            guard sizesAreOrdered(sizes, s, template.environment) else { continue }
            let search = SearchSpec(template: template, sizes: sizes, baseline: s.baseline,
                                    threshold: s.threshold.map(SearchThreshold.given) ?? .fromBaseline,
                                    tolerance: s.tolerance, seeds: s.seeds)
            let v = variant(s, combo)
            var node = PipelineNode(id: "\(s.name)/\(template.algorithm.rawValue)-\(template.environment)\(v)",
                                    stage: s.name, spec: .search(search), needs: needs, variant: v)
            if let baseline = s.baseline {
                let probes = node.probeNodes(baseline)
                for var probe in probes { probe.needs = needs; add(probe, s) }
                node.needs += probes.map(\.id)
            }
            add(node, s)
        }
    }

    /// Sizes must grow: each candidate's actor has more parameters than the one before.
    mutating func sizesAreOrdered(_ sizes: [[Int]], _ s: ParsedStage, _ env: String) -> Bool {
        guard let entry = try? EnvRegistry.entry(env) else { return true }
        let outputs: Int
        if case .discrete(let n) = entry.actionSpace { outputs = n } else { outputs = entry.actionSpace.flatCount }
        let counts = sizes.map { ParameterCount.mlp(inputs: entry.observationCount, hidden: $0, outputs: outputs) }
        for i in 1..<max(1, counts.count) where counts[i] <= counts[i - 1] {
            log.error(s.sizesMark, "\(s.field).sizes", "not in increasing size: \(sizes[i]) (\(counts[i]) parameters on \(env)) "
                      + "comes after \(sizes[i - 1]) (\(counts[i - 1]))")
            return false
        }
        return true
    }

    mutating func expandReport(_ s: ParsedStage) {
        let inputs = upstream(s)
        let spec = ReportSpec(title: s.title ?? s.name, inputs: inputs, output: s.output, reference: s.reference,
                              inference: s.inference)
        add(PipelineNode(id: "\(s.name)/report", stage: s.name, spec: .report(spec), needs: inputs), s)
    }
}

/// A dictionary behind a lock, for memoising pure answers across threads.
final class LockedCache<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: Value] = [:]
    func withLock<T>(_ body: (inout [Key: Value]) -> T) -> T { lock.withLock { body(&values) } }
}
