// SPDX-License-Identifier: MIT
// The continual path's matrix-vector products y = W x + b, with the instruction set chosen once at
// run time (the default build stays baseline x86-64; the AVX2+FMA and AVX-512 kernels are compiled
// with per-function target attributes and only called when the CPU and OS support them).
//
// A single-output step reads every weight exactly once, so at the OadTR-like size (25 MB of
// float32 weights) it is bound by the bandwidth of the cache hierarchy: the kernels stream one row
// at a time, front to back, with several independent accumulators, and no weight is read twice.
//
// bf16 weights: a bf16 value is the upper 16 bits of the float32 with the same value, so widening
// is exact (shift left by 16). A 32-bit lane holding two bf16 values w0 (low half) and w1 (high
// half) gives float(w0) = lane << 16 and float(w1) = lane & 0xffff0000: the even and the odd
// elements of a 32-element block come out of one load with one shift and one AND. x is permuted
// once per call to match (evens then odds per block of 32), so every product is w * x in float32,
// accumulated in float32; only the summation order differs from the float32 kernel.
#include "engine_internal.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define COLIVE_GEMV_X86 1
#else
#define COLIVE_GEMV_X86 0
#endif

namespace colive::gemv {

namespace {

inline float bf16_to_f32(std::uint16_t h) {
    const std::uint32_t u = std::uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

// Columns permuted per call into a stack buffer (8 KiB); wider rows are processed in chunks.
constexpr int kChunk = 2048;

// Evens then odds of every full block of 32 columns of x[0, len).
inline void permute_x(const float* x, int len, float* xs) {
    for (int blk = 0; blk < len; blk += 32)
        for (int j = 0; j < 16; ++j) {
            xs[blk + j] = x[blk + 2 * j];
            xs[blk + 16 + j] = x[blk + 2 * j + 1];
        }
}

// Part `part` of `parts` of a call (SplitPool): a range of whole units (groups of four rows in the
// rows4 kernels, single rows elsewhere); the last part also takes the rows left after the groups.
struct Part {
    int u0, u1;
    bool last;
};
inline Part part_of(int units, int part, int parts) {
    return {int(std::int64_t(units) * part / parts), int(std::int64_t(units) * (part + 1) / parts), part == parts - 1};
}

// ---- portable --------------------------------------------------------------------------------
void f32_scalar(const float* w, int rows, int cols, const float* x, const float* b, float* y, int part) {
    // Eigen's GEMV (SSE2 in the baseline build). Not split (its row blocking would change the sums).
    if (part != 0) return;
    VecMap out(y, rows);
    out.noalias() = ConstRowMatMap(w, rows, cols, Eigen::OuterStride<>(cols)) * ConstVecMap(x, cols);
    if (b) out += ConstVecMap(b, rows);
}

void bf16_scalar(const std::uint16_t* w, int rows, int cols, const float* x, const float* b, float* y, int part,
                 int parts) {
    const Part P = part_of(rows, part, parts);
    for (int r = P.u0; r < P.u1; ++r) {
        const std::uint16_t* wr = w + std::size_t(r) * std::size_t(cols);
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int c = 0;
        for (; c + 8 <= cols; c += 8)
            for (int j = 0; j < 8; ++j) acc[j] += bf16_to_f32(wr[c + j]) * x[c + j];
        float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; c < cols; ++c) s += bf16_to_f32(wr[c]) * x[c];
        y[r] = b ? s + b[r] : s;
    }
}

#if COLIVE_GEMV_X86
// ---- AVX2 + FMA ------------------------------------------------------------------------------
#define COLIVE_AVX2 __attribute__((target("avx2,fma")))
#define COLIVE_AVX512 __attribute__((target("avx512f,avx2,fma")))

COLIVE_AVX2 inline float hsum256(__m256 v) {
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_shuffle_ps(a, a, 1));
    return _mm_cvtss_f32(a);
}

// The four horizontal sums of a, b, c, d as one vector {sum a, sum b, sum c, sum d}.
COLIVE_AVX2 inline __m128 hsum4x256(__m256 a, __m256 b, __m256 c, __m256 d) {
    const __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// y[r0 + k * step] = s[k] (+ b[r0 + k * step]), k = 0..3.
COLIVE_AVX2 inline void put4(__m128 s, const float* b, float* y, int r0, int step) {
    if (step == 1) {
        if (b) s = _mm_add_ps(s, _mm_loadu_ps(b + r0));
        _mm_storeu_ps(y + r0, s);
        return;
    }
    alignas(16) float t[4];
    _mm_store_ps(t, s);
    for (int k = 0; k < 4; ++k) y[r0 + k * step] = b ? t[k] + b[r0 + k * step] : t[k];
}

// Four rows at a time, sharing the x loads and one combined horizontal reduction, in one of two
// orders (rows = 4 q + rest; the last `rest` rows go one by one):
//  - narrow matrices (cols < kNarrow; cache-resident, so arithmetic and per-row overhead matter):
//    rows 4g .. 4g+3 together;
//  - wide ones (the OadTR-size weights, streamed from L3 or memory): rows g, g+q, g+2q, g+3q, i.e.
//    four sequential streams a quarter of the matrix apart. Measured on the OadTR-like step (Zen 4,
//    float32, 2 MiB pages): 0.476-0.511 ms vs 0.533-0.613 ms for one row at a time.
constexpr int kNarrow = 512;

COLIVE_AVX2 inline float f32_row_avx2(const float* wr, int cols, const float* x) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int c = 0;
    for (; c + 32 <= cols; c += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(wr + c), _mm256_loadu_ps(x + c), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(wr + c + 8), _mm256_loadu_ps(x + c + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(wr + c + 16), _mm256_loadu_ps(x + c + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(wr + c + 24), _mm256_loadu_ps(x + c + 24), a3);
    }
    for (; c + 8 <= cols; c += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(wr + c), _mm256_loadu_ps(x + c), a0);
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; c < cols; ++c) s += wr[c] * x[c];
    return s;
}

COLIVE_AVX2 void f32_avx2_rows4(const float* w, int rows, int cols, const float* x, const float* b, float* y, bool wide,
                      int part, int parts) {
    const int q = rows / 4, step = wide ? q : 1;
    const std::size_t jump = std::size_t(step) * std::size_t(cols);
    const Part P = part_of(q, part, parts);
    for (int g = P.u0; g < P.u1; ++g) {
        const int r = wide ? g : 4 * g;
        const float* w0 = w + std::size_t(r) * std::size_t(cols);
        const float* w1 = w0 + jump;
        const float* w2 = w1 + jump;
        const float* w3 = w2 + jump;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (; c + 8 <= cols; c += 8) {
            const __m256 xv = _mm256_loadu_ps(x + c);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), xv, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c), xv, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c), xv, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c), xv, a3);
        }
        __m128 s = hsum4x256(a0, a1, a2, a3);
        if (c < cols) {
            alignas(16) float t[4] = {0, 0, 0, 0};
            for (; c < cols; ++c) {
                t[0] += w0[c] * x[c];
                t[1] += w1[c] * x[c];
                t[2] += w2[c] * x[c];
                t[3] += w3[c] * x[c];
            }
            s = _mm_add_ps(s, _mm_load_ps(t));
        }
        put4(s, b, y, r, step);
    }
    for (int r = P.last ? 4 * q : rows; r < rows; ++r) {
        const float s = f32_row_avx2(w + std::size_t(r) * std::size_t(cols), cols, x);
        y[r] = b ? s + b[r] : s;
    }
}

