import Foundation
import Agents
import Envs
import Nets
import Store

/// One training run through the artifact store: its spec and key, and the
/// run itself — cached result at once, or resume from the partial checkpoint,
/// train with periodic checkpoints, evaluate, store the object.
public final class TrainNode {
    public let runSpec: RunSpec
    public let overrides: [(key: String, value: String)]
    public let steps: Int
    public let evaluation: RunResult.EvaluationProtocol
    /// What decides the result, canonical (the key hashes it; the artifact stores it).
    public let spec: CanonicalJSON
    public let key: String

    /// `steps` nil trains for the preset's budget (`total_steps`, or PPO's `total_timesteps`).
    public init(spec runSpec: RunSpec, overrides: [(key: String, value: String)], steps: Int?,
                evaluation: RunResult.EvaluationProtocol) throws {
        self.runSpec = runSpec
        self.overrides = overrides
        self.evaluation = evaluation
        // The config without the agent: a cached answer never allocates networks or buffers.
        let configJSON = try ConfigCache.shared.resolved(runSpec, overrides: overrides)
        if let steps {
            self.steps = steps
        } else {
            guard case .object(let fields) = configJSON.parsed,
                  case .integer(let budget)? = fields["total_steps"] ?? fields["total_timesteps"] else {
                throw AgentError.unsupported("\(runSpec.algorithm.rawValue) on \(runSpec.env): the preset names no budget; give --steps")
            }
            self.steps = Int(budget)
        }
        spec = try Self.spec(of: runSpec, configJSON: configJSON.text, parsedConfig: configJSON.parsed,
                             steps: self.steps, evaluation: evaluation)
        key = ArtifactKey.compute(spec: spec)
    }

    /// The agent, built on first use (only when there is something to compute).
    public private(set) lazy var agent: any Agent = {
        // `init` resolved the same config, so building cannot fail on the overrides; an
        // agent-level check (a value out of range) still can, and is reported by `makeAgent`.
        try! AgentFactory.make(runSpec, overrides: overrides)
    }()

    /// Builds the agent, reporting what its checks refuse.
    /// Builds the agent once (later calls return the same one), reporting what its checks refuse.
    @discardableResult
    public func makeAgent() throws -> any Agent {
        if let builtAgent { return builtAgent }
        let built = try AgentFactory.make(runSpec, overrides: overrides)
        agent = built
        builtAgent = built
        return built
    }
    private var builtAgent: (any Agent)?

    /// The train stage's spec: algorithm, environment id, actor and critic
    /// sizes, every hyper-parameter (the preset resolved, overrides applied),
    /// budget, seed and evaluation protocol.
    public static func spec(of s: RunSpec, configJSON: String, parsedConfig: CanonicalJSON? = nil, steps: Int,
                            evaluation: RunResult.EvaluationProtocol) throws -> CanonicalJSON {
        let seed: CanonicalJSON = s.seed <= UInt64(Int64.max) ? .integer(Int64(s.seed)) : .string(String(s.seed))
        return .object([
            "kind": .string("train"),
            "algorithm": .string(s.algorithm.rawValue),
            "env": .string(s.env),
            "actor": .array(s.actorHidden.map { .integer(Int64($0)) }),
            "critic": .array(s.criticHidden.map { .integer(Int64($0)) }),
            "config": try parsedConfig ?? CanonicalJSON(parsing: configJSON),
            "steps": .integer(Int64(steps)),
            "seed": seed,
            "evaluation": .object(["episodes": .integer(Int64(evaluation.episodes)),
                                   "seed_offset": .integer(Int64(RunResult.EvaluationProtocol.seedOffset))]),
        ])
    }

    // MARK: Running

    public enum CheckpointInterval: Sendable, Equatable {
        /// About every `fraction` of the run's (estimated) wall time, within [minimum, maximum] seconds.
        case automatic(fraction: Double = 0.05, minimum: Double = 5, maximum: Double = 600)
        case steps(Int)
    }

    public struct Options {
        public var checkpointInterval: CheckpointInterval = .automatic()
        /// Wait for another process computing the same key (else fail naming it).
        public var wait = true
        /// One-line notices for the user (damaged files, waiting, resuming).
        public var notice: (String) -> Void = { _ in }
        public var progress: ((Training.Progress) -> Void)? = nil
        /// Write a run record for this one run (`asym train`); a pipeline's workers
        /// leave that to the pipeline's own record.
        public var recordRun = true
        public init() {}
    }

    public enum Outcome {
        case computed(Artifact)
        case cached(Artifact)
        public var artifact: Artifact { switch self { case .computed(let a), .cached(let a): a } }
        /// The summary line as the run printed it when it was computed.
        public var summaryLine: String { artifact.attributes["summary"] ?? "{}" }
    }

    /// The stored result for this key, or nil (a damaged object is quarantined, with a notice).
    public func cached(in store: ArtifactStore, notice: (String) -> Void) throws -> Artifact? {
        switch try store.lookup(key) {
        case .found(let artifact): return artifact
        case .absent: return nil
        case .quarantined(let why, let movedTo):
            notice("\(store.objectPath(key)): damaged (\(why)); moved to \(movedTo); recomputing")
            return nil
        }
    }

