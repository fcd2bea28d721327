// SPDX-License-Identifier: MIT
// Splitting the continual weight stream over threads (StreamOptions::weight_threads, SplitPool,
// the part/parts arguments of the gemv kernels) changes nothing in the results:
//  - every kernel the CPU has, float32 and bf16: the parts of a call write disjoint rows that
//    together cover every row, and the union is bit-identical to the unsplit call (test_gemv.cpp);
//  - the pool runs every chunk exactly once per call, over many calls (and under ThreadSanitizer,
//    the `tsan` preset, without a report);
//  - a Stream with 2 or 3 weight threads gives bit-identical outputs to one thread and matches the
//    PyTorch golden outputs (tests/golden/engine), warm-up and a non-finite token included.
#include "engine_internal.h"
#include "golden_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

using namespace colive;
using namespace colive::testing;

namespace {

TEST(WeightThreads, PoolRunsEveryChunkOncePerCall) {
    for (const int threads : {1, 2, 3}) {
        for (const int spin_us : {0, 50}) {
            SplitPool pool(threads, spin_us, 0);
            ASSERT_EQ(pool.parts(), threads);
            const int chunks = threads == 1 ? 1 : SplitPool::kChunksPerThread * threads;
            struct Ctx {
                int counts[16];
                int round;
                int seen_round[16];
                int chunks;
                std::atomic<int> bad;
                std::atomic<int> on_helper;
                std::thread::id caller;
            } ctx{};
            ctx.chunks = chunks;
            ctx.caller = std::this_thread::get_id();
            for (int round = 1; round <= 500; ++round) {
                ctx.round = round;
                pool.run(
                    [](const void* c, int part, int parts) {
                        auto& k = *const_cast<Ctx*>(static_cast<const Ctx*>(c));
                        if (parts != k.chunks || part < 0 || part >= parts) {
                            ++k.bad;
                            return;
                        }
                        // ~20 us of work per chunk, so that woken helpers find chunks left to claim.
                        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
                        while (std::chrono::steady_clock::now() < until) {
                        }
                        ++k.counts[part];                 // plain memory: the pool's hand-off orders it
                        k.seen_round[part] = k.round;
                        if (std::this_thread::get_id() != k.caller) ++k.on_helper;
                    },
                    &ctx);
                for (int p = 0; p < chunks; ++p) ASSERT_EQ(ctx.seen_round[p], round) << "threads " << threads;
            }
            EXPECT_EQ(ctx.bad.load(), 0);
            for (int p = 0; p < chunks; ++p) EXPECT_EQ(ctx.counts[p], 500);
            // Which thread ran a chunk depends on scheduling (a busy machine may leave it all to the caller).
            std::printf("threads %d, spin %d us: %d of %d chunks ran on a helper\n", threads, spin_us, ctx.on_helper.load(),
                        500 * chunks);
        }
    }
}

TEST(WeightThreads, OptionsAreChecked) {
    const GoldenCase& c = golden_case("tiny_b1_gelu");
    auto model = load_case_model(c);
    EXPECT_THROW(Stream(model, Mode::Continual, StreamOptions{.weight_threads = 0}), InputError);
    EXPECT_THROW(Stream(model, Mode::Continual, StreamOptions{.weight_threads = 65}), InputError);
    EXPECT_THROW(Stream(model, Mode::Continual, StreamOptions{.weight_threads = 2, .spin_us = -1}), InputError);
    EXPECT_EQ(Stream(model, Mode::Continual, StreamOptions{.weight_threads = 2}).weight_threads(), 2);
    EXPECT_EQ(Stream(model, Mode::Regular, StreamOptions{.weight_threads = 2}).weight_threads(), 1);
    EXPECT_EQ(Stream(model, Mode::Continual).weight_threads(), 1);
}

class WeightThreadsGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(WeightThreadsGolden, BitIdenticalToOneThreadAndMatchesTorch) {
    const GoldenCase& c = golden_case(GetParam());
    auto model = load_case_model(c);
    const auto tokens = case_tokens(c);
    const npy::Array probs = npy::load(golden_dir() + "/" + c.probs);
    const std::size_t din = tokens.cols(), C = probs.cols();
    const std::size_t steps = step_limit(tokens.rows(), c.window);
    Stream one(model, Mode::Continual);
    // split_min_bytes 0: every product is split (also the small ones of the gtzan size that sanitizer
    // builds run; the default 1 MiB leaves those on one thread).
    Stream two(model, Mode::Continual, StreamOptions{.weight_threads = 2, .split_min_bytes = 0});
    Stream three(model, Mode::Continual, StreamOptions{.weight_threads = 3, .spin_us = 0, .split_min_bytes = 0});
    Stream two_default(model, Mode::Continual, StreamOptions{.weight_threads = 2});
    // A non-finite token in the middle when the stream is long enough for it to leave the window.
    std::vector<float> bad(din, std::numeric_limits<float>::infinity());
    const std::size_t bad_at = std::size_t(c.window) / 2, bad_until = bad_at + std::size_t(c.window);
    const bool inject = steps > bad_until + 2;
    double worst = 0.0;
    for (std::size_t t = 0; t < steps; ++t) {
        const std::span<const float> tok(inject && t == bad_at ? bad.data() : tokens.data.data() + t * din, din);
        const StepResult r1 = one.step(tok);
        for (Stream* s : {&two, &three, &two_default}) {
            const StepResult r = s->step(tok);
            ASSERT_EQ(r.finite, r1.finite);
            ASSERT_EQ(0, std::memcmp(r.encoded.data(), r1.encoded.data(), r1.encoded.size_bytes()))
                << c.name << " step " << t << " weight_threads " << s->weight_threads();
            ASSERT_EQ(0, std::memcmp(r.probs.data(), r1.probs.data(), r1.probs.size_bytes())) << c.name << " step " << t;
        }
        if (inject && t >= bad_at && t < bad_until) continue;   // the golden outputs are for the clean stream
        for (std::size_t k = 0; k < C; ++k)
            worst = std::max(worst, std::fabs(double(r1.probs[k]) - double(probs.data[t * C + k])));
    }
    EXPECT_LT(worst, 1e-4) << c.name << ": probabilities against PyTorch";
}

std::vector<std::string> cases() {
    // OadTR sizes (above the default split threshold) only unsanitized.
    std::vector<std::string> v = {"gtzan_b1_gelu", "gtzan_b2_gelu"};
    if (!kSanitized) v.insert(v.end(), {"oadtr_b1_gelu", "oadtr_b2_gelu"});
    return v;
}

INSTANTIATE_TEST_SUITE_P(Engine, WeightThreadsGolden, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
