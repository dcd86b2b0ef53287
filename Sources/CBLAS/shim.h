#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* CPU features the numerics profile chooses its BLAS kernel from, as bits:
   1 AVX2, 2 FMA, 4 AVX-512F, 8 AVX-512BW, 16 AVX-512DQ, 32 AVX-512VL,
   64 AVX-512 BF16, 128 an AMD CPU, 256 an AMD family 19h CPU (Zen 3 and
   Zen 4, whose AVX-512 runs in two 256-bit halves). A vector feature counts
   only if the operating system saves its registers (XGETBV), as OpenBLAS's
   own dispatch requires. */
static inline unsigned asym_cpu_features(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d, features = 0;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
    int amd = b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163;   /* "AuthenticAMD" */
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    unsigned family = (a >> 8) & 0xf;
    if (family == 0xf) family += (a >> 20) & 0xff;
    if (amd) features |= 128;
    if (amd && family == 0x19) features |= 256;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return features;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    int ymm = (xcr0_lo & 0x6) == 0x6, zmm = (xcr0_lo & 0xe6) == 0xe6;
    if (!ymm) return features;
    if (__get_cpuid_max(0, 0) < 7) return features | (fma ? 2 : 0);
    __cpuid_count(7, 0, a, b, c, d);
    if ((b >> 5) & 1) features |= 1;
    if (fma) features |= 2;
    if (zmm) {
        if ((b >> 16) & 1) features |= 4;
        if ((b >> 30) & 1) features |= 8;
        if ((b >> 17) & 1) features |= 16;
        if ((b >> 31) & 1) features |= 32;
        if (a >= 1) {   /* leaf 7 has sub-leaf 1 */
            unsigned a1, b1, c1, d1;
            __cpuid_count(7, 1, a1, b1, c1, d1);
            if ((a1 >> 5) & 1) features |= 64;
        }
    }
    return features;
#else
    return 0;
#endif
}
