// SPDX-License-Identifier: MIT
// Single-query attention over the transposed key/value caches of the continual path (every head of
// one new token), with the instruction set of the GEMV kernels (gemv.cpp: chosen once at run time,
// capped by COLIVE_GEMV; the default build stays baseline x86-64).
//
// Keys and values are (d x nk) blocks, row stride ld: head hh is rows hh*dh ... hh*dh+dh-1, column j
// is cached token j. Scores of a head are q_h^T K_h: the query's dh values broadcast against
// contiguous key rows, vectorised over the keys; outputs are dh dot products of the softmax weights
// with contiguous value rows. Nothing of size nk x nk exists, and nothing is allocated. The AVX2+FMA
// and AVX-512F kernels are one source, attention_simd.inc, over the vector traits of simd.h.
#include "engine_internal.h"
#include "simd.h"

#include <algorithm>

namespace colive {

namespace {

void scores_scalar(const float* q, const float* KT, int h, int dh, int nk, int ld, float* S) {
    for (int hh = 0; hh < h; ++hh) {
        ConstRowMatMap Kh(KT + std::size_t(hh) * std::size_t(dh) * std::size_t(ld), dh, nk, Eigen::OuterStride<>(ld));
        Eigen::Map<Eigen::RowVectorXf> srow(S + std::size_t(hh) * std::size_t(nk), nk);
        srow.noalias() = Eigen::Map<const Eigen::RowVectorXf>(q + hh * dh, dh) * Kh;
    }
}

void outputs_scalar(const float* S, const float* VT, int h, int dh, int nk, int ld, float* out) {
    for (int hh = 0; hh < h; ++hh) {
        ConstRowMatMap Vh(VT + std::size_t(hh) * std::size_t(dh) * std::size_t(ld), dh, nk, Eigen::OuterStride<>(ld));
        VecMap o(out + hh * dh, dh);
        o.noalias() = Vh * ConstVecMap(S + std::size_t(hh) * std::size_t(nk), nk);
    }
}

// The kernels of attention_simd.inc for each instruction set: avx2::, avx512:: (simd.h).
#define COLIVE_SIMD_KERNELS "attention_simd.inc"
#include "simd_instantiate.inc"
#undef COLIVE_SIMD_KERNELS

}  // namespace

void attend_one_query(const float* q, const float* KT, const float* VT, int h, int dh, int nk, int ld, int pad, float* S,
                      float* out) {
    switch (gemv::active()) {
#if COLIVE_SIMD_X86
        case gemv::Isa::Avx512: avx512::scores(q, KT, h, dh, nk, ld, S); break;
        case gemv::Isa::Avx2: avx2::scores(q, KT, h, dh, nk, ld, S); break;
#endif
        default: scores_scalar(q, KT, h, dh, nk, ld, S); break;
    }
    softmax_rows(S, h, nk, nk, pad);
    switch (gemv::active()) {
#if COLIVE_SIMD_X86
        case gemv::Isa::Avx512: avx512::outputs(S, VT, h, dh, nk, ld, out); return;
        case gemv::Isa::Avx2: avx2::outputs(S, VT, h, dh, nk, ld, out); return;
#endif
        default: outputs_scalar(S, VT, h, dh, nk, ld, out); return;
    }
}

}  // namespace colive
