// SPDX-License-Identifier: MIT
// Vector traits for the engine's run-time dispatched kernels (gemv.cpp, softmax.cpp, attention.cpp): each
// kernel is written once against a traits type V (V::F a vector of V::W floats, V::load, V::fmadd,
// ...) and compiled for AVX2+FMA (Avx2, 8 floats) and AVX-512F (Avx512, 16 floats).
//
// The build stays baseline x86-64, so an instantiation must be compiled for exactly its
// instruction set, as a whole: simd_instantiate.inc includes a kernel file `*_simd.inc` once per
// instruction set, between COLIVE_SIMD_BEGIN_<ISA> and COLIVE_SIMD_END (GCC `#pragma GCC target`,
// clang `#pragma clang attribute`: every function defined in between gets the target), inside a
// namespace of its own where `V` names the traits. (A function template cannot carry a target per
// instantiation, and vector arguments between functions of different targets change the ABI, which
// clang rejects.) gemv::active() picks the instantiation at run time.
#pragma once

#include <cstdint>
#include <limits>

#if defined(__x86_64__) || defined(__i386__)
#define COLIVE_SIMD_X86 1
#include <immintrin.h>
#else
#define COLIVE_SIMD_X86 0
#endif

#if COLIVE_SIMD_X86

#define COLIVE_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define COLIVE_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#if defined(__clang__)
#define COLIVE_SIMD_BEGIN_AVX2 _Pragma("clang attribute push (__attribute__((target(\"avx2,fma\"))), apply_to = function)")
#define COLIVE_SIMD_BEGIN_AVX512 \
    _Pragma("clang attribute push (__attribute__((target(\"avx512f,avx2,fma\"))), apply_to = function)")
#define COLIVE_SIMD_END _Pragma("clang attribute pop")
#else
#define COLIVE_SIMD_BEGIN_AVX2 _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma\")")
#define COLIVE_SIMD_BEGIN_AVX512 _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx2,fma\")")
#define COLIVE_SIMD_END _Pragma("GCC pop_options")
#endif

namespace colive::simd {

// Cephes single-precision exp (as Eigen's vectorised exp): n = round(x log2 e), r = x - n ln 2 in
// two parts, exp(r) by a degree-6 polynomial, times 2^n. x is clamped to [ln(FLT_MIN), 88].
namespace cephes {
constexpr float kExpLo = -87.33654f;
constexpr float kExpHi = 88.0f;
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f, kP3 = 4.1665795894e-2f,
                kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;
}  // namespace cephes

struct Avx2 {
    using F = __m256;
    using Nan = __m256;   // lanes that saw a NaN (all ones)
    static constexpr int W = 8;
    COLIVE_TARGET_AVX2 static F zero() { return _mm256_setzero_ps(); }
    COLIVE_TARGET_AVX2 static F set1(float v) { return _mm256_set1_ps(v); }
    COLIVE_TARGET_AVX2 static F load(const float* p) { return _mm256_loadu_ps(p); }
    COLIVE_TARGET_AVX2 static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
    COLIVE_TARGET_AVX2 static __m256i first(int n) {   // lanes 0 .. n-1 (0 < n < W)
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    // The first n elements at p (0 < n < W; nothing else is read), the other lanes `fill`.
    COLIVE_TARGET_AVX2 static F load_first(const float* p, int n, float fill) {
        const __m256i m = first(n);
        return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
    }
    COLIVE_TARGET_AVX2 static void store_first(float* p, F v, int n) { _mm256_maskstore_ps(p, first(n), v); }
    COLIVE_TARGET_AVX2 static F keep_first(F v, int n) { return _mm256_and_ps(v, _mm256_castsi256_ps(first(n))); }
    COLIVE_TARGET_AVX2 static F add(F a, F b) { return _mm256_add_ps(a, b); }
    COLIVE_TARGET_AVX2 static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
    COLIVE_TARGET_AVX2 static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
    COLIVE_TARGET_AVX2 static F max(F a, F b) { return _mm256_max_ps(a, b); }
    COLIVE_TARGET_AVX2 static F min(F a, F b) { return _mm256_min_ps(a, b); }
    COLIVE_TARGET_AVX2 static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
    COLIVE_TARGET_AVX2 static F fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
    COLIVE_TARGET_AVX2 static F round(F x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
    // p * 2^n for integral n in [-126, 127], by the exponent field.
    COLIVE_TARGET_AVX2 static F scale2(F p, F n) {
        const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
        return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
    }
    COLIVE_TARGET_AVX2 static float sum(F v) {
        __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        a = _mm_add_ps(a, _mm_movehl_ps(a, a));
        a = _mm_add_ss(a, _mm_shuffle_ps(a, a, 1));
        return _mm_cvtss_f32(a);
    }
    COLIVE_TARGET_AVX2 static float hmax(F v) {
        __m128 a = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        a = _mm_max_ps(a, _mm_movehl_ps(a, a));
        a = _mm_max_ss(a, _mm_shuffle_ps(a, a, 1));
        return _mm_cvtss_f32(a);
    }
    // The four sums of a, b, c, d as {sum a, sum b, sum c, sum d}.
    COLIVE_TARGET_AVX2 static __m128 sum4(F a, F b, F c, F d) {
        const __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
        return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
    }
    // bf16 weights: I holds 2 W bf16 values, W 32-bit lanes of two each (element 2k in the low
    // half of lane k). even() widens elements 0, 2, 4, ... exactly, odd() elements 1, 3, 5, ...
    using I = __m256i;
    COLIVE_TARGET_AVX2 static I load_bf16(const std::uint16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
    COLIVE_TARGET_AVX2 static F even(I v) { return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)); }
    COLIVE_TARGET_AVX2 static F odd(I v) { return _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32(int(0xffff0000u)))); }
    COLIVE_TARGET_AVX2 static Nan no_nan() { return _mm256_setzero_ps(); }
    COLIVE_TARGET_AVX2 static Nan note_nan(Nan seen, F x) { return _mm256_or_ps(seen, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); }
    COLIVE_TARGET_AVX2 static bool any_nan(Nan seen) { return _mm256_movemask_ps(seen) != 0; }
};

