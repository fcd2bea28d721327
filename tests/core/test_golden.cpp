// SPDX-License-Identifier: MIT
// Engine vs PyTorch: every post-warm-up step of every golden stream (scripts/make_golden.py,
// plain torch.nn.TransformerEncoder in float64 on each full window), in both modes; the
// retroactive block's n rows; regular vs continual on every step (warm-up included); and recovery
// after non-finite tokens.
#include "golden_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <thread>

using namespace colive;
using namespace colive::testing;

namespace {

constexpr double kTol = 1e-4;

// Stability streams (tokens x10, x50): torch's own float32 result already differs from float64 by
// torch_f32_err; the engine must stay finite and within max(1e-4, 4 x that) wherever torch is finite.
double tolerance(const GoldenCase& c, bool probs) {
    const double torch32 = probs ? c.torch_f32_err_probs : c.torch_f32_err_encoded;
    return std::max(kTol, 4.0 * torch32);
}

struct Errors {
    double encoded = 0.0;
    double probs = 0.0;
    int compared = 0;
    int recompute_steps = 0;   // steps that needed exact row recomputes (StepResult::macs above the analytic count)
};

Errors run_against_golden(const GoldenCase& c, Mode mode, std::vector<float>* encoded_out = nullptr) {
    auto model = load_case_model(c);
    const auto tokens = case_tokens(c);
    const auto probs = npy::load(golden_dir() + "/" + c.probs);
    const auto enc = npy::load(golden_dir() + "/" + c.encoded);
    const std::size_t T = step_limit(tokens.rows(), c.window), din = tokens.cols(), C = probs.cols(), d = enc.cols();
    EXPECT_EQ(din, std::size_t(model->config().d_in));
    EXPECT_EQ(d, std::size_t(model->config().d_model));
    EXPECT_EQ(C, std::size_t(model->config().num_classes()));
    Stream s(model, mode);
    Errors e;
    std::vector<float> b0(std::size_t(c.window) * d);
    std::size_t b0_index = 0;
    std::optional<npy::Array> block0;
    if (!c.block0.empty() && mode == Mode::Continual) block0 = npy::load(golden_dir() + "/" + c.block0);
    if (encoded_out) encoded_out->assign(T * d, 0.0f);
    for (std::size_t t = 0; t < T; ++t) {
        const StepResult r = s.step(std::span<const float>(tokens.data.data() + t * din, din));
        EXPECT_EQ(r.step, std::int64_t(t));
        EXPECT_EQ(r.warmup, t + 1 < std::size_t(c.window));
        EXPECT_EQ(r.probs.size(), C);
        EXPECT_EQ(r.encoded.size(), d);
        if (encoded_out) std::copy(r.encoded.begin(), r.encoded.end(), encoded_out->begin() + std::ptrdiff_t(t * d));
        if (!r.warmup && r.macs > macs_per_step(model->config(), mode).total()) ++e.recompute_steps;
        if (r.warmup) continue;
        const float* ge = enc.data.data() + t * d;
        const float* gp = probs.data.data() + t * C;
        if (!std::isfinite(ge[0])) continue;   // torch itself not finite here
        EXPECT_TRUE(r.finite) << c.name << " step " << t;
        double me = 0.0, mp = 0.0;
        for (std::size_t k = 0; k < d; ++k) me = std::max(me, std::abs(double(r.encoded[k]) - ge[k]));
        for (std::size_t k = 0; k < C; ++k) mp = std::max(mp, std::abs(double(r.probs[k]) - gp[k]));
        if (!(me <= tolerance(c, false)) || !(mp <= tolerance(c, true)))
            ADD_FAILURE() << c.name << " " << to_string(mode) << " step " << t << ": encoded err " << me
                          << ", probs err " << mp;
        e.encoded = std::max(e.encoded, me);
        e.probs = std::max(e.probs, mp);
        ++e.compared;
        if (block0 && b0_index < c.block0_steps.size() && int(t) == c.block0_steps[b0_index]) {
            const std::size_t rows = s.first_block_rows(b0);
            EXPECT_EQ(rows, std::size_t(c.window));
            const float* g = block0->data.data() + b0_index * std::size_t(c.window) * d;
            double mb = 0.0;
            for (std::size_t k = 0; k < rows * d; ++k) mb = std::max(mb, std::abs(double(b0[k]) - g[k]));
            EXPECT_LE(mb, tolerance(c, false)) << c.name << " retroactive rows at step " << t;
            std::printf("[ golden ] %-22s retroactive block rows (all %zu) at step %3zu: max err %.2e\n",
                        c.name.c_str(), rows, t, mb);
            ++b0_index;
        }
    }
    if (block0 && T == tokens.rows()) {
        EXPECT_EQ(b0_index, c.block0_steps.size()) << "not every retroactive golden step was checked";
    }
    EXPECT_GT(e.compared, 0);
    std::printf("[ golden ] %-22s %-9s %4d steps: max err encoded %.2e, probs %.2e (torch f32 vs f64: %.2e), "
                "%d steps with exact row recomputes\n",
                c.name.c_str(), to_string(mode), e.compared, e.encoded, e.probs, c.torch_f32_err_encoded,
                e.recompute_steps);
    return e;
}

class GoldenRegular : public ::testing::TestWithParam<std::string> {};
class GoldenContinual : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenRegular, MatchesTorch) { run_against_golden(golden_case(GetParam()), Mode::Regular); }