COLIVE_AVX2 void f32_avx2(const float* w, int rows, int cols, const float* x, const float* b, float* y, int part, int parts) {
    f32_avx2_rows4(w, rows, cols, x, b, y, cols >= kNarrow, part, parts);
}

// Rows of w restricted to columns [c0, c0 + len), len a multiple of 32, against the permuted xs.
COLIVE_AVX2 inline float bf16_dot_avx2(const std::uint16_t* wr, int len, const float* xs) {
    const __m256i hi = _mm256_set1_epi32(int(0xffff0000u));
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int c = 0; c < len; c += 32) {
        const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + c));
        const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + c + 16));
        // v0 holds elements 0..15 of the block: evens -> xs[c..c+8), odds -> xs[c+16..c+24).
        a0 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(v0, 16)), _mm256_loadu_ps(xs + c), a0);
        a1 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(v0, hi)), _mm256_loadu_ps(xs + c + 16), a1);
        a2 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(v1, 16)), _mm256_loadu_ps(xs + c + 8), a2);
        a3 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(v1, hi)), _mm256_loadu_ps(xs + c + 24), a3);
    }
    return hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
}

// Columns [from, cols) in natural order (widening 8 at a time, then one by one).
COLIVE_AVX2 inline float bf16_tail_avx2(const std::uint16_t* wr, int from, int cols, const float* x) {
    __m256 a = _mm256_setzero_ps();
    int c = from;
    for (; c + 8 <= cols; c += 8) {
        const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wr + c)));
        a = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(v, 16)), _mm256_loadu_ps(x + c), a);
    }
    float s = hsum256(a);
    for (; c < cols; ++c) s += bf16_to_f32(wr[c]) * x[c];
    return s;
}