struct Avx512 {
    using F = __m512;
    using Nan = __mmask16;
    static constexpr int W = 16;
    COLIVE_TARGET_AVX512 static F zero() { return _mm512_setzero_ps(); }
    COLIVE_TARGET_AVX512 static F set1(float v) { return _mm512_set1_ps(v); }
    COLIVE_TARGET_AVX512 static F load(const float* p) { return _mm512_loadu_ps(p); }
    COLIVE_TARGET_AVX512 static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
    static __mmask16 first(int n) { return __mmask16((1u << n) - 1u); }
    COLIVE_TARGET_AVX512 static F load_first(const float* p, int n, float fill) {
        return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), first(n), p);
    }
    COLIVE_TARGET_AVX512 static void store_first(float* p, F v, int n) { _mm512_mask_storeu_ps(p, first(n), v); }
    COLIVE_TARGET_AVX512 static F keep_first(F v, int n) { return _mm512_maskz_mov_ps(first(n), v); }
    COLIVE_TARGET_AVX512 static F add(F a, F b) { return _mm512_add_ps(a, b); }
    COLIVE_TARGET_AVX512 static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
    COLIVE_TARGET_AVX512 static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
    COLIVE_TARGET_AVX512 static F max(F a, F b) { return _mm512_max_ps(a, b); }
    COLIVE_TARGET_AVX512 static F min(F a, F b) { return _mm512_min_ps(a, b); }
    COLIVE_TARGET_AVX512 static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
    COLIVE_TARGET_AVX512 static F fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
    COLIVE_TARGET_AVX512 static F round(F x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
    COLIVE_TARGET_AVX512 static F scale2(F p, F n) { return _mm512_scalef_ps(p, n); }
    COLIVE_TARGET_AVX512 static float sum(F v) { return _mm512_reduce_add_ps(v); }
    COLIVE_TARGET_AVX512 static float hmax(F v) { return _mm512_reduce_max_ps(v); }
    COLIVE_TARGET_AVX512 static __m256 halves(F v) {
        return _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    }
    COLIVE_TARGET_AVX512 static __m128 sum4(F a, F b, F c, F d) { return Avx2::sum4(halves(a), halves(b), halves(c), halves(d)); }
    using I = __m512i;
    COLIVE_TARGET_AVX512 static I load_bf16(const std::uint16_t* p) { return _mm512_loadu_si512(p); }
    COLIVE_TARGET_AVX512 static F even(I v) { return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16)); }
    COLIVE_TARGET_AVX512 static F odd(I v) { return _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32(int(0xffff0000u)))); }
    static Nan no_nan() { return 0; }
    COLIVE_TARGET_AVX512 static Nan note_nan(Nan seen, F x) { return Nan(seen | _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q)); }
    static bool any_nan(Nan seen) { return seen != 0; }
};

}  // namespace colive::simd

#endif  // COLIVE_SIMD_X86
