import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a process chooses its BLAS kernel, and so the bits of every sgemm result.
///
/// - `portable` (the default): OpenBLAS's Haswell kernel on every x86-64 CPU
///   with AVX2 and FMA, whatever OpenBLAS would pick by itself, so one spec
///   gives the same bits on any such machine. (Its Zen kernel gives the same
///   bits; its AVX-512 kernels do not, neither with Haswell nor among themselves.)
/// - `native`: the fastest kernel for this CPU's features. Its results carry
///   their own numerics id, so they are never mixed with portable ones.
public enum NumericsProfile: String, CaseIterable, Sendable {
    case portable, native
}

/// The x86 features the kernel choice depends on (CPUID, counted only when the
/// operating system saves the registers they need).
public struct CPUFeatures: Sendable, Equatable {
    public var avx2 = false, fma = false
    public var avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false
    public var avx512bf16 = false
    /// An AMD CPU; `avx512HalfWidth`: one that runs 512-bit vectors as two
    /// 256-bit halves (family 19h, Zen 4), so AVX-512 kernels do no more work per cycle.
    public var amd = false, avx512HalfWidth = false

    public init() {}

    /// This machine's features.
    public static var current: CPUFeatures {
        let bits = asym_cpu_features()
        var f = CPUFeatures()
        f.avx2 = bits & 1 != 0; f.fma = bits & 2 != 0
        f.avx512f = bits & 4 != 0; f.avx512bw = bits & 8 != 0
        f.avx512dq = bits & 16 != 0; f.avx512vl = bits & 32 != 0
        f.avx512bf16 = bits & 64 != 0
        f.amd = bits & 128 != 0; f.avx512HalfWidth = bits & 256 != 0
        return f
    }

    /// What OpenBLAS's SkylakeX kernel needs.
    public var hasAVX512Kernels: Bool { avx512f && avx512bw && avx512dq && avx512vl }
}

/// Why the process cannot compute with the numerics it was asked for. Each
/// description is one line that says what to do.
public enum NumericsError: Error, CustomStringConvertible, Equatable {
    case unknownProfile(String, source: String)
    case missingValue
    case cpuLacksAVX2FMA
    case kernelNotLoaded(wanted: String, inUse: String, profile: NumericsProfile)
    case reexecFailed(String)
    case checkpointMismatch(stored: String, current: String)
    case checkpointWithoutID(current: String)

    /// Bad input (2) or a machine that cannot run the numerics (1).
    public var exitCode: Int32 {
        switch self {
        case .unknownProfile, .missingValue, .checkpointMismatch, .checkpointWithoutID: 2
        case .cpuLacksAVX2FMA, .kernelNotLoaded, .reexecFailed: 1
        }
    }

    public var description: String {
        switch self {
        case .unknownProfile(let name, let source):
            "unknown numerics profile '\(name)' (from \(source)); use portable or native"
        case .missingValue:
            "--numerics needs a value: portable or native"
        case .cpuLacksAVX2FMA:
            "this CPU lacks AVX2 or FMA, which every numerics profile needs (OpenBLAS's Haswell kernel); run on an x86-64 CPU with AVX2 and FMA"
        case .kernelNotLoaded(let wanted, let inUse, let profile):
            "OpenBLAS runs its \(inUse) kernel, not the \(wanted) kernel the \(profile.rawValue) profile needs; install an OpenBLAS built with DYNAMIC_ARCH (Debian's libopenblas0-pthread)"
                + (profile == .native ? " or use --numerics portable" : "")
                + (Numerics.isOurChild || Numerics.choseAgain ? "" : ", and start this process with OPENBLAS_CORETYPE=\(wanted)")
        case .reexecFailed(let why):
            "cannot restart with the chosen BLAS kernel: \(why)"
        case .checkpointMismatch(let stored, let current):
            "the checkpoint was computed under numerics \(stored), this process runs \(current); resume under the same profile on a CPU that gives \(stored) (e.g. --numerics \(stored.split(separator: "/").first ?? "portable")), or pass --allow-numerics-change to continue with different bits"
        case .checkpointWithoutID(let current):
            "the checkpoint records no numerics id (written before numerics profiles), this process runs \(current); pass --allow-numerics-change to resume it anyway"
        }
    }
}

