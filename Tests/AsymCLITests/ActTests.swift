import Foundation
import Nets
import Store
import Testing

/// A Python with torch and h5py, for the README's torch lines (`ASYM_TORCH_PYTHON`,
/// else the peer benchmark's environment); nil when none is installed.
let torchPython: String? = {
    let candidates = [ProcessInfo.processInfo.environment["ASYM_TORCH_PYTHON"], "/opt/sb3-venv/bin/python"].compactMap { $0 }
    return candidates.first { path in
        FileManager.default.isExecutableFile(atPath: path)
            && (try? runProgram(path, ["-c", "import torch, h5py"]))?.status == 0
    }
}()

@Suite("asym act", .serialized)
struct ActTests {
    /// Pendulum observations over its box and beyond, one JSON array per line.
    static func observations(_ count: Int) -> [[Float]] {
        var rng = Xoshiro256(seed: 23)
        return (0..<count).map { _ in [rng.uniformFloat(-1.5, 1.5), rng.uniformFloat(-1.5, 1.5), rng.uniformFloat(-10, 10)] }
    }
    static func jsonLines(_ rows: [[Float]]) -> String {
        rows.map { "[" + $0.map { "\($0)" }.joined(separator: ", ") + "]" }.joined(separator: "\n") + "\n"
    }

    /// A stored TD3 actor [4,4] (the export tests' run) and its store.
    static func trained() throws -> (store: String, key: String) {
        let store = scratchFolder("act-store")
        let trained = try runAsym(exportRun + ["--store", store])
        try #require(trained.status == 0, "\(trained.stderr)")
        return (store, try #require(keyLine(trained.stderr)))
    }

    @Test("the actions are the stored actor's, bit for bit: Nets' forward pass at batch 1 and the tanh head × Pendulum's bound")
    func actionsMatchTheNetwork() throws {
        let (store, key) = try Self.trained()
        defer { try? FileManager.default.removeItem(atPath: store) }
        let observations = Self.observations(500)
        let r = try runAsym(["act", String(key.prefix(12)), "--store", store], stdin: Self.jsonLines(observations))
        try #require(r.status == 0, "\(r.stderr)")
        let printed = r.stdout.split(separator: "\n").map { line in
            line.dropFirst().dropLast().split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        }
        try #require(printed.count == observations.count)

        let net = try storedActor(try Artifact.read(try #require(storeObjects(store).first)), hidden: [4, 4], inputs: 3, outputs: 1)
        let head = TanhDeterministicHead(actionLimit: [2])
        for (o, p) in zip(observations, printed) {
            var a: Float = 0
            net(o).withUnsafeBufferPointer { head.actions(netOutput: $0.baseAddress!, batch: 1, into: &a) }
            #expect(p == [a], "observation \(o)")
        }
        #expect(Set(printed.map { $0[0] }).count > 100, "the observations must exercise the actor")
    }

    @Test("the README's torch lines load the stored actor and give asym's actions within 1e-6",
          .enabled(if: torchPython != nil, "no Python with torch and h5py (set ASYM_TORCH_PYTHON)"))
    func torchAgrees() throws {
        let (store, key) = try Self.trained()
        defer { try? FileManager.default.removeItem(atPath: store) }
        let observations = Self.observations(1000)
        let input = store + "/obs.jsonl"
        try Self.jsonLines(observations).write(toFile: input, atomically: true, encoding: .utf8)
        let ours = try runAsym(["act", key, "--store", store, "--input", input])
        try #require(ours.status == 0, "\(ours.stderr)")
        try ours.stdout.write(toFile: store + "/act.jsonl", atomically: true, encoding: .utf8)
        // The README's lines, verbatim, then TD3's `action` head: tanh output × Pendulum's bound 2.
        let script = """
            import json, sys, h5py, torch, numpy
            path = sys.argv[1]
            f = h5py.File(path)
            spec = json.loads(f.attrs["networks"])["actor"]
            act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "identity": torch.nn.Identity}
            w = spec["widths"]
            actor = torch.nn.Sequential(*[m for i in range(len(w) - 1) for m in (torch.nn.Linear(w[i], w[i + 1]),
                      act[spec["hidden_activation"] if i < len(w) - 2 else spec["output_activation"]]())])
            actor.load_state_dict({k: torch.from_numpy(v[:]) for k, v in f["weights/actor"].items()})
            obs = torch.tensor([json.loads(l) for l in open(sys.argv[2])], dtype=torch.float32)
            with torch.no_grad(): theirs = actor(obs).numpy() * 2.0
            ours = numpy.array([json.loads(l) for l in open(sys.argv[3])], dtype=numpy.float32)
            print(float(numpy.abs(theirs - ours).max()))
            """
        let r = try runProgram(try #require(torchPython), ["-c", script, try #require(storeObjects(store).first), input, store + "/act.jsonl"])
        try #require(r.status == 0, "\(r.stderr)")
        let worst = try #require(Double(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(worst <= 1e-6, "largest |torch − asym| = \(worst)")
    }

    @Test("a malformed observation: one line naming the input's line, exit 2, nothing printed")
    func malformedInput() throws {
        let (store, key) = try Self.trained()
        defer { try? FileManager.default.removeItem(atPath: store) }
        for (input, message) in [
            ("[0.1, 0.2, 0.3]\n\n[1, 2]\n", "asym: standard input:3: the observation has 2 values; this actor reads 3\n"),
            ("[0.1, 0.2, true]\n", "asym: standard input:1: expected a JSON array of 3 numbers, got '[0.1, 0.2, true]'\n"),
            ("[1e39, 0, 0]\n", "asym: standard input:1: [1e39, 0, 0] does not fit in float32\n"),
        ] {
            let r = try runAsym(["act", key, "--store", store], stdin: input)
            #expect(r.status == 2)
            #expect(r.stdout.isEmpty)
            #expect(r.stderr == message)
        }
    }
}
