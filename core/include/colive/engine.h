// SPDX-License-Identifier: MIT
// CoLive engine: the public, Qt-free API of the continual transformer.
//
// Basic usage:
//
//   auto model = colive::Model::load("models/action.safetensors");   // throws colive::ModelError
//   colive::Stream regular(model, colive::Mode::Regular);
//   colive::Stream continual(model, colive::Mode::Continual);
//   for (const std::vector<float>& tok : tokens) {                      // tok.size() == d_in
//       colive::StepResult r = continual.step(tok);
//       if (!r.warmup) use(r.probs);                                    // valid until the next step()
//   }
//
// Threading contract: a Model is immutable after load() and may be shared by any number of
// Streams on any threads. A Stream is used by one thread at a time. Stream::step() does not
// allocate after construction.
//
// Warm-up: a stream emits an output for every token. The first window-1 outputs are computed on a
// zero-padded window: in every block's attention each empty slot is a key and a value equal to zero
// (it adds exp(0 - max) to every softmax denominator and nothing to the numerators, exactly as the
// reference `co` library's zero-initialised caches do); empty slots produce no rows. Both modes
// follow this definition, so they agree during warm-up too. Such outputs are marked warmup=true.
// From the window-th token on, regular and continual outputs are the regular transformer's output
// on the last `window` tokens (tested against PyTorch's nn.TransformerEncoder, tests/core).
//
// Non-finite tokens: a step whose window holds a token with NaN/inf (or whose projections overflow)
// returns finite=false; once that token has left the window the outputs are exact again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace colive {

// ---------------------------------------------------------------------------------------------
// Errors: one readable line each.
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct ModelError : Error {          // missing/corrupt/mismatched model file
    using Error::Error;
};
struct InputError : Error {          // token of the wrong width, etc.
    using Error::Error;
};

// ---------------------------------------------------------------------------------------------
enum class Activation { ReLU, GELU };
enum class Mode { Regular, Continual };

const char* to_string(Mode m);
const char* to_string(Activation a);

struct ModelConfig {
    std::string name;                 // e.g. "colive-action-v1"
    std::string modality;             // "video", "audio" or "" (raw tokens)
    std::string features;             // feature extractor id the model was trained on, e.g. "video-motion-v1"
    int d_in = 0;                     // input feature width (token width before the input projection)
    int d_model = 0;
    int heads = 0;
    int d_ff = 0;
    int window = 0;                   // n: tokens in the attention window
    int blocks = 0;                   // encoder depth (1 = single-output; 2 = retroactive + single-output; ...)
    int pe_rows = 0;                  // M: recycling positional-encoding rows (0 = no PE)
    bool has_input_proj = true;       // Linear d_in -> d_model before the encoder
    bool in_proj_bias = true;         // attention in_proj/out_proj biases
    bool final_norm = true;           // LayerNorm after the encoder
    bool norm_first = false;          // pre-norm blocks: x + Attn(LN1(x)), then + FFN(LN2(.)) (docs/prenorm.md)
    Activation activation = Activation::GELU;
    float ln_eps = 1e-5f;
    double token_rate_hz = 0.0;       // tokens per second the model expects (0 = unknown)
    std::vector<std::string> classes; // num_classes = classes.size()
    std::map<std::string, std::string> metadata;  // every other manifest key, untouched

    int num_classes() const { return static_cast<int>(classes.size()); }
};

// Multiply-accumulates per step in the paper's convention (ptflops-style: Linear and attention
// multiplications; LayerNorm and activations counted as ptflops does). See core/src/engine/flops.cpp.
struct MacCount {
    std::int64_t input_proj = 0;
    std::int64_t attention = 0;       // in/out projections + scaled dot-product attention
    std::int64_t feed_forward = 0;
    std::int64_t norm_act = 0;        // LayerNorms, activations, softmax
    std::int64_t head = 0;            // final norm + classifier
    std::int64_t total() const { return input_proj + attention + feed_forward + norm_act + head; }
};

// ---------------------------------------------------------------------------------------------
// Options of Model::load. Tensors may be stored as F32, BF16 or F16; all are widened exactly to
// float32, which every computation uses.
struct LoadOptions {
    // Also keep a compact bf16 copy of each Linear weight matrix (of at least 64 columns) whose
    // values are all exactly representable in bf16 (always true for BF16 tensors; checked for F32
    // ones). Continual steps then stream half the bytes through their matrix-vector products; the
    // values, and so the results up to float32 summation order, are the same. Regular mode always
    // uses float32.
    bool compact_bf16 = true;
};

class Model {
public:
    // Loads a .safetensors model file written by scripts/export_model.py. Every offset, shape, dtype
    // and size is checked against the file before use; non-finite weights are refused.
    static std::shared_ptr<const Model> load(const std::filesystem::path& path);
    // Same, from bytes in memory (used by the fuzzer and tests). `origin` names the source in errors.
    static std::shared_ptr<const Model> load_from_memory(std::span<const std::uint8_t> bytes,
                                                         const std::string& origin = "<memory>");
    static std::shared_ptr<const Model> load(const std::filesystem::path& path, const LoadOptions& options);
    static std::shared_ptr<const Model> load_from_memory(std::span<const std::uint8_t> bytes, const std::string& origin,
                                                         const LoadOptions& options);

    const ModelConfig& config() const { return m_config; }
    std::int64_t parameter_count() const;
    // Weights (elements) that also have a compact bf16 copy streamed by continual steps.
    std::int64_t bf16_weight_count() const;
    std::filesystem::path path() const { return m_path; }

