// SPDX-License-Identifier: MIT
// colive-cli's token path: run a model on a token file (T x d_in float32, .npy or raw .f32) in
// regular and/or continual mode and write the per-step outputs as .npy. Kept separate from
// main_cli.cpp so that other input paths (live sources) can be added next to it.
#pragma once

#include "colive/engine.h"

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace colive::cli {

struct TokenRunOptions {
    std::filesystem::path model;
    std::filesystem::path tokens;    // .npy (T x d_in) or raw little-endian float32 (.f32 or anything else)
    std::filesystem::path out;       // probabilities + warm-up column
    std::filesystem::path encoded;   // optional: encoder output of the newest token
    std::vector<Mode> modes;         // {Regular}, {Continual} or {Regular, Continual}
    bool quiet = false;
};

struct ModeStats {
    Mode mode = Mode::Continual;
    std::size_t steps = 0;
    double median_ms = 0.0;
    double p95_ms = 0.0;
    double max_ms = 0.0;
    std::int64_t macs_per_step = 0;
    std::size_t state_bytes = 0;
    std::size_t nonfinite_steps = 0;
};

struct TokenRunResult {
    std::vector<ModeStats> modes;
    double max_mode_difference = 0.0;   // max |regular - continual| over post-warm-up probabilities (both modes)
};

// Parses "regular" | "continual" | "both". Throws InputError otherwise.
std::vector<Mode> parse_modes(const std::string& text);

// Output layout: for one mode, `out` is (T, C + 1) float32: C class probabilities, then 1.0 for
// warm-up steps (fewer than `window` tokens seen) else 0.0. For both modes it is (2, T, C + 1),
// [0] = regular, [1] = continual. `encoded` is (T, d_model) or (2, T, d_model) likewise.
// Throws ModelError / InputError on bad files.
TokenRunResult run_tokens(const TokenRunOptions& opt, std::ostream& log);

}  // namespace colive::cli
