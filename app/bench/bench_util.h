// SPDX-License-Identifier: MIT
// colive-bench helpers: random in-memory models, step timing, a memory-bandwidth probe and the
// PyTorch subprocess (scripts/bench_torch.py).
#pragma once

#include "colive/engine.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace colive::bench {

struct Preset {
    std::string name;
    int d, heads, d_ff, window;
};
const std::vector<Preset>& presets();

// Encoder-only config (no input projection, PE, final norm or head), as PyTorch's
// nn.TransformerEncoder on a (1, n, d) window.
ModelConfig encoder_config(const Preset& p, int blocks);
// A model with random weights for `cfg` (built as a safetensors image in memory and loaded). With
// bf16, every value is rounded to bf16 and stored as BF16: the loader widens them exactly to float32
// (regular mode's GEMMs) and keeps the compact copy the continual GEMVs stream.
std::shared_ptr<const Model> random_model(const ModelConfig& cfg, std::uint64_t seed, bool bf16 = false);

struct Timing {
    double median_ms = 0.0;   // wall clock per step
    double p95_ms = 0.0;
    std::size_t steps = 0;
    double cpu_mean_ms = 0.0; // thread CPU time per step (insensitive to preemption on a busy machine)
};
// Steps a stream (after a full warm-up window) until `budget_s` seconds or `max_steps`, at least
// `min_steps`. With threads > 1, that many independent streams step concurrently (one per thread)
// and the per-step times of all of them are pooled.
Timing time_steps(const std::shared_ptr<const Model>& model, Mode mode, double budget_s, std::size_t min_steps,
                  std::size_t max_steps, int threads);

// Regular and continual timed in alternating slices of ~20 ms (so that both see the same machine
// load), `budget_s` seconds in total per mode. Returns {regular, continual}.
std::pair<Timing, Timing> time_interleaved(const std::shared_ptr<const Model>& model, double budget_s, int threads);

// Continual streams with different StreamOptions (e.g. weight_threads 1 vs 2) stepped in
// alternating ~20 ms slices (A, B, C, A, B, C, ...), `budget_s` seconds in total per variant, on one
// thread (each stream's own helpers aside). cpu_mean_ms is the process CPU time per step, which
// includes the stream's helper threads.
std::vector<Timing> time_continual_variants(const std::shared_ptr<const Model>& model, const std::vector<StreamOptions>& variants,
                                            double budget_s);
// True when continual streams with options a and b give bit-identical encoder outputs and
// probabilities for `steps` random tokens.
bool continual_outputs_identical(const std::shared_ptr<const Model>& model, const StreamOptions& a, const StreamOptions& b,
                                 int steps);

// "1.23 0.98 0.87" from /proc/loadavg (empty if unavailable).
std::string load_average();

// Read bandwidth (GB/s) over a buffer of `bytes` (sum of floats, best of a few runs; AVX2 when the
// CPU has it), by `threads` threads each reading its share.
double read_bandwidth_gbs(std::size_t bytes, int threads = 1);

// What scripts/bench_torch.py measured and what it ran on.
struct TorchRun {
    std::map<std::pair<std::string, int>, Timing> timings;   // (preset, depth) -> timing
    std::vector<std::string> info;   // its '#' lines without the '#': torch version and threads, BLAS, config
    std::string blas_kind;           // openblas | mkl | blis | reference | unknown
    std::string error;               // non-empty when Python/torch is unavailable or the script failed
    // netlib's reference BLAS (or a BLAS the script could not identify): ratios against it are not
    // what PyTorch users see and must be marked as such.
    bool slow_blas() const { return blas_kind != "openblas" && blas_kind != "mkl" && blas_kind != "blis"; }
};
TorchRun run_torch(const std::string& script, const std::string& presets, const std::string& depths, int threads,
                   double budget_s);

}  // namespace colive::bench
