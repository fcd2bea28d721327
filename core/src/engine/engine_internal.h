// SPDX-License-Identifier: MIT
// Private engine header: weight views (Model::Impl), aligned buffers and the maths kernels.
#pragma once

#include "colive/engine.h"

// GCC 12 reports false -Wmaybe-uninitialized inside its own AVX-512 intrinsics when Eigen is
// built with -march=native (COLIVE_NATIVE); engine translation units only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace colive {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatMap = Eigen::Map<RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;
using ConstRowMatMap = Eigen::Map<const RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;
using VecMap = Eigen::Map<Eigen::VectorXf>;
using ConstVecMap = Eigen::Map<const Eigen::VectorXf>;

// 64-byte aligned, zero-initialised float storage. Allocated once; never resized.
class AlignedFloats {
public:
    AlignedFloats() = default;
    explicit AlignedFloats(std::size_t count);
    ~AlignedFloats();
    AlignedFloats(AlignedFloats&& other) noexcept;
    AlignedFloats& operator=(AlignedFloats&& other) noexcept;
    AlignedFloats(const AlignedFloats&) = delete;
    AlignedFloats& operator=(const AlignedFloats&) = delete;

    float* data() { return m_data; }
    const float* data() const { return m_data; }
    std::size_t size() const { return m_size; }
    void zero();

    // Floats needed to store `count` floats so that the next block starts 64-byte aligned.
    static std::size_t padded(std::size_t count) { return (count + 15) & ~std::size_t(15); }

private:
    float* m_data = nullptr;
    std::size_t m_size = 0;
};

struct LinearW {
    const float* w = nullptr;   // (out, in) row-major
    const float* b = nullptr;   // (out) or nullptr
    int out = 0;
    int in = 0;
    // Optional compact copy of w: the same values as bf16 (upper 16 bits of each float32), kept by
    // the loader when every value of w is exactly representable in bf16. linear_vec streams it
    // instead of w (half the bytes); the GEMMs keep using w.
    const std::uint16_t* w16 = nullptr;
    ConstRowMatMap mat() const { return ConstRowMatMap(w, out, in, Eigen::OuterStride<>(in)); }
};

struct NormW {
    const float* g = nullptr;
    const float* b = nullptr;
    int dim = 0;
};

struct LayerW {
    LinearW in_proj;            // (3d, d)
    LinearW out_proj;           // (d, d)
    LinearW linear1;            // (d_ff, d)
    LinearW linear2;            // (d, d_ff)
    NormW norm1;
    NormW norm2;
};

struct Model::Impl {
    AlignedFloats storage;      // every tensor, each block 64-byte aligned
    AlignedFloats storage16;    // the compact bf16 copies (LinearW::w16), each 64-byte aligned
    std::int64_t bf16_weights = 0;   // elements that have a bf16 copy
    LinearW input_proj;         // empty when the model has no input projection
    const float* pe = nullptr;  // (pe_rows, d) or nullptr
    std::vector<LayerW> layers;
    NormW final_norm;           // empty when no final norm
    LinearW head;               // empty when no classes
    std::int64_t parameters = 0;
};

// ---------------------------------------------------------------------------------------------
// Kernels (kernels.cpp). All operate on caller-provided memory and never allocate.

// Helper threads that share one call's work (split_pool.cpp). run() cuts it into
// kChunksPerThread x threads chunks and executes task(ctx, chunk, chunks) for every chunk once, on
// the calling thread or a helper, whichever claims it first; it returns when all are done. Threads
// are created by the constructor only; run() neither allocates nor creates threads. One caller at a
// time (a Stream is used by one thread at a time).
class SplitPool {
public:
    using Task = void (*)(const void* ctx, int part, int parts);
    static constexpr int kChunksPerThread = 4;
    // `threads` threads in all (threads - 1 helpers); waiting sides spin up to spin_us, then sleep.
    // linear_vec splits only matrices of at least min_bytes.
    SplitPool(int threads, int spin_us, std::size_t min_bytes);
    ~SplitPool();
    SplitPool(const SplitPool&) = delete;
    SplitPool& operator=(const SplitPool&) = delete;
    int parts() const { return m_parts; }   // threads
    std::size_t min_bytes() const { return m_min_bytes; }
    void run(Task task, const void* ctx);

private:
    struct Helper;
    void helper_loop(int index);
    int work();
    int m_parts;
    int m_chunks;
    int m_spin_us;
    std::size_t m_min_bytes;
    std::unique_ptr<Helper[]> m_helpers;
    Task m_task = nullptr;          // written by the caller before it resets m_next (release)
    const void* m_ctx = nullptr;
    std::uint32_t m_gen = 0;        // caller only
    alignas(64) std::atomic<std::uint32_t> m_next{0};   // next chunk to claim
    alignas(64) std::atomic<std::uint32_t> m_done{0};   // chunks finished by helpers in this call
    std::atomic<bool> m_stop{false};
};

