// SPDX-License-Identifier: MIT
// Row-wise softmax of attention scores, with the instruction set of the GEMV kernels (gemv.cpp:
// chosen once at run time, capped by COLIVE_GEMV; the default build stays baseline x86-64). One
// kernel (softmax_simd.inc) over the vector traits of simd.h for AVX2+FMA and AVX-512F; Eigen for
// the rest.
//
// exp is the Cephes single-precision polynomial (the one Eigen's vectorised exp uses too).
// Inputs are scores minus the row maximum, so x <= 0; x is clamped below at ln(FLT_MIN), where the
// term is < 1.2e-38 of the row's largest (which is 1).
#include "engine_internal.h"
#include "simd.h"

#include <cmath>
#include <limits>

namespace colive {

namespace {

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

// The kernels of softmax_simd.inc for each instruction set: avx2::, avx512:: (simd.h).
#define COLIVE_SIMD_KERNELS "softmax_simd.inc"
#include "simd_instantiate.inc"
#undef COLIVE_SIMD_KERNELS

}  // namespace

void softmax_rows(float* S, int r, int c, int ld, int pad) {
    switch (gemv::active()) {
#if COLIVE_SIMD_X86
        case gemv::Isa::Avx512: avx512::rows(S, r, c, ld, pad); return;
        case gemv::Isa::Avx2: avx2::rows(S, r, c, ld, pad); return;
#endif
        default: rows_scalar(S, r, c, ld, pad); return;
    }
}

}  // namespace colive
