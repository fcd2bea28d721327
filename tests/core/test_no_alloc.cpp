// SPDX-License-Identifier: MIT
// Stream::step allocates nothing: this binary replaces the global operator new/delete and (when
// not under a sanitizer) malloc/calloc/realloc/aligned allocation, counts every call made while
// stepping, and expects zero for every mode and depth at every preset size it tries.
#include "golden_util.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COLIVE_HOOK_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define COLIVE_HOOK_MALLOC 0
#endif
#endif
#ifndef COLIVE_HOOK_MALLOC
#define COLIVE_HOOK_MALLOC 1
#endif

// The replacement operator delete releases with free() what the replacement operator new got from
// malloc(); GCC cannot see that pairing.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<long> g_allocs{0};
std::atomic<bool> g_counting{false};
inline void note() {
    if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

#if COLIVE_HOOK_MALLOC
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) {
    note();
    return __libc_malloc(n);
}
void* calloc(std::size_t a, std::size_t b) {
    note();
    return __libc_calloc(a, b);
}
void* realloc(void* p, std::size_t n) {
    note();
    return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t al, std::size_t n) {
    note();
    return __libc_memalign(al, n);
}
void* memalign(std::size_t al, std::size_t n) {
    note();
    return __libc_memalign(al, n);
}
int posix_memalign(void** out, std::size_t al, std::size_t n) {
    note();
    void* p = __libc_memalign(al, n);
    if (!p) return 12;  // ENOMEM
    *out = p;
    return 0;
}
void free(void* p) { __libc_free(p); }
}
#endif

void* operator new(std::size_t n) {
    note();
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    note();
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t al) {
    note();
    void* p = nullptr;
    if (posix_memalign(&p, std::size_t(al), n == 0 ? 1 : n) != 0) throw std::bad_alloc();
    return p;
}
void* operator new[](std::size_t n, std::align_val_t al) { return operator new(n, al); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace colive;
using namespace colive::testing;

namespace {

TEST(NoAllocation, CounterSeesAllocations) {
    // The counter itself works (guards against a test that cannot fail).
    g_allocs = 0;
    g_counting = true;
    auto* v = new std::vector<float>(100);
    void* m = std::malloc(10);
    g_counting = false;
    delete v;
    std::free(m);
    EXPECT_GE(g_allocs.load(), COLIVE_HOOK_MALLOC ? 3 : 2);
}

class NoAllocation : public ::testing::TestWithParam<std::string> {};

TEST_P(NoAllocation, StepDoesNotAllocate) {
    const GoldenCase& c = golden_case(GetParam());
    auto model = load_case_model(c);
    const auto tokens = case_tokens(c);
    const std::size_t din = tokens.cols();
    const std::size_t steps =
        std::min<std::size_t>(tokens.rows(), kSanitized ? std::size_t(c.window) + 5 : std::size_t(c.window) * 2 + 3);
    for (const int weight_threads : {1, 2}) {
      for (Mode mode : {Mode::Regular, Mode::Continual}) {
        if (weight_threads > 1 && mode == Mode::Regular) continue;   // only continual steps split
        // weight_threads 2: the hand-off to the helper thread allocates nothing either.
        Stream s(model, mode, StreamOptions{.weight_threads = weight_threads, .split_min_bytes = 0});
        std::vector<float> bad(din, std::numeric_limits<float>::quiet_NaN());
        g_allocs = 0;
        g_counting = true;
        // Warm-up, a non-finite token (recompute path), steady state.
        for (std::size_t t = 0; t < steps; ++t) {
            const float* tok = (t == std::size_t(c.window) / 2) ? bad.data() : tokens.data.data() + t * din;
            s.step(std::span<const float>(tok, din));
        }
        g_counting = false;
        EXPECT_EQ(g_allocs.load(), 0) << c.name << " " << to_string(mode) << " weight_threads " << weight_threads
                                      << ": allocations during " << steps << " steps";
      }
    }
}

// A BF16 model file: continual steps stream the compact bf16 copies (x permuted on the stack).
TEST(NoAllocation, Bf16ModelStepDoesNotAllocate) {
    auto model = Model::load(std::string(COLIVE_GOLDEN_DIR) + "/bf16/bf16_b2_relu.safetensors");
    ASSERT_GT(model->bf16_weight_count(), 0);
    const auto din = std::size_t(model->config().d_in);
    std::vector<float> tok(din, 0.25f);
    for (Mode mode : {Mode::Regular, Mode::Continual}) {
        Stream s(model, mode);
        g_allocs = 0;
        g_counting = true;
        for (int t = 0; t < 3 * model->config().window; ++t) {
            tok[std::size_t(t) % din] += 0.5f;
            s.step(std::span<const float>(tok.data(), din));
        }
        g_counting = false;
        EXPECT_EQ(g_allocs.load(), 0) << to_string(mode);
    }
}

INSTANTIATE_TEST_SUITE_P(Engine, NoAllocation,
                         ::testing::Values("tiny_b1_gelu", "tiny_b2_gelu", "tiny_b3_gelu", "gtzan_b1_gelu",
                                           "gtzan_b3_relu", "pre_b1_gelu", "pre_b2_gelu_sharp", "pre_b3_relu",
                                           "pre_mid_b3_relu"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
