/// Ken Perlin's "improved noise" in one dimension, ported bit for bit from the
/// `noise` Python package (Casey Duncan, version 1.2.2, `_perlin.c`), whose
/// `pnoise1` generates the toy problem's goal signal.
///
/// Everything is computed in `Float`, as the C code does: the input `x` is a
/// C `float`, so the Python double is rounded to Float32 before anything else
/// (near offsets of 1e5 that quantises the 0.02 s time steps to 1/128).
public enum Perlin {
    /// One octave at `x`, tiling every `repeat` units, with permutation offset `base`.
    ///
    /// The corresponding C function is `noise1` in `_perlin.c`.
    @inlinable
    public static func noise1(_ x: Float, repeat period: Int32, base: Int32) -> Float {
        let floorX = x.rounded(.down)
        // C's `%` truncates toward zero, like Swift's; `& 255` then folds a
        // negative remainder into 0...255 exactly as two's complement does in C.
        let i = remainder(truncatingToInt32(floorX), period)
        let ii = remainder(i &+ 1, period)
        let a = Int((i & 255) &+ base)
        let b = Int((ii & 255) &+ base)
        let t = x - floorX
        let fade = t * t * t * (t * (t * 6 - 15) + 10)
        let ga = grad1(permutation[a & 255], t)
        let gb = grad1(permutation[b & 255], t - 1)
        return (ga + fade * (gb - ga)) * 0.4
    }

    /// Fractal (fBm) noise: `octaves` layers of `noise1`, each at `lacunarity`
    /// times the previous frequency and `persistence` times its amplitude,
    /// normalised by the sum of amplitudes (1.875 for 4 octaves).
    ///
    /// The corresponding Python function is `noise.pnoise1(x, octaves, persistence,
    /// lacunarity, repeat, base)`; the defaults are the package's.
    @inlinable
    public static func pnoise1(_ x: Float, octaves: Int = 1, persistence: Float = 0.5,
                               lacunarity: Float = 2, repeat period: Int32 = 1024,
                               base: Int32 = 0) -> Float {
        precondition(octaves > 0, "pnoise1 needs at least one octave")
        precondition((0...256).contains(base), "base must be in 0...256 (beyond, the C code reads past its 512-entry table)")
        if octaves == 1 { return noise1(x, repeat: period, base: base) }
        var frequency: Float = 1
        var amplitude: Float = 1
        var amplitudeSum: Float = 0
        var total: Float = 0
        for _ in 0..<octaves {
            // The C code converts `repeat * freq` (a float) back to int for each octave.
            total += noise1(x * frequency, repeat: truncatingToInt32(Float(period) * frequency),
                            base: base) * amplitude
            amplitudeSum += amplitude
            frequency *= lacunarity
            amplitude *= persistence
        }
        return total / amplitudeSum
    }

    /// The C quirk that makes this noise differ from textbook Perlin noise: a
    /// set bit 3 gives gradient −1, not −g.
    @inlinable @inline(__always)
    static func grad1(_ hash: UInt8, _ x: Float) -> Float {
        let g: Float = hash & 8 != 0 ? -1 : Float(hash & 7) + 1
        return g * x
    }

    /// C's `a % m` (truncating), with a mask instead of a division in the common
    /// case of a non-negative `a` and a power-of-two `m` (the default repeat 1024
    /// and its octave multiples), saving two integer divisions per octave.
    @inlinable @inline(__always)
    static func remainder(_ a: Int32, _ m: Int32) -> Int32 {
        if a >= 0 && m > 0 && m & (m &- 1) == 0 { return a & (m &- 1) }
        return a % m
    }

    /// C's `(int)` of a float as x86-64 executes it (`cvttss2si`): truncation,
    /// and INT_MIN for NaN or values out of range, where Swift's `Int32(_:)` would trap.
    @inlinable @inline(__always)
    static func truncatingToInt32(_ x: Float) -> Int32 {
        x >= -2_147_483_648 && x < 2_147_483_648 ? Int32(x) : Int32.min
    }

    /// Ken Perlin's reference permutation of 0...255 (Perlin 2002). `_noise.h`
    /// stores it twice (512 entries) so that `base` offsets need no wrapping;
    /// indexing this copy with `& 255` reads the same entries, and keeps the
    /// table a literal the compiler lays out statically (no lazy global).
    @usableFromInline
    static let permutation: [UInt8] = [
        151, 160, 137,  91,  90,  15, 131,  13, 201,  95,  96,  53, 194, 233,   7, 225,
        140,  36, 103,  30,  69, 142,   8,  99,  37, 240,  21,  10,  23, 190,   6, 148,
        247, 120, 234,  75,   0,  26, 197,  62,  94, 252, 219, 203, 117,  35,  11,  32,
         57, 177,  33,  88, 237, 149,  56,  87, 174,  20, 125, 136, 171, 168,  68, 175,
         74, 165,  71, 134, 139,  48,  27, 166,  77, 146, 158, 231,  83, 111, 229, 122,
         60, 211, 133, 230, 220, 105,  92,  41,  55,  46, 245,  40, 244, 102, 143,  54,
         65,  25,  63, 161,   1, 216,  80,  73, 209,  76, 132, 187, 208,  89,  18, 169,
        200, 196, 135, 130, 116, 188, 159,  86, 164, 100, 109, 198, 173, 186,   3,  64,
         52, 217, 226, 250, 124, 123,   5, 202,  38, 147, 118, 126, 255,  82,  85, 212,
        207, 206,  59, 227,  47,  16,  58,  17, 182, 189,  28,  42, 223, 183, 170, 213,
        119, 248, 152,   2,  44, 154, 163,  70, 221, 153, 101, 155, 167,  43, 172,   9,
        129,  22,  39, 253,  19,  98, 108, 110,  79, 113, 224, 232, 178, 185, 112, 104,
        218, 246,  97, 228, 251,  34, 242, 193, 238, 210, 144,  12, 191, 179, 162, 241,
         81,  51, 145, 235, 249,  14, 239, 107,  49, 192, 214,  31, 181, 199, 106, 157,
        184,  84, 204, 176, 115, 121,  50,  45, 127,   4, 150, 254, 138, 236, 205,  93,
        222, 114,  67,  29,  24,  72, 243, 141, 128, 195,  78,  66, 215,  61, 156, 180,
    ]
}