    public func run(in store: ArtifactStore, options: Options = Options()) throws -> Outcome {
        if let artifact = try cached(in: store, notice: options.notice) { return .cached(artifact) }
        try makeAgent()
        try store.prepareForWriting()
        let lock = try KeyLock.acquire(store.lockPath(key), wait: options.wait) { holder in
            options.notice("key \(key.prefix(12)) is being computed by \(holder?.description ?? "another process"); waiting")
        }
        defer { lock.release() }
        // The holder we waited for may have finished it.
        if let artifact = try cached(in: store, notice: options.notice) { return .cached(artifact) }

        let metrics = MemoryMetrics()
        let partial = store.partialPath(key)
        try resume(from: partial, in: store, metrics: metrics, notice: options.notice)
        let started = monotonicSeconds()
        try train(metrics: metrics, partial: partial, options: options)
        let result = try RunResult.evaluate(agent, protocol: evaluation)
        let stepsPerSecond = metrics.last("perf/steps_per_second") ?? 0
        let summary = try result.summary(of: agent, stepsPerSecond: stepsPerSecond).jsonLine()
        let artifact = makeArtifact(metrics: metrics, result: result, summary: summary,
                                    wallTime: monotonicSeconds() - started)
        try store.put(artifact)
        unlink(partial)
        if options.recordRun { try store.recordRun(command: "train", keys: [key]) }
        return .computed(artifact)
    }

    /// Loads the partial checkpoint, if there is one for this key.
    func resume(from partial: String, in store: ArtifactStore, metrics: MemoryMetrics, notice: (String) -> Void) throws {
        guard FileManager.default.fileExists(atPath: partial) else { return }
        let state: StateDict
        do { state = try StateFile.read(partial) }
        catch StoreError.corrupt(_, let why) {
            notice("\(partial): damaged (\(why)); moved to \(try store.quarantine(partial)); starting over")
            return
        }
        let file = try HDF5File.open(partial)
        let storedKey = try file.attribute("key"), storedNumerics = try file.attribute("numerics")
        if storedNumerics != Numerics.id {
            throw StoreError.partialMismatch(path: partial, why: "numerics \(storedNumerics ?? "absent"), this process \(Numerics.id)")
        }
        if storedKey != key {
            let differing = Self.differingFields(try file.attribute("spec"), spec)
            throw StoreError.partialMismatch(path: partial, why: differing.isEmpty ? "key \(storedKey ?? "absent")"
                                             : "spec differs in \(differing.joined(separator: ", "))")
        }
        // Labelled as this run's but holding another's state (a hand-edited or copied file): name the file.
        do { try agent.load(state.subset("agent")) }
        catch { throw StoreError.partialMismatch(path: partial, why: "\(error)") }
        for name in state.doubles.keys.sorted() where name.hasPrefix("metrics/") {
            let flat = state.doubles[name]!
            for i in stride(from: 0, to: flat.count - 1, by: 2) {
                metrics.record(String(name.dropFirst("metrics/".count)), step: Int(flat[i]), value: flat[i + 1])
            }
        }
        notice("resuming key \(key.prefix(12)) from \(partial) at step \(agent.stepsDone)")
    }

