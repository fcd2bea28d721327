// SPDX-License-Identifier: MIT
// The continual path's matrix-vector products y = W x + b, with the instruction set chosen once at
// run time (the default build stays baseline x86-64; the AVX2+FMA and AVX-512F kernels are one
// source, gemv_simd.inc, over the vector traits of simd.h, compiled once per instruction set and
// only called when the CPU and OS support it).
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
#include "simd.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string_view>


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

#if COLIVE_SIMD_X86
// ---- shared by the AVX2 and AVX-512 kernels ----------------------------------------------------
// y[r0 + k * step] = s[k] (+ b[r0 + k * step]), k = 0..3 (SSE: baseline x86-64).
inline void put4(__m128 s, const float* b, float* y, int r0, int step) {
    if (step == 1) {
        if (b) s = _mm_add_ps(s, _mm_loadu_ps(b + r0));
        _mm_storeu_ps(y + r0, s);
        return;
    }
    alignas(16) float t[4];
    _mm_store_ps(t, s);
    for (int k = 0; k < 4; ++k) y[r0 + k * step] = b ? t[k] + b[r0 + k * step] : t[k];
}

// bf16 columns [from, cols) of one row in natural order (widening 8 at a time, then one by one).
COLIVE_TARGET_AVX2 inline float bf16_tail(const std::uint16_t* wr, int from, int cols, const float* x) {
    __m256 a = _mm256_setzero_ps();
    int c = from;
    for (; c + 8 <= cols; c += 8) {
        const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wr + c)));
        a = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(v, 16)), _mm256_loadu_ps(x + c), a);
    }
    float s = simd::Avx2::sum(a);
    for (; c < cols; ++c) s += bf16_to_f32(wr[c]) * x[c];
    return s;
}

// Row groups of four up to kNarrow columns are adjacent rows, wider ones rows a quarter apart.
constexpr int kNarrow = 512;

// The kernels of gemv_simd.inc for each instruction set: avx2::f32/bf16, avx512::f32/bf16 (simd.h).
#define COLIVE_SIMD_KERNELS "gemv_simd.inc"
#include "simd_instantiate.inc"
#undef COLIVE_SIMD_KERNELS
#endif  // COLIVE_SIMD_X86

bool cpu_has(Isa isa) {
    switch (isa) {
        case Isa::Scalar: return true;
#if COLIVE_SIMD_X86
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
#if COLIVE_SIMD_X86
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
#if COLIVE_SIMD_X86
        case Isa::Avx512: avx512::f32(w, rows, cols, x, b, y, part, parts); return;
        case Isa::Avx2: avx2::f32(w, rows, cols, x, b, y, part, parts); return;
#endif
        default: f32_scalar(w, rows, cols, x, b, y, part); return;
    }
}

void bf16(const std::uint16_t* w, int rows, int cols, const float* x, const float* b, float* y, int part, int parts) {
    switch (current()) {
#if COLIVE_SIMD_X86
        case Isa::Avx512: avx512::bf16(w, rows, cols, x, b, y, part, parts); return;
        case Isa::Avx2: avx2::bf16(w, rows, cols, x, b, y, part, parts); return;
#endif
        default: bf16_scalar(w, rows, cols, x, b, y, part, parts); return;
    }
}

}  // namespace colive::gemv

namespace colive {
const char* gemv_kernel_name() { return gemv::name(gemv::active()); }
}  // namespace colive