TEST_P(GoldenContinual, MatchesTorch) {
    const GoldenCase& c = golden_case(GetParam());
    const Errors e = run_against_golden(c, Mode::Continual);
    // Nearly one-hot attention (post-norm with tokens x50, pre-norm with a sharp LN1): the
    // retroactive block must have hit the cancellation guard (leaving key dominating a row) and
    // recomputed rows, and still be exact.
    if (c.expect_recomputes) {
        EXPECT_GT(e.recompute_steps, 0) << c.name;
    }
}

// Regular mode's softmax is the textbook max-subtracted one: its stability streams (x10, x50) run at
// the tiny preset only, to keep the suite fast; every stream runs in continual mode.
std::vector<std::string> case_names(bool regular) {
    std::vector<std::string> v;
    for (const auto& c : golden_cases()) {
        if (kSanitized && c.window > 120) continue;   // OadTR size: numerics only, in normal builds
        if (!regular || c.scale == 1.0 || c.window <= 8) v.push_back(c.name);
    }
    return v;
}

INSTANTIATE_TEST_SUITE_P(Engine, GoldenRegular, ::testing::ValuesIn(case_names(true)),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });
INSTANTIATE_TEST_SUITE_P(Engine, GoldenContinual, ::testing::ValuesIn(case_names(false)),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// Regular and continual agree on every step, warm-up included (both use the zero-padded window).
class Agreement : public ::testing::TestWithParam<std::string> {};
TEST_P(Agreement, RegularEqualsContinualOnEveryStep) {
    const GoldenCase& c = golden_case(GetParam());
    auto model = load_case_model(c);
    const auto tokens = case_tokens(c);
    Stream reg(model, Mode::Regular), con(model, Mode::Continual);
    const std::size_t din = tokens.cols();
    double worst = 0.0;
    // Warm-up and one more window of steady state (the goldens cover the rest of each stream).
    const std::size_t steps = step_limit(std::min<std::size_t>(tokens.rows(), 2 * std::size_t(c.window) + 5), c.window);
    for (std::size_t t = 0; t < steps; ++t) {
        std::span<const float> tok(tokens.data.data() + t * din, din);
        const StepResult a = reg.step(tok);
        const StepResult b = con.step(tok);
        ASSERT_EQ(a.warmup, b.warmup);
        for (std::size_t k = 0; k < a.encoded.size(); ++k)
            worst = std::max(worst, std::abs(double(a.encoded[k]) - double(b.encoded[k])));
        for (std::size_t k = 0; k < a.probs.size(); ++k)
            worst = std::max(worst, std::abs(double(a.probs[k]) - double(b.probs[k])));
    }
    EXPECT_LE(worst, kTol);
    std::printf("[ agree  ] %-22s regular vs continual, every step: max diff %.2e\n", c.name.c_str(), worst);
}
INSTANTIATE_TEST_SUITE_P(Engine, Agreement,
                         ::testing::Values("tiny_b1_gelu", "tiny_b2_relu", "tiny_b3_gelu", "gtzan_b1_gelu",
                                           "gtzan_b2_gelu", "pre_b1_gelu", "pre_b2_relu", "pre_b3_gelu",
                                           "pre_b2_gelu_sharp_x50", "pre_mid_b2_gelu", "pre_mid_b3_relu"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// A non-finite token poisons the outputs only while it is in the window: outputs are flagged
// finite=false meanwhile and are exact again (against torch on windows without it) afterwards.
struct BadTokenCase {
    std::string name;
    float value;
    Mode mode;
};

class BadToken : public ::testing::TestWithParam<BadTokenCase> {};

TEST_P(BadToken, RecoversOnceTheTokenHasLeft) {
    const auto& p = GetParam();
    const GoldenCase& c = golden_case(p.name);
    auto model = load_case_model(c);
    auto tokens = case_tokens(c);
    const auto enc = npy::load(golden_dir() + "/" + c.encoded);
    const std::size_t din = tokens.cols(), d = enc.cols(), n = std::size_t(c.window);
    const std::size_t bad = n + 3;   // after warm-up, so the retroactive caches are full
    ASSERT_LT(bad + 2 * n, tokens.rows());
    tokens.data[bad * din + 1] = p.value;
    Stream s(model, p.mode);
    int flagged = 0;
    double worst_after = 0.0;
    const std::size_t T = kSanitized ? std::min(tokens.rows(), bad + n + 12) : tokens.rows();
    for (std::size_t t = 0; t < T; ++t) {
        const StepResult r = s.step(std::span<const float>(tokens.data.data() + t * din, din));
        const bool in_window = t >= bad && t < bad + n;
        if (in_window) {
            EXPECT_FALSE(r.finite) << "step " << t;
            flagged += !r.finite;
        } else if (!r.warmup) {
            EXPECT_TRUE(r.finite) << "step " << t;
            double me = 0.0;
            for (std::size_t k = 0; k < d; ++k)
                me = std::max(me, std::abs(double(r.encoded[k]) - enc.data[t * d + k]));
            if (!(me <= kTol)) ADD_FAILURE() << "step " << t << " err " << me;
            if (t >= bad + n) worst_after = std::max(worst_after, me);
        }
    }
    EXPECT_EQ(flagged, int(n));
    std::printf("[ badtok ] %-14s %-9s value %g: %d steps flagged, max err after recovery %.2e\n", p.name.c_str(),
                to_string(p.mode), double(p.value), flagged, worst_after);
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

INSTANTIATE_TEST_SUITE_P(
    Engine, BadToken,
    ::testing::Values(BadTokenCase{"tiny_b1_gelu", kNaN, Mode::Continual}, BadTokenCase{"tiny_b1_gelu", kNaN, Mode::Regular},
                      BadTokenCase{"tiny_b2_gelu", kNaN, Mode::Continual}, BadTokenCase{"tiny_b2_gelu", kInf, Mode::Continual},
                      BadTokenCase{"tiny_b2_relu", -kInf, Mode::Continual}, BadTokenCase{"tiny_b3_gelu", kNaN, Mode::Continual},
                      BadTokenCase{"tiny_b3_gelu", kInf, Mode::Regular}, BadTokenCase{"gtzan_b2_gelu", kNaN, Mode::Continual},
                      BadTokenCase{"gtzan_b1_gelu", kInf, Mode::Continual},
                      BadTokenCase{"pre_b1_gelu", kNaN, Mode::Continual}, BadTokenCase{"pre_b2_gelu", kNaN, Mode::Continual},
                      BadTokenCase{"pre_b3_relu", kInf, Mode::Continual}, BadTokenCase{"pre_b3_gelu", kNaN, Mode::Regular}),
    [](const ::testing::TestParamInfo<BadTokenCase>& i) {
        std::string v = std::isnan(i.param.value) ? "nan" : (i.param.value > 0 ? "inf" : "neginf");
        return i.param.name + "_" + v + "_" + to_string(i.param.mode);
    });

TEST(Stream, WrongTokenWidthIsAnInputError) {
    auto model = load_case_model(golden_case("tiny_b2_gelu"));
    for (Mode m : {Mode::Regular, Mode::Continual}) {
        Stream s(model, m);
        std::vector<float> wrong(std::size_t(model->config().d_in) + 1, 0.0f);
        try {
            s.step(wrong);
            FAIL() << "accepted a token of the wrong width";
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find("expects 10"), std::string::npos) << e.what();
        }
        std::vector<float> empty;
        EXPECT_THROW(s.step(empty), InputError);
        EXPECT_EQ(s.tokens_seen(), 0);
    }
}

TEST(Stream, ResetStartsOver) {
    const GoldenCase& c = golden_case("tiny_b2_gelu");
    auto model = load_case_model(c);
    const auto tokens = case_tokens(c);
    const std::size_t din = tokens.cols();
    for (Mode m : {Mode::Regular, Mode::Continual}) {
        Stream s(model, m);
        std::vector<float> first, second;
        for (int pass = 0; pass < 2; ++pass) {
            for (std::size_t t = 0; t < 20; ++t) {
                const StepResult r = s.step(std::span<const float>(tokens.data.data() + t * din, din));
                auto& dst = pass == 0 ? first : second;
                dst.insert(dst.end(), r.encoded.begin(), r.encoded.end());
            }
            s.reset();
            EXPECT_EQ(s.tokens_seen(), 0);
        }
        EXPECT_EQ(first, second) << to_string(m);
    }
}

// A stream reset to start at token index k and fed only tokens k, k+1, ... must reproduce torch's
// outputs of the full stream from step k + n - 1 on (the window then holds the same tokens with the
// same PE rows). This is how the app switches modes without restarting its source. Starting at
// index 0 instead (wrong PE phases) must NOT match, so the check can fail.
TEST(Stream, ResetAtAnIndexJoinsTheFullStream) {
    for (const char* name : {"tiny_b1_gelu", "tiny_b2_gelu", "tiny_b3_gelu", "pre_b2_gelu", "pre_b3_relu"}) {
        const GoldenCase& c = golden_case(name);
        auto model = load_case_model(c);
        ASSERT_NE(model->config().pe_rows, 0);
        const auto tokens = case_tokens(c);
        const auto enc = npy::load(golden_dir() + "/" + c.encoded);
        const std::size_t T = step_limit(tokens.rows(), c.window), din = tokens.cols(), d = enc.cols();
        const std::size_t n = std::size_t(c.window);
        const std::size_t k = 2 * n + 3;                    // joins mid-stream, off any PE period
        ASSERT_GT(T, k + 2 * n);
        for (Mode m : {Mode::Regular, Mode::Continual}) {
            double err_right = 0.0, err_wrong = 0.0;
            for (const bool right : {true, false}) {
                Stream s(model, m);
                const std::size_t start = k - (n - 1);
                if (right) s.reset(std::int64_t(start));
                for (std::size_t t = start; t < T; ++t) {
                    const StepResult r = s.step(std::span<const float>(tokens.data.data() + t * din, din));
                    if (right) {
                        EXPECT_EQ(r.step, std::int64_t(t));
                    }
                    EXPECT_EQ(r.warmup, t < k) << name << " t=" << t;
                    if (t < k) continue;
                    double e = 0.0;
                    for (std::size_t j = 0; j < d; ++j)
                        e = std::max(e, std::fabs(double(r.encoded[j]) - double(enc.data[t * d + j])));
                    (right ? err_right : err_wrong) = std::max(right ? err_right : err_wrong, e);
                }
            }
            EXPECT_LE(err_right, kTol) << name << " " << to_string(m);
            EXPECT_GT(err_wrong, 10 * kTol) << name << " " << to_string(m) << ": PE phase had no effect";
        }
    }
    Stream s(load_case_model(golden_case("tiny_b1_gelu")), Mode::Continual);
    EXPECT_THROW(s.reset(-1), InputError);
}

TEST(Stream, MacsMatchTheAnalyticCount) {
  for (const char* name : {"tiny_b3_gelu", "pre_b1_gelu", "pre_b2_gelu", "pre_b3_gelu"}) {
    const GoldenCase& c = golden_case(name);
    auto model = load_case_model(c);
    const auto tokens = case_tokens(c);
    for (Mode m : {Mode::Regular, Mode::Continual}) {
        Stream s(model, m);
        StepResult r;
        for (std::size_t t = 0; t < std::size_t(c.window) + 5; ++t)
            r = s.step(std::span<const float>(tokens.data.data() + t * tokens.cols(), tokens.cols()));
        const std::int64_t expected = macs_per_step(model->config(), m).total();
        // Continual may add exact row recomputes on top of the analytic count; regular never does.
        EXPECT_GE(r.macs, expected);
        EXPECT_LE(r.macs, m == Mode::Regular ? expected : expected + expected / 2);
        EXPECT_GT(s.state_bytes(), 0u);
    }
  }
}

}  // namespace

namespace {

// One Model shared by streams on several threads (the documented threading contract): every stream
// still matches PyTorch. Under the tsan preset this also checks for data races.
TEST(Threads, StreamsOnSeveralThreadsShareOneModel) {
    const GoldenCase& c = golden_case("tiny_b3_gelu");
    auto model = load_case_model(c);
    const auto tokens = case_tokens(c);
    const auto enc = npy::load(golden_dir() + "/" + c.encoded);
    const std::size_t din = tokens.cols(), d = enc.cols();
    std::vector<double> worst(4, 0.0);
    std::vector<std::thread> pool;
    for (int i = 0; i < 4; ++i) {
        pool.emplace_back([&, i] {
            Stream s(model, i % 2 ? Mode::Continual : Mode::Regular);
            for (std::size_t t = 0; t < tokens.rows(); ++t) {
                const StepResult r = s.step(std::span<const float>(tokens.data.data() + t * din, din));
                if (r.warmup) continue;
                for (std::size_t k = 0; k < d; ++k)
                    worst[std::size_t(i)] = std::max(worst[std::size_t(i)], std::abs(double(r.encoded[k]) - enc.data[t * d + k]));
            }
        });
    }
    for (auto& th : pool) th.join();
    for (double w : worst) EXPECT_LE(w, kTol);
}

}  // namespace