    static func differingFields(_ stored: String?, _ current: CanonicalJSON) -> [String] {
        guard let stored, case .object(let a)? = try? CanonicalJSON(parsing: stored), case .object(let b) = current else { return [] }
        var names = Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }
        if case .object(let ca)? = a["config"], case .object(let cb)? = b["config"] {
            names.remove("config")
            names.formUnion(Set(ca.keys).union(cb.keys).filter { ca[$0] != cb[$0] }.map { "config." + $0 })
        }
        return names.sorted()
    }

    /// Trains to the budget in segments, each ending with a checkpoint in `partial`.
    func train(metrics: MemoryMetrics, partial: String, options: Options) throws {
        let start = monotonicSeconds(), startSteps = agent.stepsDone
        let progress = options.progress.map { report in { (p: Training.Progress) in
            var p = p
            p.totalSteps = self.steps
            report(p)
        } }
        while agent.stepsDone < steps {
            let target: Int
            switch options.checkpointInterval {
            case .steps(let every):
                target = min(steps, (agent.stepsDone / every + 1) * every)
            case .automatic(let fraction, let minimum, let maximum):
                let done = agent.stepsDone - startSteps, elapsed = monotonicSeconds() - start
                if done == 0 || elapsed <= 0 {
                    target = min(steps, agent.stepsDone + 256)   // a first short segment measures the rate
                } else {
                    let rate = Double(done) / elapsed
                    let total = Double(steps - startSteps) / rate
                    let interval = min(maximum, max(minimum, fraction * total))
                    target = min(steps, agent.stepsDone + max(1, Int(rate * interval)))
                }
            }
            try Training.run(agent, totalSteps: target, metrics: metrics, checkpointEvery: nil,
                             onCheckpoint: { state in if target < self.steps { try self.writePartial(state, metrics: metrics, to: partial) } },
                             progress: progress)
        }
    }

    /// The step of the last partial checkpoint written by this process (nil: none yet).
    public private(set) var lastPartialStep: Int?

    public func writePartial(_ state: StateDict, metrics: MemoryMetrics, to partial: String) throws {
        var checkpoint = StateDict()
        checkpoint.merge(state, prefix: "agent")
        for (name, series) in metrics.series { checkpoint.setMatrix("metrics/" + name, series.flatMap { [Double($0.step), $0.value] }, width: 2) }
        try StateFile.write(checkpoint, to: partial, attributes: [
            "kind": "partial", "key": key, "spec": spec.text, "steps_done": String(agent.stepsDone), "numerics": Numerics.id, "tool_version": Self.toolVersion,
        ])
        lastPartialStep = agent.stepsDone
    }

    /// Set by the executable (the CLI's version string).
    nonisolated(unsafe) public static var toolVersion = "unknown"

    // MARK: The artifact

    func makeArtifact(metrics: MemoryMetrics, result: RunResult, summary: String, wallTime: Double) -> Artifact {
        var artifact = Artifact()
        let git = Provenance.git
        artifact.attributes = [
            "kind": "train", "key": key, "spec": spec.text, "tool_version": Self.toolVersion,
            "git_commit": git.commit, "git_dirty": git.dirty, "numerics": Numerics.id,
            "host": Provenance.host, "created": Provenance.timestamp(),
            "wall_time_seconds": String(wallTime), "summary": summary,
            "networks": networksJSON,
        ]
        // Wall-clock series are not results: they stay out of the datasets, which
        // depend on the spec alone (an interrupted and an uninterrupted run agree bit for bit).
        for (name, series) in metrics.series {
            if name.hasPrefix("perf/") {
                artifact.attributes[name.replacingOccurrences(of: "/", with: "_")] =
                    CanonicalJSON.array(series.map { .array([.integer(Int64($0.step)), .number($0.value)]) }).text
            } else {
                artifact.setMetric(name, series)
            }
        }
        artifact.arrays["eval"] = ShapedArray(result.returns)
        // The model itself, so that an evaluate stage can rebuild the policy without retraining.
        artifact.setState(agent.policyState(), under: "policy")
        for (name, exported) in agent.exportedNetworks {
            for (tensor, array) in Self.stateDict(of: exported.network) { artifact.arrays["weights/\(name)/\(tensor)"] = array }
        }
        return artifact
    }

    /// How to rebuild each exported network outside Asym (widths, activations, head).
    var networksJSON: String {
        var fields: [String: CanonicalJSON] = [:]
        for (name, exported) in agent.exportedNetworks {
            fields[name] = .object([
                "widths": .array(exported.network.widths.map { .integer(Int64($0)) }),
                "hidden_activation": .string(exported.network.hiddenActivation.rawValue),
                "output_activation": .string(exported.network.outputActivation.rawValue),
                "head": .string(exported.head),
            ])
        }
        return CanonicalJSON.object(fields).text
    }

    /// An MLP as PyTorch's `nn.Sequential(Linear, act, Linear, …).state_dict()`:
    /// Linear layers at even indices, `k.weight` of shape (out, in), `k.bias` (out).
    public static func stateDict(of network: MLP) -> [(String, ShapedArray)] {
        var out: [(String, ShapedArray)] = []
        var offset = 0
        let p = network.parameters
        for l in 0..<network.layerCount {
            let fanIn = network.widths[l], fanOut = network.widths[l + 1]
            var weight = [Float](repeating: 0, count: fanIn * fanOut)
            for i in 0..<fanIn { for o in 0..<fanOut { weight[o * fanIn + i] = p[offset + i * fanOut + o] } }
            offset += fanIn * fanOut
            let bias = Array(p[offset..<(offset + fanOut)])
            offset += fanOut
            out.append(("\(2 * l).weight", ShapedArray(weight, shape: [fanOut, fanIn])))
            out.append(("\(2 * l).bias", ShapedArray(bias, shape: [fanOut])))
        }
        return out
    }
}

/// Resolved configs by what decides them (algorithm, preset, environment,
/// overrides; not sizes or seed): a sweep of thousands of nodes resolves each
/// distinct config once, so `asym status` on a large pipeline stays fast.
final class ConfigCache: @unchecked Sendable {
    static let shared = ConfigCache()
    private let lock = NSLock()
    private var cache: [String: (text: String, parsed: CanonicalJSON)] = [:]

    func resolved(_ spec: RunSpec, overrides: [(key: String, value: String)]) throws -> (text: String, parsed: CanonicalJSON) {
        let id = ([spec.algorithm.rawValue, spec.preset.rawValue, spec.env] + overrides.map { "\($0.key)=\($0.value)" })
            .joined(separator: "\u{1F}")
        lock.lock()
        if let hit = cache[id] { lock.unlock(); return hit }
        lock.unlock()
        let text = try AgentFactory.resolvedConfigJSON(spec, overrides: overrides)
        let value = (text, try CanonicalJSON(parsing: text))
        lock.lock(); cache[id] = value; lock.unlock()
        return value
    }
}
