/// tanh as a 13/6 odd rational approximation on [−7.9, 7.9] (the form Eigen
/// uses for float tanh), within a few ulp of the exact value, and identity
/// below 4e-4 where the approximation's relative error would grow.
///
/// Why: the C library's `tanhf` is an opaque call per element and was half the
/// time of PPO's tanh networks at [64,64]. This is straight-line arithmetic
/// with selects, so loops over it vectorise.
@inline(__always)
public func fastTanh(_ a: Float) -> Float {
    let clampBound: Float = 7.90531110763549805
    var x = a > clampBound ? clampBound : a
    x = x < -clampBound ? -clampBound : x
    let x2 = x * x
    var p: Float = x2 * -2.76076847742355e-16 + 2.00018790482477e-13
    p = x2 * p + -8.60467152213735e-11
    p = x2 * p + 5.12229709037114e-08
    p = x2 * p + 1.48572235717979e-05
    p = x2 * p + 6.37261928875436e-04
    p = x2 * p + 4.89352455891786e-03
    p = x * p
    var q: Float = x2 * 1.19825839466702e-06 + 1.18534705686654e-04
    q = x2 * q + 2.26843463243900e-03
    q = x2 * q + 4.89352518554385e-03
    let tiny = a < 0.0004 && a > -0.0004
    return tiny ? a : p / q
}
