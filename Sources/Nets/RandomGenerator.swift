/// A seeded, checkpointable pseudo-random generator: xoshiro256** (Blackman &
/// Vigna 2018, https://prng.di.unimi.it/xoshiro256starstar.c), seeded through
/// SplitMix64 as its authors recommend.
///
/// The whole state is four words (`State`), so a training run saves and
/// restores it exactly. Everything that trains or evaluates draws from one of
/// these, passed as `using: &rng`; never from `SystemRandomNumberGenerator`.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Equatable {
    /// The generator's complete state; `Codable` so checkpoints can hold it.
    public struct State: Codable, Sendable, Equatable, Hashable {
        public var s0, s1, s2, s3: UInt64
        public init(_ s0: UInt64, _ s1: UInt64, _ s2: UInt64, _ s3: UInt64) {
            (self.s0, self.s1, self.s2, self.s3) = (s0, s1, s2, s3)
        }
        public var words: [UInt64] { [s0, s1, s2, s3] }
        /// Nil unless there are four words, not all zero: the all-zero state is
        /// xoshiro's one fixed point (it would return 0 forever, and rejection
        /// sampling such as `index(below:)` would never finish).
        public init?(words: [UInt64]) {
            guard words.count == 4, words.contains(where: { $0 != 0 }) else { return nil }
            self.init(words[0], words[1], words[2], words[3])
        }
    }

    public var state: State

    /// Seeds the four words from SplitMix64(seed), so nearby seeds give unrelated streams.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = State(splitMix(), splitMix(), splitMix(), splitMix())
    }

    public init(state: State) { self.state = state }

    /// An independent stream derived from this seed and a label (e.g. one per
    /// environment copy, one for exploration noise), without consuming draws.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) &+ stream)
    }

    @inlinable @inline(__always)
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state.s1 &* 5, 7) &* 9
        let t = state.s1 << 17
        state.s2 ^= state.s0
        state.s3 ^= state.s1
        state.s1 ^= state.s2
        state.s0 ^= state.s3
        state.s2 ^= t
        state.s3 = Self.rotl(state.s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable @inline(__always)
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [low, high).
    @inlinable @inline(__always)
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * uniform()
    }

    /// Uniform Float in [low, high).
    @inlinable @inline(__always)
    public mutating func uniformFloat(_ low: Float, _ high: Float) -> Float {
        Float(uniform(Double(low), Double(high)))
    }

    /// Standard normal by the Box–Muller transform. One variate per call (the
    /// second is discarded) so the state stays four words with no cached spare.
    @inlinable @inline(__always)
    public mutating func normal() -> Double {
        let u1 = 1.0 - uniform()            // (0, 1]: log is finite
        let u2 = uniform()
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }

    /// Normal with mean and standard deviation, as Float.
    @inlinable @inline(__always)
    public mutating func normalFloat(mean: Float = 0, std: Float = 1) -> Float {
        mean + std * Float(normal())
    }

    /// A uniform integer in 0..<n (Lemire's unbiased method via the stdlib).
    @inlinable @inline(__always)
    public mutating func index(below n: Int) -> Int {
        Int.random(in: 0..<n, using: &self)
    }
}

// Foundation-free log/cos so Nets stays light; the C library's are exact enough.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@usableFromInline @inline(__always) func _log(_ x: Double) -> Double { log(x) }
@usableFromInline @inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