/// The numerics of this process: which BLAS kernel computes its numbers. The
/// kernel decides the bits of every sgemm result, so `Numerics.id` is stored in
/// every checkpoint and artifact and is part of every cache key.
///
/// OpenBLAS reads `OPENBLAS_CORETYPE` when it is loaded, and our executables
/// link it, so it has chosen a kernel before `main` runs. `prepareProcess` (the
/// first line of `main`, before anything is computed) picks the kernel from the
/// CPU's features and, when OpenBLAS chose another, has it choose again: a
/// DYNAMIC_ARCH OpenBLAS exports `gotoblas_dynamic_quit` and
/// `gotoblas_dynamic_init` (driver/others/dynamic.c), which forget the kernel
/// table and select one afresh from `OPENBLAS_CORETYPE`, exactly as at load.
/// (Checked on OpenBLAS 0.3.21: sgemm, sgemv, saxpy, sdot and snrm2 over eight
/// shapes give the same bits after the switch as in a process loaded with the
/// variable set, for Haswell, Sandybridge, Nehalem and Prescott, whose bits
/// differ from one another.) An OpenBLAS without those entry points gets the
/// old way: the variable is set and the same executable restarted with the
/// same arguments (about 60 ms). Processes we do not start (the test runner)
/// get the environment from the Makefile and check it.
public enum Numerics {
    /// Selects the profile (`portable`, `native`); `--numerics` wins over it.
    public static let profileVariable = "ASYM_NUMERICS"
    /// OpenBLAS's kernel override, read when the library loads.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set on the restarted process, so a kernel that will not load is reported, not retried.
    static let restartedVariable = "ASYM_NUMERICS_RESTARTED"
    /// The kernel of the portable profile.
    public static let portableKernel = "Haswell"

    /// The profile of this process: `ASYM_NUMERICS` (which `prepareProcess`
    /// sets from `--numerics`), `portable` when unset.
    public static var profile: NumericsProfile {
        guard let raw = environment(profileVariable), !raw.isEmpty else { return .portable }
        return NumericsProfile(rawValue: raw) ?? .portable   // prepareProcess has rejected bad values
    }

