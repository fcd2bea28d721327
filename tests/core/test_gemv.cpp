// SPDX-License-Identifier: MIT
// The continual path's matrix-vector kernels (gemv.cpp): every kernel the CPU supports (scalar,
// AVX2+FMA, AVX-512F), float32 and bf16 weights, against a float64 reference over shapes that hit
// every loop, tail and chunk boundary. bf16 weights are random floats rounded to bf16, so the exact
// product values are known; only float32 summation order may differ.
#include "engine_internal.h"
#include "isa_util.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace colive;

namespace {

std::uint16_t to_bf16(float v) {   // round to nearest even (finite inputs)
    const std::uint32_t u = std::bit_cast<std::uint32_t>(v);
    return std::uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
float from_bf16(std::uint16_t h) { return std::bit_cast<float>(std::uint32_t(h) << 16); }

std::vector<gemv::Isa> supported() { return colive::testing::supported_isas(); }
using colive::testing::IsaGuard;

TEST(Gemv, MatchesFloat64ReferenceForEveryKernelAndShape) {
    IsaGuard guard;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const int col_sizes[] = {1, 7, 8, 15, 16, 17, 31, 32, 33, 48, 64, 100, 192, 511, 512, 513, 1024, 1056, 2047, 2048, 2080, 4100};
    const int row_sizes[] = {1, 3, 4, 5, 9, 33};
    std::printf("gemv kernels tested: ");
    for (gemv::Isa isa : supported()) std::printf("%s; ", gemv::name(isa));
    std::printf("\n");
    for (int cols : col_sizes) {
        for (int rows : row_sizes) {
            const auto urows = static_cast<std::size_t>(rows), ucols = static_cast<std::size_t>(cols);
            std::vector<float> w(urows * ucols), x(ucols), b(urows);
            std::vector<std::uint16_t> w16(w.size());
            for (std::size_t k = 0; k < w.size(); ++k) {
                w16[k] = to_bf16(u(rng));
                w[k] = from_bf16(w16[k]);   // the same values in both layouts
            }
            for (float& v : x) v = u(rng);
            for (float& v : b) v = u(rng);
            std::vector<double> ref(urows), mag(urows);
            for (int r = 0; r < rows; ++r) {
                double s = double(b[std::size_t(r)]), m = std::fabs(s);
                for (int c = 0; c < cols; ++c) {
                    const double p = double(w[std::size_t(r) * std::size_t(cols) + std::size_t(c)]) * double(x[std::size_t(c)]);
                    s += p;
                    m += std::fabs(p);
                }
                ref[std::size_t(r)] = s;
                mag[std::size_t(r)] = m;
            }
            for (gemv::Isa isa : supported()) {
                ASSERT_TRUE(gemv::set_active(isa));
                for (const bool with_bias : {true, false}) {
                    for (const bool compact : {false, true}) {
                        std::vector<float> y(urows + 1, 12345.0f);   // +1: no write past the end
                        if (compact)
                            gemv::bf16(w16.data(), rows, cols, x.data(), with_bias ? b.data() : nullptr, y.data());
                        else
                            gemv::f32(w.data(), rows, cols, x.data(), with_bias ? b.data() : nullptr, y.data());
                        EXPECT_EQ(y[std::size_t(rows)], 12345.0f);
                        for (int r = 0; r < rows; ++r) {
                            const double want = ref[std::size_t(r)] - (with_bias ? 0.0 : double(b[std::size_t(r)]));
                            // float32 accumulation of `cols` products: a few ulps of the magnitude sum.
                            const double tol = 1e-6 * mag[std::size_t(r)] * (1.0 + std::sqrt(double(cols))) + 1e-30;
                            EXPECT_NEAR(double(y[std::size_t(r)]), want, tol)
                                << gemv::name(isa) << (compact ? " bf16" : " f32") << " rows=" << rows << " cols=" << cols
                                << " r=" << r << " bias=" << with_bias;
                        }
                    }
                }
            }
        }
    }
}

TEST(Gemv, PropagatesNonFiniteValues) {
    // The engine's finiteness checks rely on NaN/inf surviving the products.
    IsaGuard guard;
    const int rows = 5, cols = 70;
    std::vector<float> w(static_cast<std::size_t>(rows * cols), 0.5f), x(static_cast<std::size_t>(cols), 1.0f),
        y(static_cast<std::size_t>(rows));
    std::vector<std::uint16_t> w16(w.size(), to_bf16(0.5f));
    x[69] = std::numeric_limits<float>::quiet_NaN();
    x[3] = std::numeric_limits<float>::infinity();
    for (gemv::Isa isa : supported()) {
        ASSERT_TRUE(gemv::set_active(isa));
        gemv::f32(w.data(), rows, cols, x.data(), nullptr, y.data());
        for (float v : y) EXPECT_TRUE(std::isnan(v)) << gemv::name(isa);
        gemv::bf16(w16.data(), rows, cols, x.data(), nullptr, y.data());
        for (float v : y) EXPECT_TRUE(std::isnan(v)) << gemv::name(isa);
    }
}

// The parts of a call (SplitPool chunks, StreamOptions::weight_threads) write disjoint rows that
// together cover every row, and their union is bit-identical to the unsplit call.
TEST(Gemv, PartsAreDisjointAndBitIdentical) {
    IsaGuard guard;
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const float sentinel = std::numeric_limits<float>::quiet_NaN();
    for (const int cols : {7, 64, 192, 512, 1024, 1056, 2080}) {
        for (const int rows : {1, 3, 4, 5, 9, 33, 130}) {
            const auto ur = std::size_t(rows), uc = std::size_t(cols);
            std::vector<float> w(ur * uc), x(uc), b(ur);
            std::vector<std::uint16_t> w16(w.size());
            for (std::size_t k = 0; k < w.size(); ++k) {
                w16[k] = std::uint16_t(std::bit_cast<std::uint32_t>(u(rng)) >> 16);
                w[k] = u(rng);
            }
            for (float& v : x) v = u(rng);
            for (float& v : b) v = u(rng);
            for (gemv::Isa isa : supported()) {
                ASSERT_TRUE(gemv::set_active(isa));
                for (const bool compact : {false, true}) {
                    auto call = [&](float* y, int part, int parts) {
                        if (compact)
                            gemv::bf16(w16.data(), rows, cols, x.data(), b.data(), y, part, parts);
                        else
                            gemv::f32(w.data(), rows, cols, x.data(), b.data(), y, part, parts);
                    };
                    std::vector<float> whole(ur);
                    call(whole.data(), 0, 1);
                    for (int parts = 2; parts <= 4; ++parts) {
                        std::vector<float> merged(ur, sentinel);
                        std::vector<int> writers(ur, 0);
                        for (int part = 0; part < parts; ++part) {
                            std::vector<float> y(ur, sentinel);
                            call(y.data(), part, parts);
                            for (std::size_t r = 0; r < ur; ++r)
                                if (!std::isnan(y[r])) {
                                    ++writers[r];
                                    merged[r] = y[r];
                                }
                        }
                        for (std::size_t r = 0; r < ur; ++r) {
                            EXPECT_EQ(writers[r], 1) << gemv::name(isa) << " rows=" << rows << " cols=" << cols << " r=" << r;
                            EXPECT_EQ(std::bit_cast<std::uint32_t>(merged[r]), std::bit_cast<std::uint32_t>(whole[r]))
                                << gemv::name(isa) << (compact ? " bf16" : " f32") << " rows=" << rows << " cols=" << cols
                                << " parts=" << parts << " r=" << r;
                        }
                    }
                }
            }
        }
    }
}

}  // namespace
