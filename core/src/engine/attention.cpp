// SPDX-License-Identifier: MIT
// Single-query attention over the transposed key/value caches of the continual path (every head of
// one new token), with the instruction set of the GEMV kernels (gemv.cpp: chosen once at run time,
// capped by COLIVE_GEMV; the default build stays baseline x86-64).
//
// Keys and values are (d x nk) blocks, row stride ld: head hh is rows hh*dh ... hh*dh+dh-1, column j
// is cached token j. Scores of a head are q_h^T K_h: the query's dh values broadcast against
// contiguous key rows, vectorised over the keys; outputs are dh dot products of the softmax weights
// with contiguous value rows. Nothing of size nk x nk exists, and nothing is allocated.
#include "engine_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define COLIVE_ATT_X86 1
#else
#define COLIVE_ATT_X86 0
#endif

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

#if COLIVE_ATT_X86
#define COLIVE_AVX2 __attribute__((target("avx2,fma")))
#define COLIVE_AVX512 __attribute__((target("avx512f,avx2,fma")))

inline __mmask16 mask16(int left) { return left >= 16 ? __mmask16(0xffff) : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1u); }

COLIVE_AVX512 void scores_avx512(const float* q, const float* KT, int h, int dh, int nk, int ld, float* S) {
    for (int hh = 0; hh < h; ++hh) {
        const float* Kh = KT + std::size_t(hh) * std::size_t(dh) * std::size_t(ld);
        const float* qh = q + hh * dh;
        float* s = S + std::size_t(hh) * std::size_t(nk);
        for (int j = 0; j < nk; j += 64) {   // four 16-key blocks in flight
            const __mmask16 m0 = mask16(nk - j), m1 = mask16(nk - j - 16), m2 = mask16(nk - j - 32), m3 = mask16(nk - j - 48);
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < dh; ++c) {
                const float* kr = Kh + std::size_t(c) * std::size_t(ld) + j;
                const __m512 qc = _mm512_set1_ps(qh[c]);
                a0 = _mm512_fmadd_ps(qc, _mm512_maskz_loadu_ps(m0, kr), a0);
                a1 = _mm512_fmadd_ps(qc, _mm512_maskz_loadu_ps(m1, kr + 16), a1);
                a2 = _mm512_fmadd_ps(qc, _mm512_maskz_loadu_ps(m2, kr + 32), a2);
                a3 = _mm512_fmadd_ps(qc, _mm512_maskz_loadu_ps(m3, kr + 48), a3);
            }
            _mm512_mask_storeu_ps(s + j, m0, a0);
            _mm512_mask_storeu_ps(s + j + 16, m1, a1);
            _mm512_mask_storeu_ps(s + j + 32, m2, a2);
            _mm512_mask_storeu_ps(s + j + 48, m3, a3);
        }
    }
}

COLIVE_AVX512 void outputs_avx512(const float* S, const float* VT, int h, int dh, int nk, int ld, float* out) {
    const __mmask16 tail = mask16(nk % 16);
    const int full = nk - nk % 16;
    for (int hh = 0; hh < h; ++hh) {
        const float* Vh = VT + std::size_t(hh) * std::size_t(dh) * std::size_t(ld);
        const float* p = S + std::size_t(hh) * std::size_t(nk);
        for (int c = 0; c < dh; ++c) {
            const float* vr = Vh + std::size_t(c) * std::size_t(ld);
            __m512 a0 = _mm512_setzero_ps(), a1 = a0;
            int j = 0;
            for (; j + 32 <= full; j += 32) {
                a0 = _mm512_fmadd_ps(_mm512_loadu_ps(p + j), _mm512_loadu_ps(vr + j), a0);
                a1 = _mm512_fmadd_ps(_mm512_loadu_ps(p + j + 16), _mm512_loadu_ps(vr + j + 16), a1);
            }
            for (; j < full; j += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(p + j), _mm512_loadu_ps(vr + j), a0);
            if (j < nk) a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, p + j), _mm512_maskz_loadu_ps(tail, vr + j), a1);
            out[hh * dh + c] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
        }
    }
}

