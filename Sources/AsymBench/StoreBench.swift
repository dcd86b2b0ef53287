import Agents
import Foundation
import Nets
import Pipeline
import Store

/// The store's two costs: a checkpoint of the largest run we have (SAC
/// [256,256] with a full 1e6-transition replay buffer on Pendulum) against
/// training time at the default interval, and the latency of a cached
/// `asym train` (a whole process: start, key, lookup, verified read, print).
func benchStore() {
    print("== store: checkpoint cost (SAC [256,256], 1e6 replay, Pendulum-v1) and cached `asym train` latency")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("asym-bench-store-\(getpid())").path
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }

    let spec = RunSpec(algorithm: .sac, env: "Pendulum-v1", actorHidden: [256, 256], criticHidden: [256, 256], seed: 0)
    let capacity = 1_000_000
    guard let filler = try? AgentFactory.make(spec, overrides: [
        ("replay_size", "\(capacity)"), ("start_steps", "\(capacity + 1)"), ("update_after", "\(capacity + 1)"),
    ]) else { print("cannot build SAC"); return }
    let metrics = NullMetrics()
    while filler.stepsDone < capacity { filler.trainStep(metrics: metrics) }   // random actions fill the buffer, no updates
    let node = try! TrainNode(spec: spec, overrides: [("replay_size", "\(capacity)")], steps: 10 * capacity,
                              evaluation: .init(episodes: 10))
    let partial = folder + "/partial.h5"
    var writes: [Double] = []
    for _ in 0..<3 {
        let start = now()
        do { try node.writePartial(filler.stateDict(), metrics: MemoryMetrics(), to: partial) }
        catch { print("checkpoint failed: \(error)"); return }
        writes.append(now() - start)
    }
    let checkpoint = writes.min()!
    let bytes = ((try? FileManager.default.attributesOfItem(atPath: partial))?[.size] as? NSNumber)?.doubleValue ?? 0

    // Training speed with updates (SAC's own schedule), from a full buffer.
    guard let trainer = try? AgentFactory.make(spec, overrides: [("replay_size", "\(capacity)"), ("start_steps", "1000"),
                                                                 ("update_after", "1000")]) else { return }
    while trainer.stepsDone < 1_100 { trainer.trainStep(metrics: metrics) }
    let start = now(), from = trainer.stepsDone
    repeat { trainer.trainStep(metrics: metrics) } while now() - start < 3
    let rate = Double(trainer.stepsDone - from) / (now() - start)
    // The default interval: 5% of the run's wall time, between 5 s and 600 s; the run
    // that fills a 1e6 buffer takes at least 1e6 steps.
    let runSeconds = Double(capacity) / rate
    let interval = min(600, max(5, 0.05 * runSeconds))
    print("checkpoint \(fixed(bytes / 1e6, 1)) MB in \(fixed(checkpoint, 2)) s (best of 3, incl. fsync); training \(fixed(rate, 0)) steps/s")
    print("a 1e6-step run: \(fixed(runSeconds / 3600, 1)) h, a checkpoint every \(fixed(interval, 0)) s: overhead \(fixed(100 * checkpoint / interval, 2)) % (limit 2 %)")

    // Cached `asym train`: one run into a fresh store, then the same command timed.
    let asym = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("asym").path
    let arguments = ["train", "--algo", "td3", "--env", "Pendulum-v1", "--actor", "4", "--critic", "16", "--steps", "2000",
                     "--store", folder + "/store", "--eval-episodes", "2"]
    func runAsym() -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: asym)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = now()
        guard (try? process.run()) != nil else { return .nan }
        process.waitUntilExit()
        return now() - start
    }
    _ = runAsym()
    let cached = (0..<5).map { _ in runAsym() }.min()!
    let version = { () -> Double in
        let p = Process(); p.executableURL = URL(fileURLWithPath: asym); p.arguments = ["--version"]
        p.standardOutput = FileHandle.nullDevice
        let s = now(); try? p.run(); p.waitUntilExit(); return now() - s
    }
    let startup = (0..<5).map { _ in version() }.min()!
    print("cached asym train: \(fixed(cached * 1000, 0)) ms (best of 5; limit 100 ms); `asym --version` alone: \(fixed(startup * 1000, 0)) ms")
}

/// `asym status` and a no-op `asym run` on a generated 10,000-node pipeline
/// (100 actor × critic pairs × 100 seeds of TD3 on Pendulum) over a warm
/// store: every object is present, each a copy of one real artifact under its
/// node's key, so the costs are expansion, keys and verified lookups, as in a
/// finished sweep.
func benchPipeline() {
    print("== pipeline: `asym status` and a no-op `asym run` on a 10,000-node pipeline over a warm store")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("asym-bench-pipeline-\(getpid())").path
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    // ASYM_BENCH_KEEP=1 keeps the store and pipeline, to profile them.
    let keep = ProcessInfo.processInfo.environment["ASYM_BENCH_KEEP"] == "1"
    defer { if keep { print("kept \(folder)") } else { try? FileManager.default.removeItem(atPath: folder) } }
    let sizes = (1...10).map { "[\($0)]" }.joined(separator: ", ")
    let file = folder + "/bench10k.yaml"
    let yaml = """
    name: bench10k
    defaults: {algorithm: td3, environment: Pendulum-v0, steps: 300, eval_episodes: 1,
               set: {start_steps: 100, update_after: 100}}
    stages:
      train:
        kind: train
        matrix:
          actor: [\(sizes)]
          critic: [\(sizes)]
          seed: [\((0..<100).map(String.init).joined(separator: ", "))]
    """
    let store = ArtifactStore(root: folder + "/store")
    let started = now()
    do {
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let pipeline = try Pipeline.load(path: file)
        let trains = pipeline.graph.nodes.compactMap { node -> TrainSpec? in
            if case .train(let t) = node.spec { return t } else { return nil }
        }
        // One real run gives a real artifact's datasets; every node gets a copy under its own key.
        guard let first = trains.first, case .computed(let real) = try first.makeTrainNode().run(in: store) else {
            print("cannot train the template run"); return
        }
        try store.prepareForWriting()
        for spec in trains.dropFirst() {
            var copy = real
            copy.attributes["key"] = try NodeKeys.key(of: PipelineNode(id: "x", stage: "train", spec: .train(spec)))
            let path = store.objectPath(copy.attributes["key"]!)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try copy.write(to: path)   // no fsync: a bench's scratch store
        }
        print("\(trains.count) nodes; store warmed in \(fixed(now() - started, 1)) s")
    } catch { print("cannot set up: \(error)"); return }

    let asym = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("asym").path
    func timed(_ arguments: [String]) -> (seconds: Double, output: String) {
        let process = Process(), pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: asym)
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let start = now()
        guard (try? process.run()) != nil else { return (.nan, "") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (now() - start, String(decoding: data, as: UTF8.self))
    }
    let status = (0..<3).map { _ in timed(["status", file, "--store", store.root, "--summary"]) }
    let run = (0..<3).map { _ in timed(["run", file, "--store", store.root, "--report-base", folder]) }
    let ranNothing = run.allSatisfy { $0.output.contains("nothing to compute") }
    print("asym status: \(fixed(status.map(\.seconds).min()! * 1000, 0)) ms; no-op asym run: \(fixed(run.map(\.seconds).min()! * 1000, 0)) ms (best of 3; target under 2 s)\(ranNothing ? "" : " — the run computed something: check the bench")")
    if let summary = status.last?.output.split(separator: "\n").last { print("status said: \(summary)") }
}