// Four rows at a time as f32_avx2_rows4 (cols <= kChunk, so one permuted chunk covers them).
COLIVE_AVX2 void bf16_avx2_rows4(const std::uint16_t* w, int rows, int cols, const float* x, const float* xs, int part, int parts,
                                 int full, const float* b, float* y, bool wide) {
    const __m256i hi = _mm256_set1_epi32(int(0xffff0000u));
    const int q = rows / 4, step = wide ? q : 1;
    const Part P = part_of(q, part, parts);
    for (int g = P.u0; g < P.u1; ++g) {
        const int r = wide ? g : 4 * g;
        const std::uint16_t* wk[4];
        for (int k = 0; k < 4; ++k) wk[k] = w + std::size_t(r + k * step) * std::size_t(cols);
        __m256 e[4], o[4];
        for (int k = 0; k < 4; ++k) e[k] = o[k] = _mm256_setzero_ps();
        for (int c = 0; c < full; c += 16) {
            // 16 elements starting at c: evens -> xs[blk + h .. +8), odds -> xs[blk + 16 + h .. +8)
            const int blk = c & ~31, h = (c & 16) >> 1;
            const __m256 xe = _mm256_loadu_ps(xs + blk + h), xo = _mm256_loadu_ps(xs + blk + 16 + h);
            for (int k = 0; k < 4; ++k) {
                const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wk[k] + c));
                e[k] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(v, 16)), xe, e[k]);
                o[k] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(v, hi)), xo, o[k]);
            }
        }
        __m128 sum = hsum4x256(_mm256_add_ps(e[0], o[0]), _mm256_add_ps(e[1], o[1]), _mm256_add_ps(e[2], o[2]),
                               _mm256_add_ps(e[3], o[3]));
        if (full < cols) {
            alignas(16) float t[4];
            for (int k = 0; k < 4; ++k) t[k] = bf16_tail_avx2(wk[k], full, cols, x);
            sum = _mm_add_ps(sum, _mm_load_ps(t));
        }
        put4(sum, b, y, r, step);
    }
    for (int r = P.last ? 4 * q : rows; r < rows; ++r) {
        const std::uint16_t* wr = w + std::size_t(r) * std::size_t(cols);
        const float s = bf16_dot_avx2(wr, full, xs) + bf16_tail_avx2(wr, full, cols, x);
        y[r] = b ? s + b[r] : s;
    }
}

COLIVE_AVX2 void bf16_avx2(const std::uint16_t* w, int rows, int cols, const float* x, const float* b, float* y, int part,
                int parts) {
    alignas(64) float xs[kChunk];
    const int full = cols / 32 * 32;
    const int first = std::min(full, kChunk);
    permute_x(x, first, xs);
    if (cols <= kChunk) return bf16_avx2_rows4(w, rows, cols, x, xs, part, parts, full, b, y, cols >= kNarrow);
    const Part P = part_of(rows, part, parts);
    for (int r = P.u0; r < P.u1; ++r) {
        const std::uint16_t* wr = w + std::size_t(r) * std::size_t(cols);
        const float s = bf16_dot_avx2(wr, first, xs) + bf16_tail_avx2(wr, full, cols, x);
        y[r] = b ? s + b[r] : s;
    }
    for (int c0 = first; c0 < full; c0 += kChunk) {   // rows wider than kChunk columns
        const int len = std::min(kChunk, full - c0);
        permute_x(x + c0, len, xs);
        for (int r = P.u0; r < P.u1; ++r) y[r] += bf16_dot_avx2(w + std::size_t(r) * std::size_t(cols) + c0, len, xs);
    }
}

// ---- AVX-512F --------------------------------------------------------------------------------
COLIVE_AVX512 inline __m256 half_sum(__m512 v) {
    return _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

COLIVE_AVX512 inline float f32_row_avx512(const float* wr, int cols, const float* x) {
    const int rem = cols % 16;
    const __mmask16 tail = __mmask16((1u << rem) - 1u);
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int c = 0;
    for (; c + 64 <= cols; c += 64) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(wr + c), _mm512_loadu_ps(x + c), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(wr + c + 16), _mm512_loadu_ps(x + c + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(wr + c + 32), _mm512_loadu_ps(x + c + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(wr + c + 48), _mm512_loadu_ps(x + c + 48), a3);
    }
    for (; c + 16 <= cols; c += 16) a1 = _mm512_fmadd_ps(_mm512_loadu_ps(wr + c), _mm512_loadu_ps(x + c), a1);
    if (rem) a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, wr + c), _mm512_maskz_loadu_ps(tail, x + c), a2);
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

