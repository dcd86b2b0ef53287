import Testing
import Foundation
import Nets
@testable import Store

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("asym-store-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

func sampleState() -> StateDict {
    var rng = Xoshiro256(seed: 1)
    var s = StateDict()
    s.floats["weights/actor"] = (0..<37).map { _ in rng.uniformFloat(-1, 1) }
    s.floats["weights/critic"] = [Float.nan, .infinity, -0.0, 1e-38]
    s.floats["replay/empty"] = []
    s.setMatrix("replay/observations", (0..<12).map { Float($0) - 5.5 }, width: 3)
    s.setMatrix("metrics/train/episode_return", [200, -1052.25, 400, -980.5], width: 2)
    s.doubles["env/values"] = [Double.pi, -1e300, 5e-324]
    s.integers["counters/steps"] = [12345, -1]
    s.words["rng/noise"] = rng.state.words
    s.texts["config"] = #"{"gamma":0.99,"name":"ünïcode"}"#
    return s
}

@Suite("HDF5 state files")
struct StateFileTests {
    @Test("a state round-trips bit for bit, NaN and signed zero included")
    func roundTrip() throws {
        let path = temporaryPath("roundtrip.h5")
        let state = sampleState()
        try StateFile.write(state, to: path, attributes: ["kind": "checkpoint"])
        let back = try StateFile.read(path)
        #expect(back.serialized() == state.serialized())
        #expect(try HDF5File.open(path).attribute("kind") == "checkpoint")
        #expect(try HDF5File.open(path).datasetNames().contains("weights/actor"))
        // Arrays keep their shape in the file (what h5py shows), vectors stay vectors.
        #expect(try HDF5File.open(path).shape("replay/observations") == [4, 3])
        #expect(try HDF5File.open(path).shape("metrics/train/episode_return") == [2, 2])
        #expect(try HDF5File.open(path).shape("weights/actor") == [37])
        #expect(back.shapes == state.shapes)
    }

    @Test("a damaged file is detected, never trusted")
    func corruption() throws {
        let path = temporaryPath("damaged.h5")
        var state = StateDict()
        state.floats["weights/actor"] = [Float](repeating: 0.25, count: 4096)
        try StateFile.write(state, to: path)
        // Flip bytes in the middle of the raw data (0.25 is 0x3E800000; find it and change it).
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let pattern: [UInt8] = [0x00, 0x00, 0x80, 0x3E, 0x00, 0x00, 0x80, 0x3E]
        let at = try #require((0..<(bytes.count - 8)).first { Array(bytes[$0..<($0 + 8)]) == pattern })
        bytes[at + 2000] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.self) { _ = try StateFile.read(path) }
    }

    @Test("a truncated or foreign file gives a StoreError naming the path")
    func foreignFile() throws {
        let path = temporaryPath("not-hdf5.h5")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try StateFile.read(path)
            Issue.record("reading a non-HDF5 file succeeded")
        } catch let error as StoreError {
            #expect(error.description.contains(path))
        }
        #expect(throws: StoreError.notFound(path: temporaryPath("absent.h5"))) { _ = try StateFile.read(temporaryPath("absent.h5")) }
    }

    @Test("rewriting replaces the file atomically and leaves no temporary behind")
    func atomicReplace() throws {
        let path = temporaryPath("replace.h5")
        var a = StateDict(); a.floats["x"] = [1]
        var b = StateDict(); b.floats["x"] = [2]
        try StateFile.write(a, to: path)
        try StateFile.write(b, to: path)
        #expect(try StateFile.read(path).floats["x"] == [2])
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).allSatisfy { !$0.hasSuffix(".tmp") })
    }
}

@Suite("HDF5 state files are deterministic")
struct StateFileDeterminismTests {
    @Test("the same state written twice, a second apart, gives the same bytes")
    func sameBytes() throws {
        let a = temporaryPath("det-a.h5"), b = temporaryPath("det-b.h5")
        try StateFile.write(sampleState(), to: a, attributes: ["kind": "checkpoint"])
        sleep(1)   // HDF5 would otherwise stamp object times that differ
        try StateFile.write(sampleState(), to: b, attributes: ["kind": "checkpoint"])
        #expect(FileManager.default.contentsEqual(atPath: a, andPath: b))
    }
}
