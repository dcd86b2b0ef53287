#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* CPU features the numerics profile chooses its BLAS kernel from, as bits:
   1 AVX2, 2 FMA, 4 AVX-512F, 8 AVX-512BW, 16 AVX-512DQ, 32 AVX-512VL,
   64 AVX-512 BF16. A feature counts only if the operating system saves its
   registers (XGETBV), as OpenBLAS's own dispatch requires. */
static inline unsigned asym_cpu_features(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d, features = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    int ymm = (xcr0_lo & 0x6) == 0x6, zmm = (xcr0_lo & 0xe6) == 0xe6;
    if (!ymm) return 0;
    if (__get_cpuid_max(0, 0) < 7) return fma ? 2 : 0;
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