// y = W x + b (the compact bf16 copy of W when there is one), with gemv:: below. With a pool of
// more than one thread, a matrix of at least pool->min_bytes() has its rows shared by the pool's
// threads; every row is computed by the same code as without a pool (bit-identical results).
void linear_vec(const LinearW& l, const float* x, float* y, SplitPool* pool = nullptr);

// Matrix-vector kernels of the continual path (gemv.cpp), chosen once at run time from what the
// CPU supports: y (rows) = W (rows x cols, row-major, row stride cols) x + b (b may be nullptr).
// The default build is baseline x86-64; the AVX2/AVX-512 kernels use per-function target
// attributes. The environment variable COLIVE_GEMV=scalar|avx2|avx512 caps the choice.
namespace gemv {
enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };
Isa best_supported();
Isa active();
// Switches the kernels used by every later call (tests, benchmarks); false if the CPU lacks `isa`.
bool set_active(Isa isa);
const char* name(Isa isa);
// part/parts: compute only the rows of part `part` of `parts` disjoint parts of the call (a
// helper thread each, SplitPool). Each row's sum is computed exactly as in the whole call, so
// the union of the parts is bit-identical to parts = 1. (The portable f32 kernel, Eigen's GEMV, is
// not split: part 0 computes every row.)
void f32(const float* w, int rows, int cols, const float* x, const float* b, float* y, int part = 0, int parts = 1);
// w holds bf16 values (the upper halves of float32); products and sums in float32.
void bf16(const std::uint16_t* w, int rows, int cols, const float* x, const float* b, float* y, int part = 0,
          int parts = 1);
}  // namespace gemv

// ---- GEMM (gemm.cpp): OpenBLAS's cblas_sgemm, kernels chosen at run time for the CPU, one thread.
// C (m x n, row-major, row stride ldc) = A (m x k, row-major) * op(B) + beta C, op(B) = B^T (B is
// n x k) when trans_b, else B (k x n). Never allocates (after the first call of the process).
void gemm(bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c,
          int ldc);
// Sets the BLAS up once per process (one thread per call); GemmPlan's constructor calls it too.
void gemm_init();

// Y (rows x l.out, row stride ldy) = X (rows x l.in, row stride ldx) W^T + b. A plan is created
// when the stream is (it sets the BLAS up); the BLAS keeps its packing buffers per process.
class GemmPlan {
public:
    GemmPlan() = default;
    // Plans Y = X W^T for up to max_rows rows of X, W being (out x in). With transposed_out the
    // plan is for run_t, which writes Y^T instead.
    GemmPlan(int max_rows, int out, int in, bool transposed_out = false);
    void run(const LinearW& l, const float* x, int ldx, int rows, float* y, int ldy) const;
    // Z (l.out x rows, row stride ldz) = W X^T + b, i.e. the transpose of run()'s Y.
    void run_t(const LinearW& l, const float* x, int ldx, int rows, float* z, int ldz) const;
    std::size_t bytes() const { return 0; }
};

// Attention of one scaled query q (h heads of dh) over nk cached keys/values stored transposed:
// KT, VT are (h*dh x nk) blocks of row stride ld; `pad` extra zero keys/values; S (h x nk) is
// scratch for the weights. Writes the concatenated heads to out (attention.cpp; ISA of gemv).
void attend_one_query(const float* q, const float* KT, const float* VT, int h, int dh, int nk, int ld, int pad, float* S,
                      float* out);

// Row-wise LayerNorm in place over `rows` rows of width n.dim with stride ld.
void layer_norm_rows(const NormW& n, float eps, float* x, int rows, int ld);
void layer_norm(const NormW& n, float eps, const float* x, float* y);
// Activation in place.
void activate(Activation a, float* x, std::size_t count);
// Softmax in place (max-subtracted). Returns false if the input holds a NaN.
void softmax(float* x, int count);
// Row-wise softmax (max-subtracted) in place of the (r x c) row-major block S (row stride ld), each
// row with `pad` extra scores equal to zero that only add to its denominator. A row holding a NaN
// or +inf becomes NaN. Vectorised with the ISA gemv::active() picked (softmax.cpp).
void softmax_rows(float* S, int r, int c, int ld, int pad);
bool all_finite(const float* x, std::size_t count);

// Exact GELU, vectorised: 0.5 x (1 + erf(x / sqrt 2)).
void gelu(float* x, std::size_t count);

namespace detail {
// MACs of one step when `rows` tokens are in the window (rows == window in steady state).
MacCount macs_for_rows(const ModelConfig& cfg, Mode mode, int rows);
}  // namespace detail

}  // namespace colive
