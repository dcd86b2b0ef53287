// swift-tools-version:6.0
//
// Asym: regenerates "Good Actors can come in Smaller Sizes" (Mysore et al. 2021)
// from declarative pipelines. Module map: Sources/README.md; dependencies
// point one way: asym → Pipeline → {Report, Store, Agents} → Envs → Nets.
//
// Compilation flags
// - Release builds use -Ounchecked, which also removes every `precondition`.
//   Measured against -O (AMD EPYC, 2 shared cores, OpenBLAS; user CPU time of
//   `asym train`): TD3 [16,16] Pendulum 1.60 s vs 1.84 s (-O is 14% slower),
//   PPO [64,64] about 7%, SAC [64,64] 3%. At the paper's small sizes the checks
//   cost more than a few percent, so release keeps -Ounchecked.
// - ASYM_CHECKED=1 in the environment of `swift build`/`swift test` builds with
//   -O (preconditions stay) and -DASYM_INTERNAL_CHECKS: how the tests are run.
// - ASYM_INTERNAL_CHECKS: invariant checks inside hot loops (the minibatch
//   shape in Agents/OffPolicyLoop.swift). Non-finite losses are not internal
//   errors: Training.run stops a diverged run with a message. Also
//   `swift build -c release -Xswiftc -DASYM_INTERNAL_CHECKS`.
import PackageDescription

let checked = Context.environment["ASYM_CHECKED"] == "1"
let optimize: [SwiftSetting] = [.unsafeFlags(checked ? ["-O", "-wmo", "-DASYM_INTERNAL_CHECKS"] : ["-Ounchecked", "-wmo"],
                                             .when(configuration: .release))]

let package = Package(
    name: "Asym",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "asym", targets: ["asym"]),
        .executable(name: "asym-bench", targets: ["AsymBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: - System libraries (Debian: libhdf5-dev, libopenblas-dev, libmujoco-dev)
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMuJoCo", path: "Sources/CMuJoCo",
                       providers: [.apt(["libmujoco-dev"])]),

        // MARK: - Library modules
        // The hot loops, compiled for AVX2 (every numerics profile requires it; Nets checks
        // the CPU before any of them runs). Swift never contracts x * y + z into an FMA, so
        // the wider registers change no bits. -O, not -Ounchecked: under -Ounchecked LLVM
        // splits the SIMD8 accumulators of a reduction into 64-bit pieces (2× slower).
        .target(name: "Kernels", swiftSettings: [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"]),
                                                 .unsafeFlags(["-O", "-wmo"], .when(configuration: .release))]),
        .target(name: "Nets", dependencies: ["CBLAS", "Kernels"], swiftSettings: optimize),
        .target(name: "Envs", dependencies: ["Nets", "CMuJoCo"], exclude: ["Scripts"], swiftSettings: optimize),
        .target(name: "Agents", dependencies: ["Envs", "Nets"], swiftSettings: optimize),
        .target(name: "Store", dependencies: ["CHDF5", "Nets", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: optimize, plugins: ["SourceFingerprint"]),
        .target(name: "Report", dependencies: ["Store", "Nets"], resources: [.copy("Templates")], swiftSettings: optimize),
        .target(name: "Pipeline", dependencies: ["Agents", "Store", "Report", .product(name: "Yams", package: "Yams")],
                swiftSettings: optimize),

        // MARK: - Build tools: cache keys hash the source of Nets, Envs and Agents
        .executableTarget(name: "SourceFingerprintTool", path: "Sources/SourceFingerprintTool"),
        .plugin(name: "SourceFingerprint", capability: .buildTool(), dependencies: ["SourceFingerprintTool"],
                path: "Sources/SourceFingerprint"),

        // MARK: - Executables
        .executableTarget(
            name: "asym",
            dependencies: [
                "Nets", "Envs", "Agents", "Store", "Pipeline", "Report",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimize),
        .executableTarget(name: "AsymBench", dependencies: ["Nets", "Envs", "Agents", "Store", "Pipeline"], exclude: ["Peer"],
                          swiftSettings: optimize),

        // MARK: - Tests (run in release: `make test`)
        .testTarget(name: "NetsTests", dependencies: ["Nets", "Kernels"]),
        .testTarget(name: "EnvsTests", dependencies: ["Envs"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AgentsTests", dependencies: ["Agents"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ReportTests", dependencies: ["Report"]),
        .testTarget(name: "AsymCLITests", dependencies: ["asym", "Store", "Nets"]),   // Store: the fault tests craft trick checkpoints
    ]
)
