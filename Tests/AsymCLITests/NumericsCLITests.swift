import Foundation
import Testing
import Nets
import Agents
import Store

@Suite("asym numerics", .serialized)
struct NumericsCLITests {
    @Test("--version prints the version, the profile and the kernel in use")
    func version() throws {
        let portable = try runAsym(["--version"])
        #expect(portable.status == 0)
        let lines = portable.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines.first?.split(separator: ".").count == 3, "\(portable.stdout)")
        #expect(portable.stdout.contains("numerics portable: OpenBLAS 0.") && portable.stdout.contains("kernel Haswell"),
                "\(portable.stdout)")
        let native = try runAsym(["--numerics", "native", "--version"])
        #expect(native.status == 0)
        #expect(native.stdout.contains("numerics native:") && native.stdout.contains("(id native/openblas-"), "\(native.stdout)")
        let fromEnvironment = try runAsym(["--version"], environment: ["ASYM_NUMERICS": "native"])
        #expect(fromEnvironment.stdout == native.stdout)
    }

    /// OpenBLAS has chosen its kernel before `main` runs: asym restarts itself
    /// with the profile's kernel whatever the environment asks for.
    @Test("asym runs the portable kernel whatever OPENBLAS_CORETYPE says", arguments: ["Prescott", "Zen", ""])
    func overridesEnvironment(coreType: String) throws {
        let r = try runAsym(["--version"], environment: ["OPENBLAS_CORETYPE": coreType])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("kernel Haswell (id portable/openblas-"), "\(r.stdout)")
    }

    @Test("an unknown profile exits 2 with one line", arguments: [
        (["--numerics", "fast", "params", "--obs", "3", "--act", "1", "--actor", "4"], [:], "'fast' (from --numerics)"),
        (["params", "--obs", "3", "--act", "1", "--actor", "4"], ["ASYM_NUMERICS": "Native"], "'Native' (from ASYM_NUMERICS)"),
        (["params", "--numerics"], [:], "--numerics needs a value"),
    ])
    func unknownProfile(arguments: [String], environment: [String: String], message: String) throws {
        let r = try runAsym(arguments, environment: environment)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("asym: ") && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message),
                "\(r.stderr)")
    }

    static let train = ["train", "--algo", "td3", "--env", "Pendulum-v0", "--actor", "8", "--critic", "8",
                        "--set", "start_steps=100", "--set", "update_after=100", "--set", "batch_size=32",
                        "--eval-episodes", "0"]

    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("asym-numerics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("a checkpoint records its numerics; resuming under another profile is refused, or warned about when allowed")
    func resumeUnderOtherProfile() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("run.h5").path
        let first = try runAsym(Self.train + ["--steps", "150", "--checkpoint", file])
        #expect(first.status == 0, "\(first.stderr)")
        let stored = try HDF5File.open(file).attribute("numerics")
        #expect(stored?.hasPrefix("portable/openblas-") == true && stored?.hasSuffix("/Haswell") == true, "\(stored ?? "none")")

        let refused = try runAsym(Self.train + ["--steps", "200", "--resume", file, "--numerics", "native"])
        #expect(refused.status == 2)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("computed under numerics \(stored ?? "?")")
                && refused.stderr.contains("this process runs native/openblas-")
                && refused.stderr.contains("--allow-numerics-change"), "\(refused.stderr)")

        let allowed = try runAsym(Self.train + ["--steps", "200", "--resume", file, "--numerics", "native",
                                                "--allow-numerics-change"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.contains("asym: warning: ") && allowed.stderr.contains("will differ from an uninterrupted run"),
                "\(allowed.stderr)")
        #expect(allowed.stdout.contains("\"steps\":200"))

        let same = try runAsym(Self.train + ["--steps", "200", "--resume", file])
        #expect(same.status == 0 && !same.stderr.contains("warning"), "\(same.stderr)")
    }

    /// Another kernel under the same profile (an AVX-512 machine's native run,
    /// faked here since this CPU may have no such kernel): also refused.
    @Test("a checkpoint from another kernel is refused, naming both ids")
    func resumeFromOtherKernel() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("run.h5").path
        let first = try runAsym(Self.train + ["--steps", "150", "--checkpoint", file])
        #expect(first.status == 0, "\(first.stderr)")
        var attributes: [String: String] = [:]
        do {
            let original = try HDF5File.open(file)
            for key in ["kind", "spec", "config", "tool_version"] { attributes[key] = try original.attribute(key) }
        }
        let elsewhere = "portable/openblas-0.3.21/SkylakeX"
        attributes["numerics"] = elsewhere
        try StateFile.write(StateFile.read(file), to: file, attributes: attributes)

        let refused = try runAsym(Self.train + ["--steps", "200", "--resume", file])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains(elsewhere) && refused.stderr.contains("portable/openblas-")
                && refused.stderr.contains("/Haswell"), "\(refused.stderr)")
    }

    /// The golden run: SAC with [64,64] networks at batch 256 (the hidden
    /// products through sgemm, the first and output layers' through Kernels'
    /// thin products), 300 updates. Its final weights must hash to this value
    /// under the portable profile on every x86-64 CPU with AVX2 and FMA.
    /// A change here means the numbers changed: for a deliberate change to
    /// SAC, its preset or the order of a product's sums, rerun and write the
    /// new value with the reason.
    /// (Written 2026-12-03 on an AMD EPYC, kernel Haswell, OpenBLAS 0.3.21;
    /// rewritten 2026-12-04, from ac36808baa1e689b: thin products left sgemm
    /// for Kernels' loops, whose sums run in a documented order of their own;
    /// with them switched off the old value still held, so moving Adam, the
    /// activations and the plain products to AVX2 lanes changed no bit.)
    @Test("golden: SAC [64,64], batch 256, 300 updates has the same final weights everywhere")
    func golden() throws {
        try #require(Numerics.kernel == Numerics.portableKernel, """
            OpenBLAS runs its \(Numerics.kernel) kernel, not the portable \(Numerics.portableKernel): \
            run `make test` (it sets OPENBLAS_CORETYPE=\(Numerics.portableKernel))
            """)
        let spec = RunSpec(algorithm: .sac, env: "Pendulum-v0", actorHidden: [64, 64], criticHidden: [64, 64], seed: 2021)
        let agent = try AgentFactory.make(spec, overrides: [
            ("start_steps", "256"), ("update_after", "256"), ("update_every", "1"), ("batch_size", "256"),
        ])
        while agent.stepsDone < 556 { agent.trainStep(metrics: NullMetrics()) }
        let state = agent.stateDict()
        // Every network's weights (actor, critics, targets), not the optimiser moments or the replay buffer.
        let names = state.floats.keys.filter { ($0.contains("actor") || $0.contains("critic")) && !$0.contains("optimizer") }.sorted()
        #expect(names.count >= 5, "\(names)")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for name in names {
            for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            for x in state.floats[name]! {
                var bits = x.bitPattern
                for _ in 0..<4 { hash = (hash ^ UInt64(bits & 0xff)) &* 0x100_0000_01b3; bits >>= 8 }
            }
        }
        #expect(String(hash, radix: 16) == "388aa9d7742bbb10", "final weights of \(names) hash to \(String(hash, radix: 16))")
    }
}
