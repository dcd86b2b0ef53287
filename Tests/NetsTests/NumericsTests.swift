import Testing
@testable import Nets

@Suite("Numerics profile")
struct NumericsTests {
    /// The test runner is not started by asym, so it cannot restart itself
    /// with the right kernel: `make test` starts it with the portable
    /// profile's environment, and this test says so when that did not happen.
    @Test("the tests run under the portable profile's kernel")
    func portableKernelInUse() {
        #expect(Numerics.profile == .portable)
        #expect(Numerics.kernel == Numerics.portableKernel, """
            OpenBLAS runs its \(Numerics.kernel) kernel, not the portable profile's \(Numerics.portableKernel): \
            run the tests with `make test`, or start `swift test` with \
            OPENBLAS_CORETYPE=\(Numerics.portableKernel) ASYM_NUMERICS=portable
            """)
    }

    @Test("the id names profile, OpenBLAS version and kernel")
    func idFormat() {
        let parts = Numerics.id.split(separator: "/").map(String.init)
        #expect(parts.count == 3)
        #expect(parts.first == Numerics.profile.rawValue)
        #expect(parts[1].hasPrefix("openblas-0.") && parts[1] != "openblas-unknown", "\(parts)")
        #expect(parts.last == Numerics.kernel)
    }

    static func features(_ names: String...) -> CPUFeatures {
        var f = CPUFeatures()
        for n in names {
            switch n {
            case "avx2": f.avx2 = true
            case "fma": f.fma = true
            case "avx512": f.avx512f = true; f.avx512bw = true; f.avx512dq = true; f.avx512vl = true
            case "avx512f": f.avx512f = true
            case "bf16": f.avx512bf16 = true
            case "amd": f.amd = true
            case "zen4": f.amd = true; f.avx512HalfWidth = true
            default: Issue.record("unknown feature \(n)")
            }
        }
        return f
    }

    @Test("the kernel comes from the CPU's features")
    func kernelChoice() throws {
        let haswellClass = Self.features("avx2", "fma")
        #expect(try Numerics.kernel(for: .portable, features: haswellClass) == "Haswell")
        #expect(try Numerics.kernel(for: .native, features: haswellClass) == "Haswell")
        let skylakeX = Self.features("avx2", "fma", "avx512")
        #expect(try Numerics.kernel(for: .portable, features: skylakeX) == "Haswell")
        #expect(try Numerics.kernel(for: .native, features: skylakeX) == "SkylakeX")
        #expect(try Numerics.kernel(for: .native, features: Self.features("avx2", "fma", "avx512", "bf16")) == "Cooperlake")
        // AMD: its own AVX2 kernel; Zen 4's half-width AVX-512 does not earn the AVX-512 one.
        #expect(try Numerics.kernel(for: .native, features: Self.features("avx2", "fma", "amd")) == "Zen")
        #expect(try Numerics.kernel(for: .native, features: Self.features("avx2", "fma", "avx512", "bf16", "zen4")) == "Zen")
        #expect(try Numerics.kernel(for: .portable, features: Self.features("avx2", "fma", "avx512", "bf16", "zen4")) == "Haswell")
        #expect(try Numerics.kernel(for: .native, features: Self.features("avx2", "fma", "avx512", "bf16", "amd")) == "Cooperlake")
        // AVX-512F alone (Knights Landing) lacks what the SkylakeX kernel uses.
        #expect(try Numerics.kernel(for: .native, features: Self.features("avx2", "fma", "avx512f")) == "Haswell")
        for profile in NumericsProfile.allCases {
            #expect(throws: NumericsError.cpuLacksAVX2FMA) { try Numerics.kernel(for: profile, features: Self.features("avx2")) }
            #expect(throws: NumericsError.cpuLacksAVX2FMA) { try Numerics.kernel(for: profile, features: Self.features()) }
        }
        // This machine runs the tests, so it has what the portable profile needs.
        #expect(CPUFeatures.current.avx2 && CPUFeatures.current.fma)
    }

    @Test("--numerics is found anywhere on the command line and removed from it")
    func argumentScan() throws {
        let a = try Numerics.profile(arguments: ["train", "--numerics", "native", "--steps", "5"], environment: nil)
        #expect(a.profile == .native && a.rest == ["train", "--steps", "5"])
        let b = try Numerics.profile(arguments: ["--numerics=portable", "--version"], environment: "native")
        #expect(b.profile == .portable && b.rest == ["--version"])
        let c = try Numerics.profile(arguments: ["params"], environment: "native")
        #expect(c.profile == .native && c.rest == ["params"])
        let d = try Numerics.profile(arguments: ["params"], environment: nil)
        #expect(d.profile == .portable)
        let e = try Numerics.profile(arguments: ["x", "--", "--numerics", "native"], environment: "")
        #expect(e.profile == .portable && e.rest == ["x", "--", "--numerics", "native"])
        #expect(throws: NumericsError.unknownProfile("fast", source: "--numerics")) {
            try Numerics.profile(arguments: ["--numerics", "fast"], environment: nil)
        }
        #expect(throws: NumericsError.unknownProfile("Native", source: "ASYM_NUMERICS")) {
            try Numerics.profile(arguments: [], environment: "Native")
        }
        #expect(throws: NumericsError.missingValue) { try Numerics.profile(arguments: ["--numerics"], environment: nil) }
        #expect(throws: NumericsError.missingValue) { try Numerics.profile(arguments: ["--numerics", "--version"], environment: nil) }
    }

    @Test("resuming under another numerics id is refused, naming both, unless allowed")
    func resumeCheck() throws {
        let here = "portable/openblas-0.3.21/Haswell", there = "native/openblas-0.3.21/SkylakeX"
        #expect(try Numerics.checkResume(stored: here, current: here, allowChange: false) == nil)
        #expect(try Numerics.checkResume(stored: here, current: here, allowChange: true) == nil)
        do {
            _ = try Numerics.checkResume(stored: there, current: here, allowChange: false)
            Issue.record("a checkpoint from other numerics was accepted")
        } catch {
            #expect(error.description.contains(here) && error.description.contains(there), "\(error)")
            #expect(!error.description.contains("\n"))
            #expect(error.exitCode == 2)
        }
        let warning = try Numerics.checkResume(stored: there, current: here, allowChange: true)
        #expect(warning?.contains(there) == true && warning?.contains("differ") == true)
        #expect(throws: NumericsError.checkpointWithoutID(current: here)) {
            try Numerics.checkResume(stored: nil, current: here, allowChange: false)
        }
        #expect(try Numerics.checkResume(stored: nil, current: here, allowChange: true) != nil)
    }
}

@Suite("MLP input gradient")
struct InputGradientTests {
    /// Through sgemm (batch 64, widths 32) and through the plain loop (batch 3).
    @Test("backwardToInput gives backward's input gradient, bit for bit, and leaves gradients alone",
          arguments: [(64, [32, 32]), (3, [4, 4])])
    func matchesBackward(batch: Int, hidden: [Int]) {
        var rng = Xoshiro256(seed: 11)
        for activation in [Activation.relu, .tanh] {
            var net = MLP(inputs: 5, hidden: hidden, outputs: 2, hiddenActivation: activation, outputActivation: .tanh, rng: &rng)
            let x = (0..<(batch * 5)).map { _ in rng.uniformFloat(-1, 1) }
            let g = (0..<(batch * 2)).map { _ in rng.uniformFloat(-1, 1) }
            let ws1 = net.makeWorkspace(batch: batch), ws2 = net.makeWorkspace(batch: batch)
            x.withUnsafeBufferPointer { xp in
                net.forward(xp.baseAddress!, batch: batch, workspace: ws1)
                net.forward(xp.baseAddress!, batch: batch, workspace: ws2)
            }
            let before = net.gradients
            g.withUnsafeBufferPointer { net.backwardToInput(outputGradient: $0.baseAddress!, workspace: ws2) }
            #expect(net.gradients == before)
            g.withUnsafeBufferPointer { net.backward(outputGradient: $0.baseAddress!, workspace: ws1, inputGradient: true) }
            let full = Array(UnsafeBufferPointer(start: ws1.inputGradient, count: batch * 5))
            let only = Array(UnsafeBufferPointer(start: ws2.inputGradient, count: batch * 5))
            #expect(full.map(\.bitPattern) == only.map(\.bitPattern), "\(activation)")
            #expect(full.contains { $0 != 0 })
        }
    }
}