COLIVE_AVX2 inline float hsum(__m256 v) {
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_shuffle_ps(a, a, 1));
    return _mm_cvtss_f32(a);
}

COLIVE_AVX2 void scores_avx2(const float* q, const float* KT, int h, int dh, int nk, int ld, float* S) {
    const int full = nk - nk % 8;
    for (int hh = 0; hh < h; ++hh) {
        const float* Kh = KT + std::size_t(hh) * std::size_t(dh) * std::size_t(ld);
        const float* qh = q + hh * dh;
        float* s = S + std::size_t(hh) * std::size_t(nk);
        int j = 0;
        for (; j + 32 <= full; j += 32) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < dh; ++c) {
                const float* kr = Kh + std::size_t(c) * std::size_t(ld) + j;
                const __m256 qc = _mm256_set1_ps(qh[c]);
                a0 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(kr), a0);
                a1 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(kr + 8), a1);
                a2 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(kr + 16), a2);
                a3 = _mm256_fmadd_ps(qc, _mm256_loadu_ps(kr + 24), a3);
            }
            _mm256_storeu_ps(s + j, a0);
            _mm256_storeu_ps(s + j + 8, a1);
            _mm256_storeu_ps(s + j + 16, a2);
            _mm256_storeu_ps(s + j + 24, a3);
        }
        for (; j < full; j += 8) {
            __m256 a0 = _mm256_setzero_ps();
            for (int c = 0; c < dh; ++c)
                a0 = _mm256_fmadd_ps(_mm256_set1_ps(qh[c]), _mm256_loadu_ps(Kh + std::size_t(c) * std::size_t(ld) + j), a0);
            _mm256_storeu_ps(s + j, a0);
        }
        for (; j < nk; ++j) {
            float a = 0.0f;
            for (int c = 0; c < dh; ++c) a += qh[c] * Kh[std::size_t(c) * std::size_t(ld) + std::size_t(j)];
            s[j] = a;
        }
    }
}

COLIVE_AVX2 void outputs_avx2(const float* S, const float* VT, int h, int dh, int nk, int ld, float* out) {
    const int full = nk - nk % 8;
    for (int hh = 0; hh < h; ++hh) {
        const float* Vh = VT + std::size_t(hh) * std::size_t(dh) * std::size_t(ld);
        const float* p = S + std::size_t(hh) * std::size_t(nk);
        for (int c = 0; c < dh; ++c) {
            const float* vr = Vh + std::size_t(c) * std::size_t(ld);
            __m256 a0 = _mm256_setzero_ps(), a1 = a0;
            int j = 0;
            for (; j + 16 <= full; j += 16) {
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + j), _mm256_loadu_ps(vr + j), a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(p + j + 8), _mm256_loadu_ps(vr + j + 8), a1);
            }
            for (; j < full; j += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + j), _mm256_loadu_ps(vr + j), a0);
            float a = hsum(_mm256_add_ps(a0, a1));
            for (; j < nk; ++j) a += p[j] * vr[j];
            out[hh * dh + c] = a;
        }
    }
}
#endif  // COLIVE_ATT_X86

}  // namespace

void attend_one_query(const float* q, const float* KT, const float* VT, int h, int dh, int nk, int ld, int pad, float* S,
                      float* out) {
    switch (gemv::active()) {
#if COLIVE_ATT_X86
        case gemv::Isa::Avx512: scores_avx512(q, KT, h, dh, nk, ld, S); break;
        case gemv::Isa::Avx2: scores_avx2(q, KT, h, dh, nk, ld, S); break;
#endif
        default: scores_scalar(q, KT, h, dh, nk, ld, S); break;
    }
    softmax_rows(S, h, nk, nk, pad);
    switch (gemv::active()) {
#if COLIVE_ATT_X86
        case gemv::Isa::Avx512: outputs_avx512(S, VT, h, dh, nk, ld, out); return;
        case gemv::Isa::Avx2: outputs_avx2(S, VT, h, dh, nk, ld, out); return;
#endif
        default: outputs_scalar(S, VT, h, dh, nk, ld, out); return;
    }
}

}  // namespace colive
