import Foundation

/// A training state as named flat arrays, like PyTorch's `state_dict`: the
/// value that checkpoints carry between an agent and the artifact store.
///
/// Names are slash-separated paths that map one to one onto HDF5 datasets
/// (`weights/actor`, `optimizer/actor/m`, `replay/observations`, `rng/noise`).
/// Every entry is exact: restoring a `StateDict` reproduces the state bit for bit.
public struct StateDict: Sendable, Equatable {
    public var floats: [String: [Float]] = [:]
    public var doubles: [String: [Double]] = [:]
    public var integers: [String: [Int64]] = [:]
    public var words: [String: [UInt64]] = [:]
    /// Small JSON documents (configs, specs).
    public var texts: [String: String] = [:]
    /// The shape of a float or double entry that is more than a vector, row-major (a
    /// replay buffer's observations are (N, obs_dim)); entries without one are
    /// vectors. Files keep it, so anyone reading a checkpoint with h5py sees
    /// the arrays as they are, not flattened.
    public var shapes: [String: [Int]] = [:]

    public init() {}

    public var names: [String] {
        (Array(floats.keys) + Array(doubles.keys) + Array(integers.keys) + Array(words.keys) + Array(texts.keys)).sorted()
    }

    // MARK: Typed access that names what is missing

    public func float(_ name: String, count: Int? = nil) throws -> [Float] {
        guard let v = floats[name] else { throw StateDictError.missing(name) }
        if let count, v.count != count { throw StateDictError.wrongSize(name, expected: count, got: v.count) }
        return v
    }
    public func double(_ name: String, count: Int? = nil) throws -> [Double] {
        guard let v = doubles[name] else { throw StateDictError.missing(name) }
        if let count, v.count != count { throw StateDictError.wrongSize(name, expected: count, got: v.count) }
        return v
    }
    /// Integer entries are counts, indices and step numbers, so a negative one
    /// is refused: it can only come from a damaged or hand-edited file.
    public func integer(_ name: String) throws -> Int {
        guard let v = integers[name], v.count == 1 else { throw StateDictError.missing(name) }
        guard v[0] >= 0 else { throw StateDictError.corrupt("'\(name)' is \(v[0]); counts are never negative") }
        return Int(v[0])
    }
    public func integerArray(_ name: String) throws -> [Int64] {
        guard let v = integers[name] else { throw StateDictError.missing(name) }
        if let i = v.firstIndex(where: { $0 < 0 }) {
            throw StateDictError.corrupt("'\(name)'[\(i)] is \(v[i]); counts are never negative")
        }
        return v
    }
    public func text(_ name: String) throws -> String {
        guard let v = texts[name] else { throw StateDictError.missing(name) }
        return v
    }
    public mutating func setInteger(_ name: String, _ value: Int) { integers[name] = [Int64(value)] }
    /// A float entry of `rows` rows of `width` values (kept as (rows, width) in files).
    public mutating func setMatrix(_ name: String, _ values: [Float], width: Int) {
        precondition(width > 0 && values.count % width == 0, "\(values.count) values are not rows of \(width)")
        floats[name] = values
        shapes[name] = [values.count / width, width]
    }
    public mutating func setMatrix(_ name: String, _ values: [Double], width: Int) {
        precondition(width > 0 && values.count % width == 0, "\(values.count) values are not rows of \(width)")
        doubles[name] = values
        shapes[name] = [values.count / width, width]
    }

    // MARK: Composites

    public mutating func set(_ name: String, rng: Xoshiro256) { words[name] = rng.state.words }
    public func rng(_ name: String) throws -> Xoshiro256 { Xoshiro256(state: try rngState(name)) }
    /// A generator state, refusing a wrong length or the all-zero state (see `Xoshiro256.State(words:)`).
    public func rngState(_ name: String) throws -> Xoshiro256.State {
        guard let w = words[name] else { throw StateDictError.missing(name) }
        guard w.count == 4 else { throw StateDictError.wrongSize(name, expected: 4, got: w.count) }
        guard let state = Xoshiro256.State(words: w) else {
            throw StateDictError.corrupt("generator state '\(name)' is all zeros")
        }
        return state
    }

    /// A network's parameters (its shape is rebuilt from the config, then checked).
    public mutating func set(_ name: String, network: MLP) { floats[name] = network.parameters }
    public func restore(_ name: String, into network: inout MLP) throws {
        network.parameters = try float(name, count: network.parameterCount)
    }

    public mutating func set(_ name: String, adam: Adam) {
        floats[name + "/m"] = adam.m
        floats[name + "/v"] = adam.v
        setInteger(name + "/step", adam.step)
    }
    public func restore(_ name: String, into adam: inout Adam) throws {
        adam.m = try float(name + "/m", count: adam.m.count)
        adam.v = try float(name + "/v", count: adam.v.count)
        adam.step = try integer(name + "/step")
    }

