import Crypto
import Foundation
import Nets

/// One array of an artifact, with its shape (row-major).
public struct ShapedArray: Equatable, Sendable {
    public enum Values: Equatable, Sendable { case floats([Float]), doubles([Double]), integers([Int64]) }
    public var shape: [Int]
    public var values: Values

    public init(_ values: [Float], shape: [Int]? = nil) { self.values = .floats(values); self.shape = shape ?? [values.count] }
    public init(_ values: [Double], shape: [Int]? = nil) { self.values = .doubles(values); self.shape = shape ?? [values.count] }
    public init(_ values: [Int64], shape: [Int]? = nil) { self.values = .integers(values); self.shape = shape ?? [values.count] }

    public var count: Int {
        switch values { case .floats(let v): v.count; case .doubles(let v): v.count; case .integers(let v): v.count }
    }
    public var doubles: [Double] {
        switch values {
        case .floats(let v): v.map(Double.init)
        case .doubles(let v): v
        case .integers(let v): v.map(Double.init)
        }
    }
}

/// A finished result as one HDF5 file that h5py and h5dump read: root
/// attributes (UTF-8 strings) for what it is and where it came from, and
/// datasets that keep their shapes. A SHA-256 over every dataset (name, type,
/// shape, bytes) is stored as the `checksum` attribute and verified on every
/// read, so a damaged file is never used.
public struct Artifact: Equatable, Sendable {
    public var attributes: [String: String]
    public var arrays: [String: ShapedArray]

    public init(attributes: [String: String] = [:], arrays: [String: ShapedArray] = [:]) {
        self.attributes = attributes; self.arrays = arrays
    }

    public static let checksumAttribute = "checksum"

    /// SHA-256 over the datasets in name order, hex.
    public var checksum: String {
        var hasher = SHA256()
        for name in arrays.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let array = arrays[name]!
            hasher.update(data: Array(name.utf8) + [0])
            let tag: UInt8
            switch array.values { case .floats: tag = 1; case .doubles: tag = 2; case .integers: tag = 3 }
            hasher.update(data: [tag, UInt8(array.shape.count)])
            for d in array.shape { withUnsafeBytes(of: UInt64(d).littleEndian) { hasher.update(bufferPointer: $0) } }
            switch array.values {
            case .floats(let v): v.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            case .doubles(let v): v.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            case .integers(let v): v.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            }
        }
        return ArtifactKey.hex(hasher.finalize())
    }

    /// Writes the artifact to `path` through `AtomicWrite`.
    public func write(to path: String) throws {
        try AtomicWrite.writeHDF5(to: path) { file in
            for name in arrays.keys.sorted() {
                let array = arrays[name]!
                switch array.values {
                case .floats(let v): try file.write(name, v, shape: array.shape)
                case .doubles(let v): try file.write(name, v, shape: array.shape)
                case .integers(let v): try file.write(name, v, shape: array.shape)
                }
            }
            for name in attributes.keys.sorted() where name != Self.checksumAttribute {
                try file.setTextAttribute(name, attributes[name]!)
            }
            try file.setTextAttribute(Self.checksumAttribute, checksum)
        }
    }

    /// Reads and verifies an artifact; a file that is not one, or whose
    /// datasets do not match its checksum, is `StoreError.corrupt`.
    public static func read(_ path: String) throws -> Artifact {
        let file = try HDF5File.open(path)
        var artifact = Artifact()
        for name in try file.attributeNames() { artifact.attributes[name] = try file.attribute(name) }
        for name in try file.datasetNames() {
            let shape = try file.shape(name)
            switch try file.read(name) {
            case .floats(let v): artifact.arrays[name] = ShapedArray(v, shape: shape)
            case .doubles(let v): artifact.arrays[name] = ShapedArray(v, shape: shape)
            case .integers(let v): artifact.arrays[name] = ShapedArray(v, shape: shape)
            case .words, .text: throw StoreError.corrupt(path: path, why: "dataset '\(name)' is not an artifact array")
            }
        }
        guard let stored = artifact.attributes.removeValue(forKey: checksumAttribute) else {
            throw StoreError.corrupt(path: path, why: "no checksum attribute")
        }
        guard stored == artifact.checksum else { throw StoreError.corrupt(path: path, why: "checksum mismatch") }
        return artifact
    }

    // MARK: Conventions

    /// `/metrics/<name>`: an (N, 2) array of (step, value) rows.
    public mutating func setMetric(_ name: String, _ series: [(step: Int, value: Double)]) {
        arrays["metrics/" + name] = ShapedArray(series.flatMap { [Double($0.step), $0.value] }, shape: [series.count, 2])
    }

    public func metric(_ name: String) -> [(step: Int, value: Double)] {
        guard let a = arrays["metrics/" + name] else { return [] }
        let v = a.doubles
        return stride(from: 0, to: v.count - 1, by: 2).map { (Int(v[$0]), v[$0 + 1]) }
    }

    public var metricNames: [String] {
        arrays.keys.filter { $0.hasPrefix("metrics/") }.map { String($0.dropFirst("metrics/".count)) }.sorted()
    }
}

extension Artifact {
    /// Keeps a `StateDict` as datasets under `prefix/` (words as their bit patterns
    /// under `prefix/~words/`, texts as attributes `prefix/<name>`), so a result
    /// can carry a model without a second file.
    public mutating func setState(_ state: StateDict, under prefix: String) {
        for (name, v) in state.floats { arrays["\(prefix)/\(name)"] = ShapedArray(v, shape: state.shapes[name]) }
        for (name, v) in state.doubles { arrays["\(prefix)/\(name)"] = ShapedArray(v, shape: state.shapes[name]) }
        for (name, v) in state.integers { arrays["\(prefix)/\(name)"] = ShapedArray(v) }
        for (name, v) in state.words { arrays["\(prefix)/~words/\(name)"] = ShapedArray(v.map { Int64(bitPattern: $0) }) }
        for (name, v) in state.texts { attributes["\(prefix)/\(name)"] = v }
    }

    /// The `StateDict` that `setState(_:under:)` kept under `prefix`.
    public func state(under prefix: String) -> StateDict {
        var state = StateDict()
        let head = prefix + "/", words = prefix + "/~words/"
        for (name, array) in arrays where name.hasPrefix(head) {
            if name.hasPrefix(words) {
                if case .integers(let v) = array.values {
                    state.words[String(name.dropFirst(words.count))] = v.map { UInt64(bitPattern: $0) }
                }
                continue
            }
            let key = String(name.dropFirst(head.count))
            if array.shape.count > 1 { state.shapes[key] = array.shape }
            switch array.values {
            case .floats(let v): state.floats[key] = v
            case .doubles(let v): state.doubles[key] = v
            case .integers(let v): state.integers[key] = v
            }
        }
        for (name, text) in attributes where name.hasPrefix(head) { state.texts[String(name.dropFirst(head.count))] = text }
        return state
    }
}
