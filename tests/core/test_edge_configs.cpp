// SPDX-License-Identifier: MIT
// Unusual but valid configurations (window 1 and 2, one-wide heads, deep stacks, no input
// projection / PE / final norm / head): the continual algorithms must agree with the regular
// recomputation on every step (two independent computations of the same function), stay finite,
// and keep their bookkeeping.
#include "golden_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

using namespace colive;
using namespace colive::testing;

namespace {

struct Edge {
    std::string name;
    int d_in, d, heads, d_ff, window, blocks, pe_rows, classes;
    bool input_proj, final_norm, bias;
    const char* act;
    bool prenorm;
};

// Appends every piece (operator+ chains on temporaries trip GCC 12's -Wrestrict false positive).
template <typename... Ts>
std::string cat(const Ts&... parts) {
    std::string out;
    (out.append(parts), ...);
    return out;
}
std::string num(double v) { return std::to_string(v); }
std::string num(int v) { return std::to_string(v); }

std::string recipe(const Edge& e) {
    std::string ts;
    int seed = 1;
    auto add = [&](const std::string& name, const std::string& shape, double scale, double offset) {
        if (!ts.empty()) ts.append(",");
        ts.append(cat("{\"name\":\"", name, "\",\"shape\":", shape, ",\"scale\":", num(scale), ",\"offset\":", num(offset),
                      ",\"seed\":", num(seed++), "}"));
    };
    auto sh = [](int a, int b = -1) { return b < 0 ? cat("[", num(a), "]") : cat("[", num(a), ",", num(b), "]"); };
    if (e.input_proj) {
        add("input_proj.weight", sh(e.d, e.d_in), 0.5, 0);
        add("input_proj.bias", sh(e.d), 0.125, 0);
    }
    if (e.pe_rows) add("pe.weight", sh(e.pe_rows, e.d), 0.25, 0);
    for (int i = 0; i < e.blocks; ++i) {
        const std::string p = cat("layers.", num(i), ".");
        add(cat(p, "self_attn.in_proj_weight"), sh(3 * e.d, e.d), 0.5, 0);
        if (e.bias) add(cat(p, "self_attn.in_proj_bias"), sh(3 * e.d), 0.125, 0);
        add(cat(p, "self_attn.out_proj.weight"), sh(e.d, e.d), 0.5, 0);
        if (e.bias) add(cat(p, "self_attn.out_proj.bias"), sh(e.d), 0.125, 0);
        add(cat(p, "linear1.weight"), sh(e.d_ff, e.d), 0.5, 0);
        add(cat(p, "linear1.bias"), sh(e.d_ff), 0.125, 0);
        add(cat(p, "linear2.weight"), sh(e.d, e.d_ff), 0.5, 0);
        add(cat(p, "linear2.bias"), sh(e.d), 0.125, 0);
        for (const char* nm : {"norm1", "norm2"}) {
            add(cat(p, nm, ".weight"), sh(e.d), 0.125, 1);
            add(cat(p, nm, ".bias"), sh(e.d), 0.125, 0);
        }
    }
    if (e.final_norm) {
        add("norm.weight", sh(e.d), 0.125, 1);
        add("norm.bias", sh(e.d), 0.125, 0);
    }
    std::string classes;
    if (e.classes) {
        add("head.weight", sh(e.classes, e.d), 0.5, 0);
        add("head.bias", sh(e.classes), 0.125, 0);
        for (int c = 0; c < e.classes; ++c) {
            if (c) classes.append(",");
            classes.append(cat("\"k", num(c), "\""));
        }
    }
    const std::string cfg =
        cat("{\"name\":\"", e.name, "\",\"d_in\":", num(e.d_in), ",\"d_model\":", num(e.d), ",\"heads\":", num(e.heads),
            ",\"d_ff\":", num(e.d_ff), ",\"window\":", num(e.window), ",\"blocks\":", num(e.blocks), ",\"pe_rows\":",
            num(e.pe_rows), ",\"activation\":\"", e.act, "\",\"in_proj_bias\":", e.bias ? "true" : "false",
            ",\"final_norm\":", e.final_norm ? "true" : "false", ",\"norm_first\":", e.prenorm ? "true" : "false",
            ",\"classes\":[", classes, "]}");
    return cat("{\"config\":", cfg, ",\"tensors\":[", ts, "]}");
}

class EdgeConfig : public ::testing::TestWithParam<Edge> {};

TEST_P(EdgeConfig, ContinualAgreesWithRegularOnEveryStep) {
    const Edge& e = GetParam();
    const auto bytes = expand_recipe_text(recipe(e));
    auto model = Model::load_from_memory(bytes, e.name);
    EXPECT_EQ(model->config().has_input_proj, e.input_proj);
    EXPECT_EQ(model->config().norm_first, e.prenorm);
    Stream reg(model, Mode::Regular), con(model, Mode::Continual);
    std::mt19937 rng(7);
    std::normal_distribution<float> g;
    std::vector<float> tok(std::size_t(e.d_in));
    double worst = 0.0;
    const int steps = 3 * e.window + 7;
    for (int t = 0; t < steps; ++t) {
        for (float& v : tok) v = g(rng);
        const StepResult a = reg.step(tok);
        const StepResult b = con.step(tok);
        ASSERT_EQ(a.warmup, t + 1 < e.window);
        ASSERT_EQ(b.warmup, a.warmup);
        ASSERT_TRUE(a.finite && b.finite) << "step " << t;
        ASSERT_EQ(a.probs.size(), std::size_t(e.classes));
        ASSERT_EQ(b.encoded.size(), std::size_t(e.d));
        for (std::size_t k = 0; k < a.encoded.size(); ++k)
            worst = std::max(worst, std::abs(double(a.encoded[k]) - double(b.encoded[k])));
        double sum = 0.0;
        for (std::size_t k = 0; k < b.probs.size(); ++k) {
            worst = std::max(worst, std::abs(double(a.probs[k]) - double(b.probs[k])));
            sum += b.probs[k];
        }
        if (e.classes) {
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
    }
    EXPECT_LE(worst, 1e-4) << e.name;
    EXPECT_EQ(con.tokens_seen(), steps);
}

INSTANTIATE_TEST_SUITE_P(
    Engine, EdgeConfig,
    ::testing::Values(Edge{"window1_b1", 3, 4, 2, 8, 1, 1, 0, 2, true, true, true, "gelu", false},
                      Edge{"window1_b2", 3, 4, 2, 8, 1, 2, 1, 2, true, true, true, "relu", false},
                      Edge{"window2_b4_onewide_heads", 5, 6, 6, 7, 2, 4, 3, 3, true, true, false, "gelu", false},
                      Edge{"bare_encoder_b3", 8, 8, 2, 16, 5, 3, 0, 0, false, false, true, "relu", false},
                      Edge{"deep_b5", 4, 8, 4, 8, 6, 5, 11, 4, true, false, true, "gelu", false},
                      Edge{"prenorm_window1_b1", 3, 4, 2, 8, 1, 1, 0, 2, true, true, true, "gelu", true},
                      Edge{"prenorm_window1_b2", 3, 4, 2, 8, 1, 2, 1, 2, true, false, true, "relu", true},
                      Edge{"prenorm_window2_b4_onewide_heads", 5, 6, 6, 7, 2, 4, 3, 3, true, true, false, "gelu", true},
                      Edge{"prenorm_bare_encoder_b3", 8, 8, 2, 16, 5, 3, 0, 0, false, false, true, "relu", true},
                      Edge{"prenorm_deep_b5", 4, 9, 3, 8, 6, 5, 11, 4, true, true, true, "gelu", true}),
    [](const ::testing::TestParamInfo<Edge>& i) { return i.param.name; });

}  // namespace