    /// The kernel OpenBLAS is using (`openblas_get_corename()`), e.g. "Haswell".
    public static var kernel: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name).trimmingSpaces
    }

    /// OpenBLAS's version from `openblas_get_config()`, e.g. "0.3.21".
    public static var openBLASVersion: String {
        guard let config = openblas_get_config() else { return "unknown" }
        let words = String(cString: config).split(separator: " ")
        if let i = words.firstIndex(of: "OpenBLAS"), i + 1 < words.count { return String(words[i + 1]) }
        return "unknown"
    }

    /// Names the profile, library and kernel that compute this process's
    /// numbers, e.g. "portable/openblas-0.3.21/Haswell". Results computed under
    /// different ids may differ in their last bits, so they are never mixed in
    /// one cache key, checkpoint or comparison.
    public static var id: String { "\(profile.rawValue)/openblas-\(openBLASVersion)/\(kernel)" }

    /// One line for `--version` and benchmarks.
    public static var summary: String {
        "numerics \(profile.rawValue): OpenBLAS \(openBLASVersion), kernel \(kernel) (id \(id))"
    }

    /// The kernel `profile` uses on a CPU with `features` (chosen from the
    /// features, not from OpenBLAS's table of CPU models, which misses new ones).
    public static func kernel(for profile: NumericsProfile, features: CPUFeatures) throws(NumericsError) -> String {
        guard features.avx2 && features.fma else { throw .cpuLacksAVX2FMA }
        switch profile {
        case .portable: return portableKernel
        case .native:
            // Zen 4 runs AVX-512 in two 256-bit halves: OpenBLAS's Cooperlake kernel
            // measured slower there than its AVX2 one (`asym-bench products`, AMD EPYC
            // family 19h, 2026-12-04: 256³ sgemm 102 against 108 GFLOP/s; TD3 [256,256]
            // 226 against 236 steps/s), so such a CPU gets the AMD AVX2 kernel, Zen.
            if features.hasAVX512Kernels && !features.avx512HalfWidth {
                return features.avx512bf16 ? "Cooperlake" : "SkylakeX"
            }
            return features.amd ? "Zen" : portableKernel
        }
    }

    /// The profile named by `--numerics NAME` or `--numerics=NAME` anywhere in
    /// `arguments`, else by `ASYM_NUMERICS`, else portable; and the arguments
    /// without the option, for the command-line parser.
    public static func profile(arguments: [String], environment value: String?) throws(NumericsError)
        -> (profile: NumericsProfile, rest: [String]) {
        var rest: [String] = []
        var named: String?
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { rest += arguments[i...]; break }
            if a == "--numerics" {
                guard i + 1 < arguments.count, !arguments[i + 1].hasPrefix("-") else { throw .missingValue }
                named = arguments[i + 1]
                i += 2
                continue
            }
            if a.hasPrefix("--numerics=") {
                named = String(a.dropFirst("--numerics=".count))
                i += 1
                continue
            }
            rest.append(a)
            i += 1
        }
        if let named {
            guard let p = NumericsProfile(rawValue: named) else { throw .unknownProfile(named, source: "--numerics") }
            return (p, rest)
        }
        if let value, !value.isEmpty {
            guard let p = NumericsProfile(rawValue: value) else { throw .unknownProfile(value, source: profileVariable) }
            return (p, rest)
        }
        return (.portable, rest)
    }

    /// The first thing an executable does: chooses the profile from
    /// `arguments` (argv without the program name) and the environment, makes
    /// sure OpenBLAS runs that profile's kernel, restarting the executable
    /// once if it must, and returns the arguments without `--numerics`.
    /// On failure prints one line `tool: …` on stderr and exits.
    public static func prepareProcess(tool: String, arguments: [String]) -> [String] {
        do {
            return try prepare(arguments: arguments)
        } catch {
            let line = "\(tool): \(error.description)\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
            exit(error.exitCode)
        }
    }

    static var isOurChild: Bool { environment(restartedVariable) != nil }
    /// Set once OpenBLAS has been asked to select its kernel again in this process.
    nonisolated(unsafe) static var choseAgain = false

    static func prepare(arguments: [String]) throws(NumericsError) -> [String] {
        let (profile, rest) = try profile(arguments: arguments, environment: environment(profileVariable))
        let wanted = try kernel(for: profile, features: .current)
        setenv(profileVariable, profile.rawValue, 1)
        if kernel != wanted {
            let loadedWith = environment(coreTypeVariable)
            setenv(coreTypeVariable, wanted, 1)
            if reselectKernel() {
                guard kernel == wanted else { throw .kernelNotLoaded(wanted: wanted, inUse: kernel, profile: profile) }
            } else {
                // No way to choose again in this process: only a fresh load reads the variable.
                guard !isOurChild && loadedWith != wanted else {
                    throw .kernelNotLoaded(wanted: wanted, inUse: kernel, profile: profile)
                }
                setenv(restartedVariable, "1", 1)
                execv("/proc/self/exe", CommandLine.unsafeArgv)
                throw .reexecFailed(String(cString: strerror(errno)))
            }
        }
        // Children of this process (a pipeline's workers) choose for themselves again.
        unsetenv(restartedVariable)
        setenv(coreTypeVariable, wanted, 1)
        return rest
    }

    /// Has OpenBLAS select its kernel again from `OPENBLAS_CORETYPE`, as it does
    /// when it loads; false when this OpenBLAS cannot (no DYNAMIC_ARCH entry
    /// points). Only safe before any BLAS call: `prepare` runs first in `main`.
    static func reselectKernel() -> Bool {
        // A nil handle is RTLD_DEFAULT: the symbol wherever the process has it.
        guard let quit = dlsym(nil, "gotoblas_dynamic_quit"), let initialise = dlsym(nil, "gotoblas_dynamic_init") else {
            return false
        }
        typealias Entry = @convention(c) () -> Void
        choseAgain = true
        unsafeBitCast(quit, to: Entry.self)()
        unsafeBitCast(initialise, to: Entry.self)()
        return true
    }

    /// Checks that a checkpoint computed under numerics `stored` (nil: the
    /// file records none) may be resumed in this process. Returns nil when the
    /// ids agree, a warning to print when they differ and `allowChange` is set;
    /// throws when they differ otherwise.
    public static func checkResume(stored: String?, current: String = Numerics.id,
                                   allowChange: Bool) throws(NumericsError) -> String? {
        if stored == current { return nil }
        guard allowChange else {
            if let stored { throw .checkpointMismatch(stored: stored, current: current) }
            throw .checkpointWithoutID(current: current)
        }
        return "resuming a checkpoint computed under numerics \(stored ?? "(none recorded)") with \(current): the result will differ from an uninterrupted run"
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

private extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