COLIVE_AVX512 void f32_avx512_rows4(const float* w, int rows, int cols, const float* x, const float* b, float* y, bool wide,
                      int part, int parts) {
    const int rem = cols % 16;
    const __mmask16 tail = __mmask16((1u << rem) - 1u);
    const int q = rows / 4, step = wide ? q : 1;
    const std::size_t jump = std::size_t(step) * std::size_t(cols);
    const Part P = part_of(q, part, parts);
    for (int g = P.u0; g < P.u1; ++g) {
        const int r = wide ? g : 4 * g;
        const float* w0 = w + std::size_t(r) * std::size_t(cols);
        const float* w1 = w0 + jump;
        const float* w2 = w1 + jump;
        const float* w3 = w2 + jump;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (; c + 16 <= cols; c += 16) {
            const __m512 xv = _mm512_loadu_ps(x + c);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + c), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + c), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + c), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + c), xv, a3);
        }
        if (rem) {
            const __m512 xv = _mm512_maskz_loadu_ps(tail, x + c);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w0 + c), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w1 + c), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w2 + c), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w3 + c), xv, a3);
        }
        put4(hsum4x256(half_sum(a0), half_sum(a1), half_sum(a2), half_sum(a3)), b, y, r, step);
    }
    for (int r = P.last ? 4 * q : rows; r < rows; ++r) {
        const float s = f32_row_avx512(w + std::size_t(r) * std::size_t(cols), cols, x);
        y[r] = b ? s + b[r] : s;
    }
}

COLIVE_AVX512 void f32_avx512(const float* w, int rows, int cols, const float* x, const float* b, float* y, int part, int parts) {
    f32_avx512_rows4(w, rows, cols, x, b, y, cols >= kNarrow, part, parts);
}

COLIVE_AVX512 inline float bf16_dot_avx512(const std::uint16_t* wr, int len, const float* xs) {
    const __m512i hi = _mm512_set1_epi32(int(0xffff0000u));
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int c = 0;
    for (; c + 64 <= len; c += 64) {
        const __m512i v0 = _mm512_loadu_si512(wr + c);
        const __m512i v1 = _mm512_loadu_si512(wr + c + 32);
        a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v0, 16)), _mm512_loadu_ps(xs + c), a0);
        a1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v0, hi)), _mm512_loadu_ps(xs + c + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v1, 16)), _mm512_loadu_ps(xs + c + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v1, hi)), _mm512_loadu_ps(xs + c + 48), a3);
    }
    if (c < len) {   // one more block of 32
        const __m512i v0 = _mm512_loadu_si512(wr + c);
        a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v0, 16)), _mm512_loadu_ps(xs + c), a0);
        a1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v0, hi)), _mm512_loadu_ps(xs + c + 16), a1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

COLIVE_AVX512 void bf16_avx512_rows4(const std::uint16_t* w, int rows, int cols, const float* x, const float* xs, int part, int parts,
                                     int full, const float* b, float* y, bool wide) {
    const __m512i hi = _mm512_set1_epi32(int(0xffff0000u));
    const int q = rows / 4, step = wide ? q : 1;
    const Part P = part_of(q, part, parts);
    for (int g = P.u0; g < P.u1; ++g) {
        const int r = wide ? g : 4 * g;
        const std::uint16_t* wk[4];
        for (int k = 0; k < 4; ++k) wk[k] = w + std::size_t(r + k * step) * std::size_t(cols);
        __m512 e[4], o[4];
        for (int k = 0; k < 4; ++k) e[k] = o[k] = _mm512_setzero_ps();
        for (int c = 0; c < full; c += 32) {
            const __m512 xe = _mm512_loadu_ps(xs + c), xo = _mm512_loadu_ps(xs + c + 16);
            for (int k = 0; k < 4; ++k) {
                const __m512i v = _mm512_loadu_si512(wk[k] + c);
                e[k] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v, 16)), xe, e[k]);
                o[k] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v, hi)), xo, o[k]);
            }
        }
        __m128 sum = hsum4x256(half_sum(_mm512_add_ps(e[0], o[0])), half_sum(_mm512_add_ps(e[1], o[1])),
                               half_sum(_mm512_add_ps(e[2], o[2])), half_sum(_mm512_add_ps(e[3], o[3])));
        if (full < cols) {
            alignas(16) float t[4];
            for (int k = 0; k < 4; ++k) t[k] = bf16_tail_avx2(wk[k], full, cols, x);
            sum = _mm_add_ps(sum, _mm_load_ps(t));
        }
        put4(sum, b, y, r, step);
    }
    for (int r = P.last ? 4 * q : rows; r < rows; ++r) {
        const std::uint16_t* wr = w + std::size_t(r) * std::size_t(cols);
        const float s = bf16_dot_avx512(wr, full, xs) + bf16_tail_avx2(wr, full, cols, x);
        y[r] = b ? s + b[r] : s;
    }
}

