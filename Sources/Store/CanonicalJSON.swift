import Foundation

/// A JSON document in the one form cache keys hash: object keys sorted by
/// their UTF-8 bytes, no whitespace, numbers printed exactly (integers as
/// integers, other numbers in Swift's shortest round-trip form), so two specs
/// that mean the same thing give the same bytes however they were written.
public indirect enum CanonicalJSON: Equatable, Sendable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([CanonicalJSON])
    case object([String: CanonicalJSON])

    /// Any `Encodable` value (a config, a spec) in canonical form.
    public init<T: Encodable>(encoding value: T) throws {
        self = try JSONDecoder().decode(CanonicalJSON.self, from: JSONEncoder().encode(value))
    }

    /// A JSON text in canonical form.
    public init(parsing text: String) throws {
        self = try JSONDecoder().decode(CanonicalJSON.self, from: Data(text.utf8))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = CanonicalJSON.number(d).normalized }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([CanonicalJSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: CanonicalJSON].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .integer(let i): try c.encode(i)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Integral doubles become integers: `256`, `256.0` and `2.56e2` are one number.
    var normalized: CanonicalJSON {
        if case .number(let d) = self, d.rounded() == d, abs(d) < 9.007_199_254_740_992e15 { return .integer(Int64(d)) }
        return self
    }

    /// The canonical text.
    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    func write(into out: inout String) {
        switch normalized {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .integer(let i): out += String(i)
        case .number(let d):
            // Non-finite numbers are not JSON; keys never contain them (configs reject them).
            out += d.isFinite ? "\(d)" : "null"
        case .string(let s): CanonicalJSON.quote(s, into: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() { if i > 0 { out += "," }; v.write(into: &out) }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, k) in o.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }).enumerated() {
                if i > 0 { out += "," }
                CanonicalJSON.quote(k, into: &out)
                out += ":"
                o[k]!.write(into: &out)
            }
            out += "}"
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    public subscript(key: String) -> CanonicalJSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}
