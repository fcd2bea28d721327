// SPDX-License-Identifier: MIT
// Row-wise softmax of attention scores, with the instruction set of the GEMV kernels (gemv.cpp:
// chosen once at run time, capped by COLIVE_GEMV; the default build stays baseline x86-64).
//
// exp is the Cephes single-precision polynomial (the one Eigen's vectorised exp uses too):
// n = round(x log2 e), r = x - n ln 2 (in two parts), exp(r) by a degree-6 polynomial, times 2^n.
// Inputs are scores minus the row maximum, so x <= 0; x is clamped below at ln(FLT_MIN), where the
// term is < 1.2e-38 of the row's largest (which is 1).
#include "engine_internal.h"

#include <cmath>
#include <limits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define COLIVE_SOFTMAX_X86 1
#else
#define COLIVE_SOFTMAX_X86 0
#endif

namespace colive {

namespace {

constexpr float kExpLo = -87.33654f;   // ln(FLT_MIN)
constexpr float kExpHi = 88.0f;
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f, kP3 = 4.1665795894e-2f,
                kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;

// The finishing steps shared by every kernel: the row max m over c scores (with `pad` extra zero
// scores), or NaN for the whole row when it holds a NaN or +inf.
inline bool row_undefined(float m, bool has_nan) { return has_nan || !std::isfinite(m); }

void fill_nan(float* a, int c) {
    for (int j = 0; j < c; ++j) a[j] = std::numeric_limits<float>::quiet_NaN();
}

void rows_scalar(float* S, int r, int c, int ld, int pad) {
    for (int i = 0; i < r; ++i) {
        Eigen::Map<Eigen::ArrayXf> a(S + std::size_t(i) * std::size_t(ld), c);
        float m = a.maxCoeff();
        if (pad > 0) m = std::max(m, 0.0f);
        if (row_undefined(m, a.isNaN().any())) {
            fill_nan(a.data(), c);
            continue;
        }
        a = (a - m).exp();
        const float den = a.sum() + (pad > 0 ? float(pad) * std::exp(-m) : 0.0f);
        a *= 1.0f / den;
    }
}

#if COLIVE_SOFTMAX_X86
#define COLIVE_AVX2 __attribute__((target("avx2,fma")))
#define COLIVE_AVX512 __attribute__((target("avx512f,avx2,fma")))

COLIVE_AVX512 inline __m512 exp512(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(kExpLo)), _mm512_set1_ps(kExpHi));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 t = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
    t = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), t);
    __m512 p = _mm512_set1_ps(kP0);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kP1));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kP2));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kP3));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kP4));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kP5));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(t, t), _mm512_add_ps(t, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

COLIVE_AVX512 void rows_avx512(float* S, int r, int c, int ld, int pad) {
    if (c <= 0) return;
    const __mmask16 tail = __mmask16((1u << (c % 16)) - 1u);
    for (int i = 0; i < r; ++i) {
        float* a = S + std::size_t(i) * std::size_t(ld);
        __m512 vmax = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
        __mmask16 nan = 0;
        int j = 0;
        for (; j + 16 <= c; j += 16) {
            const __m512 x = _mm512_loadu_ps(a + j);
            vmax = _mm512_max_ps(vmax, x);
            nan |= _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        }
        if (j < c) {
            const __m512 x = _mm512_maskz_loadu_ps(tail, a + j);
            vmax = _mm512_mask_max_ps(vmax, tail, vmax, x);
            nan |= _mm512_mask_cmp_ps_mask(tail, x, x, _CMP_UNORD_Q);
        }
        float m = _mm512_reduce_max_ps(vmax);
        if (pad > 0) m = std::max(m, 0.0f);
        if (row_undefined(m, nan != 0)) {
            fill_nan(a, c);
            continue;
        }
        const __m512 vm = _mm512_set1_ps(m);
        __m512 sum = _mm512_setzero_ps();
        for (j = 0; j + 16 <= c; j += 16) {
            const __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(a + j), vm));
            _mm512_storeu_ps(a + j, e);
            sum = _mm512_add_ps(sum, e);
        }
        if (j < c) {
            const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, a + j), vm));
            _mm512_mask_storeu_ps(a + j, tail, e);
            sum = _mm512_mask_add_ps(sum, tail, sum, e);
        }
        const float den = _mm512_reduce_add_ps(sum) + (pad > 0 ? float(pad) * std::exp(-m) : 0.0f);
        const __m512 inv = _mm512_set1_ps(1.0f / den);
        for (j = 0; j + 16 <= c; j += 16) _mm512_storeu_ps(a + j, _mm512_mul_ps(_mm512_loadu_ps(a + j), inv));
        if (j < c) _mm512_mask_storeu_ps(a + j, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, a + j), inv));
    }
}

