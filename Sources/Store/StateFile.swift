import Foundation
import Nets

/// A `StateDict` as one HDF5 file: each entry a dataset at its path
/// (`weights/actor`, `replay/observations`, …), texts as string datasets,
/// and root attributes for provenance plus a checksum over every dataset, so a
/// damaged file is detected and never trusted.
public enum StateFile {
    /// Root attribute holding the checksum (FNV-1a 64 over names and contents, hex).
    public static let checksumAttribute = "checksum"

    /// Writes `state` to `path` through `AtomicWrite`: an interruption or a
    /// failure (a full disk) leaves either the old file or the new one, never
    /// half of one.
    public static func write(_ state: StateDict, to path: String, attributes: [String: String] = [:]) throws {
        try AtomicWrite.writeHDF5(to: path) { file in
            // Sorted order (dictionaries iterate differently in every process) and
            // no object timestamps: the same state gives the same bytes.
            for name in state.floats.keys.sorted() {
                if let shape = state.shapes[name] { try file.write(name, state.floats[name]!, shape: shape, compress: false) }
                else { try file.write(name, state.floats[name]!) }
            }
            for name in state.doubles.keys.sorted() {
                if let shape = state.shapes[name] { try file.write(name, state.doubles[name]!, shape: shape, compress: false) }
                else { try file.write(name, state.doubles[name]!) }
            }
            for name in state.integers.keys.sorted() { try file.write(name, state.integers[name]!) }
            for name in state.words.keys.sorted() { try file.write(name, state.words[name]!) }
            for name in state.texts.keys.sorted() { try file.writeText(name, state.texts[name]!) }
            for key in attributes.keys.sorted() { try file.setTextAttribute(key, attributes[key]!) }
            try file.setTextAttribute(checksumAttribute, hex(checksum(state)))
        }
    }

    /// Checks, before long work whose result goes to `path`, that a file can be
    /// written there (see `AtomicWrite.prepare`), creating its folder if needed.
    public static func checkWritable(_ path: String) throws {
        try AtomicWrite.prepare(path)
    }

    /// Reads a file written by `write`, verifying its checksum.
    public static func read(_ path: String) throws -> StateDict {
        let file = try HDF5File.open(path)
        var state = StateDict()
        for name in try file.datasetNames() {
            switch try file.read(name) {
            case .floats(let v):
                state.floats[name] = v
                let shape = try file.shape(name)
                if shape.count > 1 { state.shapes[name] = shape }
            case .doubles(let v):
                state.doubles[name] = v
                let shape = try file.shape(name)
                if shape.count > 1 { state.shapes[name] = shape }
            case .integers(let v): state.integers[name] = v
            case .words(let v): state.words[name] = v
            case .text(let s): state.texts[name] = s
            }
        }
        guard let stored = try file.attribute(checksumAttribute) else {
            throw StoreError.corrupt(path: path, why: "no checksum attribute")
        }
        guard stored == hex(checksum(state)) else {
            throw StoreError.corrupt(path: path, why: "checksum mismatch")
        }
        return state
    }

    /// FNV-1a 64 over every entry in name order: kind, name, then the values' bytes.
    public static func checksum(_ state: StateDict) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<C: Collection>(_ bytes: C) where C.Element == UInt8 { for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 } }
        func mixArray<T>(_ kind: UInt8, _ d: [String: [T]]) {
            for k in d.keys.sorted() {
                mix([kind]); mix(k.utf8)
                d[k]!.withUnsafeBytes { mix($0) }
            }
        }
        mixArray(1, state.floats); mixArray(2, state.doubles); mixArray(3, state.integers); mixArray(4, state.words)
        for k in state.texts.keys.sorted() { mix([5]); mix(k.utf8); mix(state.texts[k]!.utf8) }
        // Shapes count too: the same values as other rows are another array.
        mixArray(6, state.shapes.mapValues { $0.map(Int64.init) })
        return h
    }

    static func hex(_ x: UInt64) -> String {
        let s = String(x, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