COLIVE_AVX512 void bf16_avx512(const std::uint16_t* w, int rows, int cols, const float* x, const float* b, float* y, int part,
                int parts) {
    alignas(64) float xs[kChunk];
    const int full = cols / 32 * 32;
    const int first = std::min(full, kChunk);
    permute_x(x, first, xs);
    if (cols <= kChunk) return bf16_avx512_rows4(w, rows, cols, x, xs, part, parts, full, b, y, cols >= kNarrow);
    const Part P = part_of(rows, part, parts);
    for (int r = P.u0; r < P.u1; ++r) {
        const std::uint16_t* wr = w + std::size_t(r) * std::size_t(cols);
        const float s = bf16_dot_avx512(wr, first, xs) + bf16_tail_avx2(wr, full, cols, x);
        y[r] = b ? s + b[r] : s;
    }
    for (int c0 = first; c0 < full; c0 += kChunk) {
        const int len = std::min(kChunk, full - c0);
        permute_x(x + c0, len, xs);
        for (int r = P.u0; r < P.u1; ++r) y[r] += bf16_dot_avx512(w + std::size_t(r) * std::size_t(cols) + c0, len, xs);
    }
}
#endif  // COLIVE_GEMV_X86

bool cpu_has(Isa isa) {
    switch (isa) {
        case Isa::Scalar: return true;
#if COLIVE_GEMV_X86
        case Isa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case Isa::Avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
        default: return false;
#endif
    }
    return false;
}

Isa detect() {
#if COLIVE_GEMV_X86
    __builtin_cpu_init();
#endif
    Isa best = cpu_has(Isa::Avx512) ? Isa::Avx512 : cpu_has(Isa::Avx2) ? Isa::Avx2 : Isa::Scalar;
    // COLIVE_GEMV=scalar|avx2|avx512 caps the choice (benchmarks, and to rule the kernels out).
    if (const char* env = std::getenv("COLIVE_GEMV")) {
        const std::string_view v(env);
        const Isa want = v == "scalar" ? Isa::Scalar : v == "avx2" ? Isa::Avx2 : Isa::Avx512;
        if (int(want) < int(best)) best = want;
    }
    return best;
}

std::atomic<int> g_active{-1};

inline Isa current() {
    int v = g_active.load(std::memory_order_relaxed);
    if (v < 0) {
        v = int(detect());
        g_active.store(v, std::memory_order_relaxed);
    }
    return Isa(v);
}

}  // namespace

Isa best_supported() {
    return cpu_has(Isa::Avx512) ? Isa::Avx512 : cpu_has(Isa::Avx2) ? Isa::Avx2 : Isa::Scalar;
}

Isa active() { return current(); }

bool set_active(Isa isa) {
    if (!cpu_has(isa)) return false;
    g_active.store(int(isa), std::memory_order_relaxed);
    return true;
}

const char* name(Isa isa) {
    switch (isa) {
        case Isa::Scalar: return "scalar (Eigen, baseline x86-64)";
        case Isa::Avx2: return "AVX2+FMA";
        case Isa::Avx512: return "AVX-512F";
    }
    return "?";
}

void f32(const float* w, int rows, int cols, const float* x, const float* b, float* y, int part, int parts) {
    switch (current()) {
#if COLIVE_GEMV_X86
        case Isa::Avx512: f32_avx512(w, rows, cols, x, b, y, part, parts); return;
        case Isa::Avx2: f32_avx2(w, rows, cols, x, b, y, part, parts); return;
#endif
        default: f32_scalar(w, rows, cols, x, b, y, part); return;
    }
}

void bf16(const std::uint16_t* w, int rows, int cols, const float* x, const float* b, float* y, int part, int parts) {
    switch (current()) {
#if COLIVE_GEMV_X86
        case Isa::Avx512: bf16_avx512(w, rows, cols, x, b, y, part, parts); return;
        case Isa::Avx2: bf16_avx2(w, rows, cols, x, b, y, part, parts); return;
#endif
        default: bf16_scalar(w, rows, cols, x, b, y, part, parts); return;
    }
}

}  // namespace colive::gemv

namespace colive {
const char* gemv_kernel_name() { return gemv::name(gemv::active()); }
}  // namespace colive
