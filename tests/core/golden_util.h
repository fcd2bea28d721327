// SPDX-License-Identifier: MIT
// Helpers for the engine tests: the golden index (tests/golden/engine/index.json, written by
// scripts/make_golden.py), recipe models rebuilt bit for bit, and safetensors byte surgery.
#pragma once

#include "colive/engine.h"
#include "colive/npy.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COLIVE_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define COLIVE_TEST_SANITIZED 1
#endif
#endif

namespace colive::testing {

#ifdef COLIVE_TEST_SANITIZED
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

// Under sanitizers (Eigen's GEMMs run 50x slower) the preset-size streams are cut to one window
// plus a few steps (the rings fill and wrap); the full streams (> 3 windows) run in normal builds,
// and the OadTR-size cases run only there (see golden_cases_for_build()).
inline std::size_t step_limit(std::size_t steps, int window) {
    if (!kSanitized || window <= 8) return steps;
    const std::size_t lim = std::size_t(window) + 4;
    return steps < lim ? steps : lim;
}

std::string golden_dir();  // <repo>/tests/golden/engine

struct GoldenCase {
    std::string name;
    std::string model;        // .safetensors (tiny cases) or empty
    std::string recipe;       // .recipe.json (larger presets) or empty
    std::string tokens;
    std::string probs;
    std::string encoded;
    std::string block0;       // optional (k, n, d) first-block rows
    std::vector<int> block0_steps;
    int steps = -1;           // tokens to use (-1 = all)
    int window = 0;
    int blocks = 0;
    double scale = 1.0;
    double torch_f32_err_encoded = 0.0;
    double torch_f32_err_probs = 0.0;
    // The attention is nearly one-hot, so the retroactive block must hit its exact-recompute guard.
    // Default: a post-norm stream with tokens x50 (scores grow with the tokens); pre-norm cases say
    // it in index.json ("expect_recomputes"), since LN1 takes the token scale out of the scores.
    bool expect_recomputes = false;
};

std::vector<GoldenCase> golden_cases();
const GoldenCase& golden_case(const std::string& name);

// The model bytes of a case (the committed file, or the recipe expanded).
std::vector<std::uint8_t> case_model_bytes(const GoldenCase& c);
std::shared_ptr<const Model> load_case_model(const GoldenCase& c);
// Token stream of a case, already scaled, limited to `steps` rows.
npy::Array case_tokens(const GoldenCase& c);

std::vector<std::uint8_t> read_bytes(const std::string& path);

// A model file image from a recipe JSON text ({"config": {...}, "tensors": [...]}, see make_golden.py).
std::vector<std::uint8_t> expand_recipe_text(const std::string& json_text);

// splitmix64-based uniform in [-1, 1) with 24-bit resolution (same as make_golden.py).
float recipe_uniform(std::uint64_t seed, std::uint64_t i);

}  // namespace colive::testing
