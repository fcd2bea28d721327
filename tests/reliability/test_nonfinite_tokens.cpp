// SPDX-License-Identifier: MIT
// Non-finite and absurd tokens: the engine isolates them. The oracle is a clean stream fed the
// same tokens, with the bad values replaced by their clean ones: once every bad token has left
// the window, outputs must equal the clean stream's again (regular mode
// bit-for-bit, since it recomputes from the raw window; continual within 1e-5), and while a bad
// token is inside, the step is flagged finite=false and its probabilities are not used as data.
// Complements tests/core/test_golden.cpp (one bad token after warm-up, against PyTorch) with bad
// tokens during warm-up, bursts, bad tokens at the PE wrap-around, huge finite values, and a
// long stream with bad tokens every few windows.
#include "rel_util.h"

#include "colive/engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <set>

using namespace colive;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> clean_token(std::int64_t t, int d_in) {
    std::vector<float> v(static_cast<std::size_t>(d_in));
    for (int k = 0; k < d_in; ++k) v[std::size_t(k)] = float(std::sin(0.31 * double(t) + 0.7 * k) * (1.0 + 0.1 * k));
    return v;
}

struct Scenario {
    std::string name;
    std::vector<std::pair<std::int64_t, float>> bad;   // (step, value put in element 0..)
    bool expect_flag = true;                          // non-finite values: steps in the window flagged
};

struct Case {
    std::string model;
    Mode mode;
};

void run_scenario(const Case& c, const Scenario& sc) {
    auto model = Model::load(rel::data(c.model));
    const int n = model->config().window, din = model->config().d_in;
    const int pe = model->config().pe_rows;
    Stream clean(model, c.mode), dirty(model, c.mode);
    std::int64_t last_bad = -1;
    std::set<std::int64_t> bad_steps;
    for (const auto& [s, v] : sc.bad) {
        last_bad = std::max(last_bad, s);
        bad_steps.insert(s);
    }
    const std::int64_t total = last_bad + 3 * n + std::max(pe, 1) + 2;
    double worst = 0.0;
    int flagged = 0, expected_flags = 0;
    for (std::int64_t t = 0; t < total; ++t) {
        const auto tok = clean_token(t, din);
        auto bad_tok = tok;
        for (const auto& [s, v] : sc.bad)
            if (s == t) {
                bad_tok[std::size_t(t) % bad_tok.size()] = v;
                bad_tok[0] = v;
            }
        const StepResult a = clean.step(tok);
        const StepResult b = dirty.step(bad_tok);
        ASSERT_TRUE(a.finite) << "clean stream not finite at " << t;
        ASSERT_EQ(a.warmup, b.warmup);
        ASSERT_EQ(b.probs.size(), a.probs.size());
        bool bad_in_window = false;
        for (std::int64_t s : bad_steps)
            if (s <= t && t < s + n) bad_in_window = true;
        if (bad_in_window) {
            if (sc.expect_flag) {
                ++expected_flags;
                flagged += !b.finite;
            }
            continue;
        }
        // No bad token in the window: the output is trustworthy again.
        EXPECT_TRUE(b.finite) << sc.name << ": step " << t << " still flagged";
        double diff = 0.0;
        for (std::size_t k = 0; k < a.probs.size(); ++k)
            diff = std::max(diff, std::abs(double(a.probs[k]) - double(b.probs[k])));
        for (std::size_t k = 0; k < a.encoded.size(); ++k)
            diff = std::max(diff, std::abs(double(a.encoded[k]) - double(b.encoded[k])));
        if (!(diff == diff)) diff = 1e30;
        if (t > last_bad) worst = std::max(worst, diff);
        if (c.mode == Mode::Regular)
            ASSERT_EQ(diff, 0.0) << sc.name << ": regular step " << t << " differs from the clean stream";
        else
            ASSERT_LE(diff, 1e-5) << sc.name << ": continual step " << t << " differs from the clean stream";
    }
    EXPECT_EQ(flagged, expected_flags) << sc.name << ": steps with a non-finite token in the window must be flagged";
    std::printf("[ isolate] %-22s %-9s %-16s flagged %3d/%3d, max diff after recovery %.2e\n", c.model.c_str(),
                to_string(c.mode), sc.name.c_str(), flagged, expected_flags, worst);
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << " " << to_string(c.mode); }

