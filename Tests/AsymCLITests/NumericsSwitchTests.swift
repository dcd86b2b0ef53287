import Foundation
import Testing
import Nets
import Store

/// `asym` has OpenBLAS choose its kernel again inside the process (no restart)
/// when it loaded another one. Whatever kernel OpenBLAS loaded first, the bits
/// must be those of a process that loaded the portable kernel directly.
@Suite("asym numerics: choosing the kernel in the process", .serialized)
struct NumericsSwitchTests {
    /// SAC with [64,64] networks at batch 256: every product goes through sgemm.
    static let run = ["train", "--algo", "sac", "--env", "Pendulum-v0", "--actor", "64,64", "--critic", "64,64",
                      "--steps", "300", "--seed", "7", "--eval-episodes", "0", "--set", "start_steps=256",
                      "--set", "update_after=256", "--set", "update_every=1", "--set", "batch_size=256"]

    /// Prescott's SSE3 kernel gives other bits than Haswell's, so a switch that
    /// silently failed would show here (besides the kernel check in `prepare`).
    @Test("a run started with another kernel loaded gives the bits of one loaded with the portable kernel",
          arguments: ["Prescott", "Sandybridge"])
    func sameBitsAfterSwitch(loaded: String) throws {
        let dir = scratchFolder("numerics-switch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let direct = dir + "/direct.h5", switched = dir + "/switched.h5"
        let a = try runAsym(Self.run + ["--checkpoint", direct], environment: ["OPENBLAS_CORETYPE": Numerics.portableKernel])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try runAsym(Self.run + ["--checkpoint", switched], environment: ["OPENBLAS_CORETYPE": loaded])
        #expect(b.status == 0, "\(b.stderr)")
        let first = try StateFile.read(direct), second = try StateFile.read(switched)
        #expect(!first.floats.isEmpty)
        #expect(first.floats == second.floats, "weights differ after switching from \(loaded)")
        #expect(try HDF5File.open(switched).attribute("numerics") == HDF5File.open(direct).attribute("numerics"))
        #expect(try HDF5File.open(switched).attribute("numerics")?.hasSuffix("/\(Numerics.portableKernel)") == true)
    }

    @Test("a kernel name OpenBLAS does not know in the environment is overridden, not an error")
    func unknownLoadedKernel() throws {
        let r = try runAsym(["--version"], environment: ["OPENBLAS_CORETYPE": "NoSuchCore"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("kernel \(Numerics.portableKernel) (id portable/openblas-"), "\(r.stdout)")
    }
}