    /// Adds every entry of `other` under `prefix/`.
    public mutating func merge(_ other: StateDict, prefix: String) {
        for (k, v) in other.floats { floats[prefix + "/" + k] = v }
        for (k, v) in other.doubles { doubles[prefix + "/" + k] = v }
        for (k, v) in other.integers { integers[prefix + "/" + k] = v }
        for (k, v) in other.words { words[prefix + "/" + k] = v }
        for (k, v) in other.texts { texts[prefix + "/" + k] = v }
        for (k, v) in other.shapes { shapes[prefix + "/" + k] = v }
    }

    /// The entries under `prefix/`, with the prefix removed.
    public func subset(_ prefix: String) -> StateDict {
        let p = prefix + "/"
        func strip<V>(_ d: [String: V]) -> [String: V] {
            var out: [String: V] = [:]
            for (k, v) in d where k.hasPrefix(p) { out[String(k.dropFirst(p.count))] = v }
            return out
        }
        var s = StateDict()
        s.floats = strip(floats); s.doubles = strip(doubles); s.integers = strip(integers)
        s.words = strip(words); s.texts = strip(texts); s.shapes = strip(shapes)
        return s
    }
}

public enum StateDictError: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case wrongSize(String, expected: Int, got: Int)
    case corrupt(String)

    public var description: String {
        switch self {
        case .missing(let n): return "checkpoint has no entry '\(n)'"
        case .wrongSize(let n, let e, let g): return "checkpoint entry '\(n)' has \(g) values, expected \(e)"
        case .corrupt(let why): return "checkpoint is corrupt: \(why)"
        }
    }
}

// MARK: - A self-contained binary form

extension StateDict {
    static let magic: [UInt8] = Array("ASYMSD01".utf8)

    /// A compact little-endian binary encoding (magic, then typed named
    /// arrays, then a checksum), for moving a state between processes when no
    /// artifact store is involved.
    public func serialized() -> [UInt8] {
        var out = Self.magic
        func put(_ x: UInt64) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
        func putName(_ s: String) { let u = Array(s.utf8); put(UInt64(u.count)); out.append(contentsOf: u) }
        func section<V>(_ tag: UInt64, _ d: [String: [V]], _ bits: (V) -> UInt64) {
            for k in d.keys.sorted() {
                put(tag); putName(k)
                let v = d[k]!
                put(UInt64(v.count))
                for x in v { put(bits(x)) }
            }
        }
        section(1, floats) { UInt64($0.bitPattern) }
        section(2, doubles) { $0.bitPattern }
        section(3, integers) { UInt64(bitPattern: $0) }
        section(4, words) { $0 }
        for k in texts.keys.sorted() { put(5); putName(k); putName(texts[k]!) }
        section(6, shapes) { UInt64($0) }
        put(0)
        put(Self.fnv1a(out))
        return out
    }

    public init(serialized bytes: [UInt8]) throws {
        self.init()
        guard bytes.count >= Self.magic.count + 16, Array(bytes[0..<Self.magic.count]) == Self.magic else {
            throw StateDictError.corrupt("not an Asym state (bad magic)")
        }
        var i = Self.magic.count
        func get() throws -> UInt64 {
            guard i + 8 <= bytes.count else { throw StateDictError.corrupt("truncated at byte \(i)") }
            var x: UInt64 = 0
            for b in 0..<8 { x |= UInt64(bytes[i + b]) << (8 * UInt64(b)) }
            i += 8
            return x
        }
        func getName() throws -> String {
            let n = Int(try get())
            guard n >= 0, i + n <= bytes.count else { throw StateDictError.corrupt("truncated name at byte \(i)") }
            defer { i += n }
            return String(decoding: bytes[i..<(i + n)], as: UTF8.self)
        }
        func getArray<V>(_ make: (UInt64) -> V) throws -> [V] {
            let n = Int(try get())
            guard n >= 0, i + 8 * n <= bytes.count else { throw StateDictError.corrupt("truncated array at byte \(i)") }
            var v: [V] = []
            v.reserveCapacity(n)
            for _ in 0..<n { v.append(make(try get())) }
            return v
        }
        loop: while true {
            switch try get() {
            case 0: break loop
            case 1: let k = try getName(); floats[k] = try getArray { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) }
            case 2: let k = try getName(); doubles[k] = try getArray { Double(bitPattern: $0) }
            case 3: let k = try getName(); integers[k] = try getArray { Int64(bitPattern: $0) }
            case 4: let k = try getName(); words[k] = try getArray { $0 }
            case 5: let k = try getName(); texts[k] = try getName()
            case 6: let k = try getName(); shapes[k] = try getArray { Int(truncatingIfNeeded: $0) }
            case let tag: throw StateDictError.corrupt("unknown section tag \(tag)")
            }
        }
        let end = i
        let checksum = try get()
        guard checksum == Self.fnv1a(Array(bytes[0..<end])) else { throw StateDictError.corrupt("checksum mismatch") }
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// FNV-1a over the serialized form: a cheap fingerprint to compare states.
    public var fingerprint: UInt64 { Self.fnv1a(serialized()) }
}