class NonFiniteTokens : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(NonFiniteTokens, StreamRecoversExactlyOnceTheBadTokensLeave) {
    const Case& c = GetParam();
    auto model = Model::load(rel::data(c.model));
    const std::int64_t n = model->config().window, M = std::max(1, model->config().pe_rows);
    const std::vector<Scenario> scenarios = {
        {"nan-first-token", {{0, kNaN}}},
        {"inf-in-warmup", {{n / 2, kInf}}},
        {"neginf-last-warmup", {{n - 1, -kInf}}},
        {"nan-at-pe-wrap", {{M, kNaN}}},
        {"burst-of-n", [&] {
             std::vector<std::pair<std::int64_t, float>> b;
             for (std::int64_t k = 0; k < n; ++k) b.push_back({2 * n + k, k % 2 ? kNaN : kInf});
             return b;
         }()},
        {"every-3-windows", {{n + 1, kNaN}, {4 * n + 2, kInf}, {7 * n, -kInf}}},
        {"huge-finite-1e30", {{2 * n, 1e30f}}, false},
        {"tiny-denormal", {{2 * n, 1e-44f}}, false},
    };
    for (const auto& sc : scenarios) {
        SCOPED_TRACE(sc.name);
        run_scenario(c, sc);
        if (HasFatalFailure()) return;
    }
}

TEST_P(NonFiniteTokens, StreamRecoversFromAFiniteTokenThatOverflowsInsideTheModel) {
    // 3e38 is a finite float, but the input projection turns it into Inf. While it is in the
    // window the outputs are flagged; once it has left they must be exact again, as for a NaN.
    const Case& c = GetParam();
    auto model = Model::load(rel::data(c.model));
    const std::int64_t n = model->config().window;
    run_scenario(c, {"finite-overflowing-3e38", {{2 * n, 3e38f}}, false});
}

INSTANTIATE_TEST_SUITE_P(
    Reliability, NonFiniteTokens,
    ::testing::Values(Case{"rel_tiny1.safetensors", Mode::Regular}, Case{"rel_tiny1.safetensors", Mode::Continual},
                      Case{"rel_tiny.safetensors", Mode::Regular}, Case{"rel_tiny.safetensors", Mode::Continual},
                      Case{"rel_tiny3.safetensors", Mode::Regular}, Case{"rel_tiny3.safetensors", Mode::Continual},
                      Case{"rel_video.safetensors", Mode::Continual}),
    [](const ::testing::TestParamInfo<Case>& i) {
        std::string s = i.param.model.substr(0, i.param.model.find('.')) + "_" + to_string(i.param.mode);
        return s;
    });

TEST(NonFiniteTokens, TokenOfTheWrongWidthOrEmptyIsAnInputError) {
    auto model = Model::load(rel::data("rel_tiny.safetensors"));
    for (Mode m : {Mode::Regular, Mode::Continual}) {
        Stream s(model, m);
        for (std::size_t w : {std::size_t(0), std::size_t(1), std::size_t(5), std::size_t(7), std::size_t(1000)}) {
            std::vector<float> tok(w, 0.5f);
            try {
                (void)s.step(tok);
                ADD_FAILURE() << "width " << w << " accepted";
            } catch (const InputError& e) {
                EXPECT_TRUE(rel::one_line(e.what())) << e.what();
            }
        }
        // and the stream still works (a refused token is not counted)
        const auto r = s.step(clean_token(0, 6));
        EXPECT_EQ(r.step, 0);
        EXPECT_TRUE(r.finite);
    }
}
