// SPDX-License-Identifier: MIT
// The engine's matrix-matrix products (regular mode, and the n-row GEMMs of the retroactive and
// multi-block continual paths) through OpenBLAS's cblas_sgemm.
//
// Why OpenBLAS: Debian builds it with DYNAMIC_ARCH, so its kernels are picked at run time for the
// CPU (SkylakeX AVX-512, Haswell AVX2, ...) while this build stays baseline x86-64; it is the BLAS
// PyTorch users get, and OpenCV (which the app links) already loads the same libopenblas.so.0.
// Measured against Eigen 3.4's GEBP (SSE2 in the default build) on the bench presets: see
// docs/benchmarks.md.
//
// Threads: every Stream is single-threaded. OpenBLAS's own thread pool is set to one thread once,
// before the first product (process-wide; OpenBLAS then runs each GEMM on the calling thread and
// never wakes its workers), so no thread is spawned or signalled per step. Concurrent calls from
// several streams' threads are supported by OpenBLAS (its work buffers come from a locked pool
// that is filled on first use and then reused: no allocation per step).
#include "engine_internal.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>

namespace colive {

namespace {
void init_blas_once() {
    static std::once_flag flag;
    std::call_once(flag, [] { openblas_set_num_threads(1); });
}
}  // namespace

void gemm_init() { init_blas_once(); }

std::string gemm_backend_name() {
    init_blas_once();
    return std::string(openblas_get_config()) + ", core " + openblas_get_corename() + ", " +
           std::to_string(openblas_get_num_threads()) + " thread(s)";
}

namespace {
// OpenBLAS's SkylakeX small-matrix kernel for C = A B (kernel/x86_64/sgemm_small_kernel_nn_skylakex.c,
// used whenever m n k <= 1e6) mallocs a packing buffer on every call when n mod 16 is 1..8 and
// k >= 32 (in row-major terms; measured over m 1..130 and 21 n, k values, exactly those calls
// allocate, and no A B^T call does). That is the attention's S V with head widths such as 7, 8 or
// 24 and windows of 32 or more. Such a product is summed over chunks of at most 31 k, which the
// same kernel runs without a buffer.
constexpr int kNoBufferMaxK = 31;
bool small_nn_would_allocate(int m, int n, int k) {
    const int tail = n % 16;
    return k > kNoBufferMaxK && tail >= 1 && tail <= 8 && double(m) * double(n) * double(k) <= 1e6;
}
}  // namespace

void gemm(bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c,
          int ldc) {
    if (m <= 0 || n <= 0) return;
    if (!trans_b && small_nn_would_allocate(m, n, k)) {
        for (int k0 = 0; k0 < k; k0 += kNoBufferMaxK) {
            const int kc = std::min(kNoBufferMaxK, k - k0);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, kc, 1.0f, a + k0, lda,
                        b + std::size_t(k0) * std::size_t(ldb), ldb, k0 == 0 ? beta : 1.0f, c, ldc);
        }
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, beta, c,
                ldc);
}

GemmPlan::GemmPlan(int /*max_rows*/, int /*out*/, int /*in*/, bool /*transposed_out*/) { init_blas_once(); }

void GemmPlan::run(const LinearW& l, const float* x, int ldx, int rows, float* y, int ldy) const {
    if (rows <= 0) return;
    // Preset with the bias (beta = 1) or let the product overwrite (beta = 0).
    if (l.b)
        for (int r = 0; r < rows; ++r) std::memcpy(y + std::size_t(r) * std::size_t(ldy), l.b, sizeof(float) * std::size_t(l.out));
    gemm(true, rows, l.out, l.in, x, ldx, l.w, l.in, l.b ? 1.0f : 0.0f, y, ldy);
}

void GemmPlan::run_t(const LinearW& l, const float* x, int ldx, int rows, float* z, int ldz) const {
    if (rows <= 0) return;
    if (l.b)
        for (int o = 0; o < l.out; ++o) {
            float* zr = z + std::size_t(o) * std::size_t(ldz);
            std::fill(zr, zr + rows, l.b[o]);
        }
    gemm(true, l.out, rows, l.in, l.w, l.in, x, ldx, l.b ? 1.0f : 0.0f, z, ldz);
}

}  // namespace colive