    struct Impl;                      // weights; defined in the engine sources
    const Impl& impl() const { return *m_impl; }

    Model(ModelConfig cfg, std::unique_ptr<Impl> impl, std::filesystem::path path);
    ~Model();
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

private:
    ModelConfig m_config;
    std::unique_ptr<Impl> m_impl;
    std::filesystem::path m_path;
};

// Analytic MACs per step for `mode`, with what this engine computes (steady state, full window).
// Regular: every block on all n rows, input projection of all n tokens. Continual: 1 block =
// single-output; deeper = retroactive first block (all n rows out-projected and FFN'd), regular
// middle blocks, and a last block that projects keys/values of all n rows but only the newest query.
// Pre-norm blocks (norm_first) move LayerNorm work: the retroactive block normalises the new token
// (LN1) and all n rows (LN2), the last block all n rows (LN1, for its keys/values) and the newest (LN2).
MacCount macs_per_step(const ModelConfig& cfg, Mode mode);

// The count the paper's tooling reports for the same model (ptflops 0.6.8 hooks + the co library's
// attention formulas), for side-by-side comparison: Linear biases are counted once per call, co's
// last block in-projects queries for all n rows, and regular mode (OadTR's own attention) omits the
// Q K^T and A V matmuls, which ptflops does not hook.
MacCount reference_macs_per_step(const ModelConfig& cfg, Mode mode);

// The OadTR / CoOadTR configuration of the paper's Table 6 (THUMOS14): input width d_in (3072 for
// ActivityNet features, 4096 for Kinetics), d_model 1024, 8 heads, d_ff 1024, n = 64, recycling PE
// of 127 rows, no attention biases, final LayerNorm, 22 classes.
ModelConfig oadtr_paper_config(int d_in, int blocks);

// A JSON string body with ", \ and control characters escaped (no surrounding quotes).
std::string json_escape(const std::string& s);

// The matrix-vector kernel continual steps use on this CPU, chosen once at run time
// ("AVX-512F", "AVX2+FMA" or the portable one; COLIVE_GEMV=scalar|avx2|avx512 caps the choice).
const char* gemv_kernel_name();
// The BLAS behind the GEMMs (regular mode, n-row products of deep continual encoders), e.g.
// "OpenBLAS 0.3.21 ... core SkylakeX, 1 thread".
std::string gemm_backend_name();

// The result of one step. The spans point into the Stream and stay valid until its next step().
struct StepResult {
    std::span<const float> probs;     // softmax over classes (empty when the model has no head)
    std::span<const float> logits;
    std::span<const float> encoded;   // encoder output of the newest token (d_model), before the final norm
    std::int64_t step = 0;            // 0-based index of the token that produced this output
    bool warmup = true;               // fewer than `window` tokens seen since reset()
    bool finite = true;               // false if the output is not finite (a bad token is in the window)
    std::int64_t macs = 0;            // MACs this step cost (paper convention)
};

// Options of a Stream.
struct StreamOptions {
    // Continual mode: the number of threads that stream the weights of each matrix-vector product
    // of at least split_min_bytes (the calling thread plus weight_threads - 1 helper threads this stream
    // creates and owns; no thread is created and nothing is allocated per step). Each thread
    // computes whole rows exactly as one thread would, so the outputs are bit-identical for any
    // value. Opt-in: it pays only when the weights do not fit in one core's cache and the machine
    // has idle cores (docs/benchmarks.md); on a busy machine a descheduled helper stalls the step.
    // Regular mode ignores it (its GEMMs run on the calling thread).
    int weight_threads = 1;
    // How long a waiting thread (a helper between products, the caller for the helpers' parts)
    // spins before it sleeps, in microseconds.
    int spin_us = 50;
    // Smaller products stay on the calling thread: below about one core's L2 a product takes a few
    // microseconds, no longer than handing it off (measured: docs/benchmarks.md).
    std::size_t split_min_bytes = std::size_t(1) << 20;
};

class Stream {
public:
    Stream(std::shared_ptr<const Model> model, Mode mode);
    // Throws InputError if options.weight_threads is outside 1..64 or spin_us is negative.
    Stream(std::shared_ptr<const Model> model, Mode mode, const StreamOptions& options);
    ~Stream();
    Stream(Stream&&) noexcept;
    Stream& operator=(Stream&&) noexcept;

    // Feeds one token of width d_in. Throws InputError on a wrong width. Never allocates.
    StepResult step(std::span<const float> token);
    void reset();
    // Starts over as a stream whose next token has index `first_index` (>= 0) in a longer stream:
    // that token gets positional-encoding row first_index mod pe_rows, and StepResult::step counts
    // on from first_index. Warm-up still counts tokens since this reset. Feeding the window-1 tokens
    // before a point of another stream this way makes the following outputs equal that stream's
    // (how an app switches modes without restarting its source).
    void reset(std::int64_t first_index);

    Mode mode() const;
    const Model& model() const;
    std::int64_t tokens_seen() const;
    std::size_t state_bytes() const;  // bytes of per-stream state (caches, rings, scratch)
    // Threads streaming each large continual matrix-vector product (StreamOptions::weight_threads;
    // 1 in regular mode).
    int weight_threads() const;

    // Inspection (tests, UI): the first encoder block's output rows for the current window, oldest
    // first, as the continual retroactive block updated them (Continual mode with blocks >= 2 only).
    // Writes rows x d_model floats into `out` and returns rows (0 when not applicable).
    std::size_t first_block_rows(std::span<float> out) const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

}  // namespace colive
