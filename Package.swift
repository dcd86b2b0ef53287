// swift-tools-version:6.0
//
// Asym: regenerates "Good Actors can come in Smaller Sizes" (Mysore et al. 2021)
// from declarative pipelines. Module map: ../shared/DESIGN.md; dependencies
// point one way: asym → Pipeline → {Report, Store, Agents} → Envs → Nets.
//
// Compilation flags
// - ASYM_INTERNAL_CHECKS: NaN, shape and invariant checks inside hot loops.
//   Off by default; release builds pay nothing. Turn on with
//   `swift build -c release -Xswiftc -DASYM_INTERNAL_CHECKS`.
import PackageDescription

let optimize: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "Asym",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "asym", targets: ["asym"]),
        .executable(name: "asym-bench", targets: ["AsymBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        .target(name: "Nets", dependencies: ["CBLAS"], swiftSettings: optimize),
        .target(name: "Envs", dependencies: ["Nets", "CMuJoCo"], exclude: ["Scripts"], swiftSettings: optimize),
        .target(name: "Agents", dependencies: ["Envs", "Nets"], swiftSettings: optimize),
        .target(name: "Store", dependencies: ["CHDF5", "Nets"], swiftSettings: optimize),
        .target(name: "Report", dependencies: ["Store"], swiftSettings: optimize),
        .target(name: "Pipeline", dependencies: ["Agents", "Store", "Report", .product(name: "Yams", package: "Yams")],
                swiftSettings: optimize),

        // MARK: - Executables
        .executableTarget(
            name: "asym",
            dependencies: [
                "Nets", "Envs", "Agents", "Store", "Pipeline", "Report",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimize),
        .executableTarget(name: "AsymBench", dependencies: ["Nets", "Envs", "Agents"],
                          swiftSettings: optimize),

        // MARK: - Tests (run in release: `make test`)
        .testTarget(name: "NetsTests", dependencies: ["Nets"]),
        .testTarget(name: "EnvsTests", dependencies: ["Envs"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AgentsTests", dependencies: ["Agents"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ReportTests", dependencies: ["Report"]),
        .testTarget(name: "AsymCLITests", dependencies: ["asym"]),
    ]
)
