import Foundation
import Testing
@testable import Pipeline

/// The parts of `asym diff` that need no store: grouping node ids over seeds,
/// figure names and gnuplot labels.
@Suite("DiffAssembly")
struct DiffAssemblyTests {
    @Test("a node id without its seed: train ids, evaluate ids, matrix variants; a longer seed or an id without one is left alone")
    func seedlessIDs() {
        #expect(DiffAssembly.seedlessID("toy/td3-ToyTracking-v0-a1-c16x16-s2", seed: 2) == "toy/td3-ToyTracking-v0-a1-c16x16")
        #expect(DiffAssembly.seedlessID("evaluate/toy/td3-ToyTracking-v0-a1-c16x16-s2", seed: 2)
                == "evaluate/toy/td3-ToyTracking-v0-a1-c16x16")
        #expect(DiffAssembly.seedlessID("sweep/sac-Pendulum-v0-a4x4-clin-s7-zoo-lr0.001", seed: 7)
                == "sweep/sac-Pendulum-v0-a4x4-clin-zoo-lr0.001")
        #expect(DiffAssembly.seedlessID("toy/td3-ToyTracking-v0-a1-c1-s12", seed: 1) == "toy/td3-ToyTracking-v0-a1-c1-s12")
        // The seed's marker in a stage name is not the seed.
        #expect(DiffAssembly.seedlessID("run-s1/td3-Pendulum-v0-a4-c4-s1", seed: 1) == "run-s1/td3-Pendulum-v0-a4-c4")
        #expect(DiffAssembly.seedlessID("search/td3-Pendulum-v0", seed: 1) == "search/td3-Pendulum-v0")
    }

    @Test("ids become file stems without slashes; enhanced-text markup in labels is escaped")
    func namesAndLabels() {
        #expect(DiffAssembly.figureName("evaluate/toy/td3-ToyTracking-v0-a1-c1") == "diff-evaluate_toy_td3-ToyTracking-v0-a1-c1")
        #expect(DiffAssembly.enhancedTextLiteral("HEAD~1 (ab12)") == "HEAD\\~1 (ab12)")
        #expect(DiffAssembly.enhancedTextLiteral("start_steps^2") == "start\\_steps\\^2")
    }
}
