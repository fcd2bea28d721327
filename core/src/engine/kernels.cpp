// SPDX-License-Identifier: MIT
// Maths kernels of the engine: GEMV/GEMM on row-major weight maps, LayerNorm, activations.
// Nothing here allocates after construction (GemmPlan allocates its packing buffers up front).
#include "engine_internal.h"

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
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
void linear_vec(const LinearW& l, const float* x, float* y) {
    if (l.w16)
        gemv::bf16(l.w16, l.out, l.in, x, l.b, y);
    else
        gemv::f32(l.w, l.out, l.in, x, l.b, y);
}

// Y^T (out x rows, col-major, stride ldy) = W (out x in, row-major) * X^T (in x rows, col-major,
// stride ldx): Eigen's GEBP kernel with packing buffers allocated once per plan.
using Blk = Eigen::internal::gemm_blocking_space<Eigen::ColMajor, float, float, Eigen::Dynamic, Eigen::Dynamic,
                                                 Eigen::Dynamic, 1, false>;
struct GemmPlan::Blocking {
    Blk space;
    std::size_t bytes = 0;
    Blocking(int out, int rows, int in) : space(out, rows, in, 1, true) {
        space.allocateAll();
        bytes = (std::size_t(space.mc()) + std::size_t(space.nc())) * std::size_t(space.kc()) * sizeof(float);
    }
};

namespace {
// Eigen caches the CPU's cache sizes in function-local statics on first use; initialise them once so
// that streams created concurrently on several threads do not race on that first use.
void init_eigen_once() {
    static std::once_flag flag;
    std::call_once(flag, [] { Eigen::initParallel(); });
}
}  // namespace

GemmPlan::GemmPlan(int max_rows, int out, int in, bool transposed_out) {
    init_eigen_once();
    m_blocking = transposed_out ? std::make_unique<Blocking>(max_rows, out, in) : std::make_unique<Blocking>(out, max_rows, in);
}
GemmPlan::GemmPlan() = default;
GemmPlan::~GemmPlan() = default;
GemmPlan::GemmPlan(GemmPlan&&) noexcept = default;
GemmPlan& GemmPlan::operator=(GemmPlan&&) noexcept = default;

std::size_t GemmPlan::bytes() const { return m_blocking ? m_blocking->bytes : 0; }

void GemmPlan::run(const LinearW& l, const float* x, int ldx, int rows, float* y, int ldy) const {
    if (rows <= 0) return;
    using Gemm = Eigen::internal::general_matrix_matrix_product<Eigen::Index, float, Eigen::RowMajor, false, float,
                                                                Eigen::ColMajor, false, Eigen::ColMajor, 1>;
    // The product accumulates, so clear (or preset with the bias) first.
    for (int r = 0; r < rows; ++r) {
        float* yr = y + std::size_t(r) * std::size_t(ldy);
        if (l.b)
            std::memcpy(yr, l.b, sizeof(float) * std::size_t(l.out));
        else
            std::memset(yr, 0, sizeof(float) * std::size_t(l.out));
    }
    Gemm::run(l.out, rows, l.in, l.w, l.in, x, ldx, y, 1, ldy, 1.0f, m_blocking->space, nullptr);
}

void GemmPlan::run_t(const LinearW& l, const float* x, int ldx, int rows, float* z, int ldz) const {
    if (rows <= 0) return;
    using Gemm = Eigen::internal::general_matrix_matrix_product<Eigen::Index, float, Eigen::RowMajor, false, float,
                                                                Eigen::ColMajor, false, Eigen::ColMajor, 1>;
    for (int o = 0; o < l.out; ++o) {
        float* zr = z + std::size_t(o) * std::size_t(ldz);
        std::fill(zr, zr + rows, l.b ? l.b[o] : 0.0f);
    }
    // Y (rows x out, col-major, column stride ldz) = X (row-major) * W^T (col-major view of W).
    Gemm::run(rows, l.out, l.in, x, ldx, l.w, l.in, z, 1, ldz, 1.0f, m_blocking->space, nullptr);
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
