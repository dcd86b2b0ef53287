import Foundation
import Nets
import Store
import Testing

/// A short TD3 run on Pendulum: its actor [4,4] is what `asym export` turns into C.
let exportRun = ["train", "--algo", "td3", "--env", "Pendulum-v0", "--actor", "4,4", "--critic", "16,16", "--steps", "600",
                 "--seed", "5", "--eval-episodes", "1", "--set", "start_steps=200", "--set", "update_after=200"]

/// The stored actor rebuilt with Nets alone (not through Report's reader, which
/// the export uses): PyTorch layout `k.weight` (out × in) for Linear k = 0, 2, ….
func storedActor(_ artifact: Artifact, hidden: [Int], inputs: Int, outputs: Int) throws -> MLP {
    var rng = Xoshiro256(seed: 0)
    var net = MLP(inputs: inputs, hidden: hidden, outputs: outputs, hiddenActivation: .relu, outputActivation: .tanh, rng: &rng)
    for l in 0..<net.layerCount {
        let fanIn = net.widths[l], fanOut = net.widths[l + 1]
        let w = try #require(artifact.arrays["weights/actor/\(2 * l).weight"]).doubles
        let b = try #require(artifact.arrays["weights/actor/\(2 * l).bias"]).doubles
        let base = net.layerRange(l).lowerBound
        for i in 0..<fanIn { for o in 0..<fanOut { net.parameters[base + i * fanOut + o] = Float(w[o * fanIn + i]) } }
        for o in 0..<fanOut { net.parameters[base + fanIn * fanOut + o] = Float(b[o]) }
    }
    return net
}

@Suite("asym export", .serialized)
struct ExportTests {
    @Test("A stored TD3 actor exported as C compiles with -std=c99 -Wall -Werror and matches the Swift forward pass within 1e-5 on 1,000 observations")
    func exportMatchesSwift() throws {
        let store = scratchFolder("export-store"), work = scratchFolder("export-c")
        defer { try? FileManager.default.removeItem(atPath: store); try? FileManager.default.removeItem(atPath: work) }
        let trained = try runAsym(exportRun + ["--store", store])
        try #require(trained.status == 0, "\(trained.stderr)")
        let key = try #require(keyLine(trained.stderr))

        let actorC = work + "/actor.c"
        let exported = try runAsym(["export", String(key.prefix(10)), "--format", "c", "--store", store, "--output", actorC])
        try #require(exported.status == 0, "\(exported.stderr)")
        // [4,4] on Pendulum: 3·4+4 + 4·4+4 + 4·1+1 = 41 weights and biases, 164 bytes, + the action limit.
        #expect(exported.stdout == "wrote \(actorC): flash 168 bytes (41 float32 weights and biases + action constants), RAM 32 bytes of stack; code not counted\n")
        let source = try String(contentsOfFile: actorC, encoding: .utf8)
        #expect(source.contains("void actor(const float *obs, float *act)"))
        #expect(source.contains("static const float W0[12]"))
        #expect(!source.contains("#include"), "a ReLU/tanh actor needs no header")

        // Observations spread over Pendulum's box (cos, sin in [-1, 1], velocity in [-8, 8]) and beyond.
        var rng = Xoshiro256(seed: 11)
        let observations = (0..<1000).map { _ in [rng.uniformFloat(-1.5, 1.5), rng.uniformFloat(-1.5, 1.5), rng.uniformFloat(-10, 10)] }
        var harness = "#include <stdio.h>\nvoid actor(const float *obs, float *act);\nstatic const float OBS[\(observations.count * 3)] = {\n"
        harness += observations.flatMap { $0 }.map { "\($0.description)f" }.joined(separator: ",\n") + "\n};\n"
        harness += """
            int main(void)
            {
                float act[1];
                int r;
                for (r = 0; r < \(observations.count); r++) {
                    actor(OBS + r * 3, act);
                    printf("%.9g\\n", (double)act[0]);
                }
                return 0;
            }

            """
        try harness.write(toFile: work + "/main.c", atomically: true, encoding: .utf8)
        let cc = try runProgram("cc", ["-std=c99", "-Wall", "-Werror", "-O2", "-o", work + "/actor", actorC, work + "/main.c"])
        try #require(cc.status == 0, "cc: \(cc.stderr)")
        let run = try runProgram(work + "/actor", [])
        let fromC = run.stdout.split(separator: "\n").compactMap { Float(String($0)) }
        try #require(fromC.count == observations.count)

        let artifact = try Artifact.read(try #require(storeObjects(store).first))
        let net = try storedActor(artifact, hidden: [4, 4], inputs: 3, outputs: 1)
        let head = TanhDeterministicHead(actionLimit: [2])   // Pendulum's torque bound
        var worst: Float = 0
        for (o, c) in zip(observations, fromC) {
            let y = net(o)
            var a: Float = 0
            y.withUnsafeBufferPointer { head.actions(netOutput: $0.baseAddress!, batch: 1, into: &a) }
            worst = max(worst, abs(a - c))
        }
        #expect(worst <= 1e-5, "largest |C − Swift| = \(worst)")
        #expect(Set(fromC).count > 100, "the observations must exercise the actor, not one saturated action")
    }

    @Test("Without --output the C goes to stdout and the footprint to stderr")
    func toStandardOutput() throws {
        let store = scratchFolder("export-stdout")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let trained = try runAsym(exportRun + ["--store", store])
        try #require(trained.status == 0, "\(trained.stderr)")
        let key = try #require(keyLine(trained.stderr))
        let exported = try runAsym(["export", key, "--format", "c", "--store", store])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.hasPrefix("/* Generated by asym") && exported.stdout.contains("void actor(const float *obs, float *act)\n{"))
        #expect(exported.stderr.hasPrefix("flash 168 bytes"))
    }

    @Test("Unknown key, a non-train object and an unsupported format: one line, exit 2")
    func refusals() throws {
        let store = scratchFolder("export-refuse")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let unknown = try runAsym(["export", "abcdef", "--format", "c", "--store", store])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("asym: ") && unknown.stderr.split(separator: "\n").count == 1, "\(unknown.stderr)")

        // An evaluation result stored under a key of its own.
        let key = String(repeating: "ab", count: 32)
        let evaluation = Artifact(attributes: ["kind": "evaluate", "key": key], arrays: ["eval": ShapedArray([1.0, 2.0])])
        try ArtifactStore(root: store).put(evaluation)
        let notTrain = try runAsym(["export", "abab", "--format", "c", "--store", store])
        #expect(notTrain.status == 2)
        #expect(notTrain.stderr == "asym: object abababababab is a 'evaluate' artifact, not a train artifact\n", "\(notTrain.stderr)")

        let format = try runAsym(["export", "abab", "--format", "rust", "--store", store])
        #expect(format.status == 2)
        #expect(format.stderr == "asym: unsupported export format 'rust' (supported: c)\n", "\(format.stderr)")
    }
}

/// Runs a program (a path, or a name found on PATH) and waits for it.
func runProgram(_ program: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let r = try Subprocess.capture([program] + arguments)
    return (r.status, r.stdout, r.stderr)
}