COLIVE_AVX2 inline __m256 exp256(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(kExpLo)), _mm256_set1_ps(kExpHi));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 t = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
    t = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), t);
    __m256 p = _mm256_set1_ps(kP0);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kP1));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kP2));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kP3));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kP4));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kP5));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(t, t), _mm256_add_ps(t, _mm256_set1_ps(1.0f)));
    // 2^n by the exponent field (n in [-126, 127] after the clamps).
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

COLIVE_AVX2 inline float hmax256(__m256 v) {
    __m128 a = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_max_ps(a, _mm_movehl_ps(a, a));
    a = _mm_max_ss(a, _mm_shuffle_ps(a, a, 1));
    return _mm_cvtss_f32(a);
}

COLIVE_AVX2 inline float hadd256(__m256 v) {
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_shuffle_ps(a, a, 1));
    return _mm_cvtss_f32(a);
}

COLIVE_AVX2 void rows_avx2(float* S, int r, int c, int ld, int pad) {
    if (c <= 0) return;
    const int full = c - c % 8;
    for (int i = 0; i < r; ++i) {
        float* a = S + std::size_t(i) * std::size_t(ld);
        __m256 vmax = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
        __m256 unord = _mm256_setzero_ps();
        int j = 0;
        for (; j < full; j += 8) {
            const __m256 x = _mm256_loadu_ps(a + j);
            vmax = _mm256_max_ps(vmax, x);
            unord = _mm256_or_ps(unord, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
        }
        float m = hmax256(vmax);
        bool nan = _mm256_movemask_ps(unord) != 0;
        for (; j < c; ++j) {
            m = std::max(m, a[j]);
            nan = nan || std::isnan(a[j]);
        }
        if (pad > 0) m = std::max(m, 0.0f);
        if (row_undefined(m, nan)) {
            fill_nan(a, c);
            continue;
        }
        const __m256 vm = _mm256_set1_ps(m);
        __m256 sum = _mm256_setzero_ps();
        for (j = 0; j < full; j += 8) {
            const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(a + j), vm));
            _mm256_storeu_ps(a + j, e);
            sum = _mm256_add_ps(sum, e);
        }
        float den = hadd256(sum);
        if (j < c) {
            alignas(32) float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (int k = j; k < c; ++k) t[k - j] = a[k] - m;
            alignas(32) float e[8];
            _mm256_store_ps(e, exp256(_mm256_load_ps(t)));
            for (int k = j; k < c; ++k) {
                a[k] = e[k - j];
                den += e[k - j];
            }
        }
        den += pad > 0 ? float(pad) * std::exp(-m) : 0.0f;
        const float inv = 1.0f / den;
        const __m256 vinv = _mm256_set1_ps(inv);
        for (j = 0; j < full; j += 8) _mm256_storeu_ps(a + j, _mm256_mul_ps(_mm256_loadu_ps(a + j), vinv));
        for (; j < c; ++j) a[j] *= inv;
    }
}
#endif  // COLIVE_SOFTMAX_X86

}  // namespace

void softmax_rows(float* S, int r, int c, int ld, int pad) {
    switch (gemv::active()) {
#if COLIVE_SOFTMAX_X86
        case gemv::Isa::Avx512: rows_avx512(S, r, c, ld, pad); return;
        case gemv::Isa::Avx2: rows_avx2(S, r, c, ld, pad); return;
#endif
        default: rows_scalar(S, r, c, ld, pad); return;
    }
}

}  // namespace colive
