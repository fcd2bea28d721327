// SPDX-License-Identifier: MIT
// Maths kernels of the engine: aligned storage, the GEMV entry point, LayerNorm, activations.
// Nothing here allocates after construction. The GEMMs are in gemm.cpp, the GEMV kernels in gemv.cpp.
#include "engine_internal.h"

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace colive {

// ---------------------------------------------------------------------------------------------
AlignedFloats::AlignedFloats(std::size_t count) : m_size(count) {
    std::size_t bytes = padded(count == 0 ? 1 : count) * sizeof(float);
    std::size_t align = 64;
#ifdef __linux__
    // Large blocks (the model's weights) go on 2 MiB transparent huge pages where the kernel allows
    // it (THP "madvise" mode): a continual step streams every weight once, and with 4 KiB pages
    // the 25 MB of OadTR-size weights cost ~6000 TLB misses per step (measured: float32 GEMV over
    // 24 MB 0.51 ms on huge pages vs 0.63-1.1 ms on small ones). At most 2 MiB of padding.
    constexpr std::size_t kHuge = std::size_t(2) << 20;
    if (bytes >= kHuge) {
        align = kHuge;
        bytes = (bytes + kHuge - 1) & ~(kHuge - 1);
    }
#endif
    m_data = static_cast<float*>(std::aligned_alloc(align, bytes));
    if (!m_data) throw std::bad_alloc();
#ifdef __linux__
    if (align > 64) (void)madvise(m_data, bytes, MADV_HUGEPAGE);   // before the first touch; advisory
#endif
    std::memset(m_data, 0, bytes);
}

AlignedFloats::~AlignedFloats() { std::free(m_data); }

AlignedFloats::AlignedFloats(AlignedFloats&& other) noexcept : m_data(other.m_data), m_size(other.m_size) {
    other.m_data = nullptr;
    other.m_size = 0;
}

AlignedFloats& AlignedFloats::operator=(AlignedFloats&& other) noexcept {
    if (this != &other) {
        std::free(m_data);
        m_data = other.m_data;
        m_size = other.m_size;
        other.m_data = nullptr;
        other.m_size = 0;
    }
    return *this;
}

void AlignedFloats::zero() {
    if (m_data) std::memset(m_data, 0, m_size * sizeof(float));
}

// ---------------------------------------------------------------------------------------------
namespace {
struct LinearVecTask {
    const LinearW* l;
    const float* x;
    float* y;
};
void linear_vec_part(const void* ctx, int part, int parts) {
    const auto& k = *static_cast<const LinearVecTask*>(ctx);
    if (k.l->w16)
        gemv::bf16(k.l->w16, k.l->out, k.l->in, k.x, k.l->b, k.y, part, parts);
    else
        gemv::f32(k.l->w, k.l->out, k.l->in, k.x, k.l->b, k.y, part, parts);
}
}  // namespace

void linear_vec(const LinearW& l, const float* x, float* y, SplitPool* pool) {
    const LinearVecTask task{&l, x, y};
    const std::size_t bytes = std::size_t(l.out) * std::size_t(l.in) * (l.w16 ? 2 : 4);
    if (pool && pool->parts() > 1 && bytes >= pool->min_bytes())
        pool->run(linear_vec_part, &task);
    else
        linear_vec_part(&task, 0, 1);
}

// ---------------------------------------------------------------------------------------------
void layer_norm(const NormW& n, float eps, const float* x, float* y) {
    const int d = n.dim;
    double sum = 0.0;
    for (int i = 0; i < d; ++i) sum += double(x[i]);
    const double mean = sum / d;
    double var = 0.0;
    for (int i = 0; i < d; ++i) {
        const double c = double(x[i]) - mean;
        var += c * c;
    }
    var /= d;
    const float inv = float(1.0 / std::sqrt(var + double(eps)));
    const float m = float(mean);
    for (int i = 0; i < d; ++i) y[i] = (x[i] - m) * inv * n.g[i] + n.b[i];
}

void layer_norm_rows(const NormW& n, float eps, float* x, int rows, int ld) {
    for (int r = 0; r < rows; ++r) {
        float* row = x + std::size_t(r) * std::size_t(ld);
        layer_norm(n, eps, row, row);
    }
}

void gelu(float* x, std::size_t count) {
    Eigen::Map<Eigen::ArrayXf> a(x, Eigen::Index(count));
    a = 0.5f * a * (1.0f + (a * float(M_SQRT1_2)).erf());
}

void activate(Activation act, float* x, std::size_t count) {
    if (act == Activation::GELU) {
        gelu(x, count);
    } else {
        for (std::size_t i = 0; i < count; ++i) x[i] = x[i] > 0.0f ? x[i] : (std::isnan(x[i]) ? x[i] : 0.0f);
    }
}

void softmax(float* x, int count) {
    if (count <= 0) return;
    Eigen::Map<Eigen::ArrayXf> a(x, count);
    const float m = a.maxCoeff();
    if (!std::isfinite(m)) {
        // NaN or +inf present: the softmax is not defined; propagate NaN.
        a.setConstant(std::numeric_limits<float>::quiet_NaN());
        return;
    }
    a = (a - m).exp();
    a /= a.sum();
}

bool all_finite(const float* x, std::size_t count) {
    // x - x is 0 for finite values and NaN for NaN/inf; min/max propagate nothing, so compare.
    Eigen::Map<const Eigen::ArrayXf> a(x, Eigen::Index(count));
    return count == 0 || ((a - a) == 0.0f).all();
}

}  // namespace colive
