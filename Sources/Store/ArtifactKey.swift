import Crypto
import Foundation
import Nets

/// Cache keys: SHA-256 over the canonical JSON of everything that decides a
/// result — the stage's spec (every default explicit), the keys of its
/// inputs, the numerics id (which BLAS kernel computes the bits) and the
/// fingerprint of the source code that computes it — and nothing else.
public enum ArtifactKey {
    /// The key of a stage, 64 lowercase hex digits.
    public static func compute(spec: CanonicalJSON, inputs: [String] = [], numerics: String = Numerics.id,
                               code: String = SourceFingerprint.current) -> String {
        hex(SHA256.hash(data: Data(preimage(spec: spec, inputs: inputs, numerics: numerics, code: code).utf8)))
    }

    /// The exact text that is hashed (shown by tests and `asym show`'s provenance).
    public static func preimage(spec: CanonicalJSON, inputs: [String], numerics: String, code: String) -> String {
        CanonicalJSON.object(["spec": spec, "inputs": .array(inputs.map(CanonicalJSON.string)),
                              "numerics": .string(numerics), "code": .string(code)]).text
    }

    /// SHA-256 of any bytes, hex (e.g. a pipeline file's, for run records).
    public static func sha256(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    /// Whether `text` looks like a key (so that a foreign file is never taken for one).
    public static func isKey(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        // Not String(format:): keys of a 10,000-node pipeline are computed on every `asym status`.
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The fingerprint of the source files that decide a run's numbers (Nets,
/// Envs, Agents), embedded at build time by the SourceFingerprint plugin.
public enum SourceFingerprint {
    /// The fingerprinted files' names (module/relative path), sorted.
    public static var fileNames: [String] { FingerprintedSources.files.map(\.name) }

    /// SHA-256 over the embedded files, hex.
    public static let current: String = digest(of: FingerprintedSources.files.map {
        ($0.name, [UInt8](Data(base64Encoded: $0.base64) ?? Data()))
    })

    /// SHA-256 over `files` in name order: each name, a NUL, its length (8 bytes,
    /// little-endian) and its bytes — so no two different file sets hash alike by
    /// shifting bytes between neighbours.
    public static func digest(of files: [(name: String, contents: [UInt8])]) -> String {
        var hasher = SHA256()
        for file in files.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
            hasher.update(data: Array(file.name.utf8) + [0])
            withUnsafeBytes(of: UInt64(file.contents.count).littleEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: file.contents)
        }
        return ArtifactKey.hex(hasher.finalize())
    }

    /// The embedded files, decoded (for tests that show which edits change a key).
    public static var files: [(name: String, contents: [UInt8])] {
        FingerprintedSources.files.map { ($0.name, [UInt8](Data(base64Encoded: $0.base64) ?? Data())) }
    }
}
