// SPDX-License-Identifier: MIT
// The run-time dispatched softmax (softmax.cpp) and single-query attention (attention.cpp) kernels:
// each instruction set the CPU supports is forced in turn (gemv::set_active, as COLIVE_GEMV does)
// and checked against a float64 reference computed here, over shapes that hit every vector width,
// tail and stride, with padding keys, and rows holding NaN / +inf / -inf. The matrix-vector kernels
// have the same kind of test in test_gemv.cpp.
#include "engine_internal.h"
#include "isa_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

using namespace colive;
using colive::testing::IsaGuard;
using colive::testing::supported_isas;

namespace {

// Softmax of x[0, c) with `pad` extra zero scores in the denominator, in float64.
std::vector<double> softmax_ref(const float* x, int c, int pad) {
    double m = pad > 0 ? 0.0 : -std::numeric_limits<double>::infinity();
    for (int j = 0; j < c; ++j) m = std::max(m, double(x[j]));
    std::vector<double> e(static_cast<std::size_t>(c));
    double den = pad * std::exp(-m);
    for (int j = 0; j < c; ++j) den += e[std::size_t(j)] = std::exp(double(x[j]) - m);
    for (double& v : e) v /= den;
    return e;
}

TEST(SimdKernels, SoftmaxRowsMatchesFloat64ForEveryKernel) {
    IsaGuard guard;
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-8.0f, 8.0f);
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    for (gemv::Isa isa : supported_isas()) {
        ASSERT_TRUE(gemv::set_active(isa));
        for (const int c : {1, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 120, 130}) {
            for (const int pad : {0, 3}) {
                const int r = 6, ld = c + 5;
                std::vector<float> S(std::size_t(r) * std::size_t(ld));
                for (float& v : S) v = u(rng);
                float* row4 = S.data() + 4 * ld;
                row4[c / 2] = -200.0f;   // exp underflows to 0 (clamped) in a row that is otherwise fine
                if (c > 1) row4[c - 1] = -inf;
                S[std::size_t(ld) + std::size_t(c - 1)] = nan;   // row 1: NaN -> whole row NaN
                S[2 * std::size_t(ld)] = inf;                    // row 2: +inf -> whole row NaN
                const std::vector<float> in = S;
                softmax_rows(S.data(), r, c, ld, pad);
                for (int i = 0; i < r; ++i) {
                    const float* y = S.data() + std::size_t(i) * std::size_t(ld);
                    for (int j = c; j < ld; ++j)   // the stride gap is untouched
                        ASSERT_EQ(y[j], in[std::size_t(i) * std::size_t(ld) + std::size_t(j)]) << gemv::name(isa);
                    if (i == 1 || i == 2) {
                        for (int j = 0; j < c; ++j) EXPECT_TRUE(std::isnan(y[j])) << gemv::name(isa) << " c=" << c << " row " << i;
                        continue;
                    }
                    const std::vector<double> ref = softmax_ref(in.data() + std::size_t(i) * std::size_t(ld), c, pad);
                    for (int j = 0; j < c; ++j)
                        EXPECT_NEAR(double(y[j]), ref[std::size_t(j)], 2e-6 * ref[std::size_t(j)] + 1e-30)
                            << gemv::name(isa) << " c=" << c << " pad=" << pad << " row " << i << " col " << j;
                }
            }
        }
    }
}

TEST(SimdKernels, SingleQueryAttentionMatchesFloat64ForEveryKernel) {
    IsaGuard guard;
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    struct Shape {
        int h, dh, nk;
    };
    for (gemv::Isa isa : supported_isas()) {
        ASSERT_TRUE(gemv::set_active(isa));
        for (const Shape sh : {Shape{1, 4, 1}, Shape{2, 8, 7}, Shape{4, 16, 17}, Shape{8, 12, 64}, Shape{3, 5, 70}, Shape{16, 12, 120},
                               Shape{8, 128, 64}}) {
            for (const int extra_ld : {0, 3}) {
                for (const int pad : {0, 2}) {
                    const int ld = sh.nk + extra_ld, d = sh.h * sh.dh;
                    std::vector<float> q(static_cast<std::size_t>(d)), KT(std::size_t(d) * std::size_t(ld)), VT(KT.size());
                    for (float& v : q) v = 2.0f * u(rng);
                    for (float& v : KT) v = u(rng);
                    for (float& v : VT) v = u(rng);
                    std::vector<float> S(std::size_t(sh.h) * std::size_t(sh.nk)), out(std::size_t(d) + 1, 777.0f);
                    attend_one_query(q.data(), KT.data(), VT.data(), sh.h, sh.dh, sh.nk, ld, pad, S.data(), out.data());
                    EXPECT_EQ(out[std::size_t(d)], 777.0f);   // nothing written past the heads
                    for (int hh = 0; hh < sh.h; ++hh) {
                        std::vector<double> sd(std::size_t(sh.nk));
                        for (int j = 0; j < sh.nk; ++j) {
                            double a = 0.0;
                            for (int c = 0; c < sh.dh; ++c)
                                a += double(q[std::size_t(hh * sh.dh + c)]) *
                                     double(KT[std::size_t(hh * sh.dh + c) * std::size_t(ld) + std::size_t(j)]);
                            sd[std::size_t(j)] = a;
                        }
                        double m = pad > 0 ? 0.0 : -1e300, den = 0.0;
                        for (double v : sd) m = std::max(m, v);
                        for (double& v : sd) den += v = std::exp(v - m);
                        den += pad * std::exp(-m);
                        for (int c = 0; c < sh.dh; ++c) {
                            double o = 0.0, mag = 0.0;
                            for (int j = 0; j < sh.nk; ++j) {
                                const double t = sd[std::size_t(j)] / den *
                                                 double(VT[std::size_t(hh * sh.dh + c) * std::size_t(ld) + std::size_t(j)]);
                                o += t;
                                mag += std::fabs(t);
                            }
                            EXPECT_NEAR(double(out[std::size_t(hh * sh.dh + c)]), o, 1e-5 * (mag + 1e-3))
                                << gemv::name(isa) << " h=" << sh.h << " dh=" << sh.dh << " nk=" << sh.nk << " ld=" << ld
                                << " pad=" << pad << " head " << hh << " c " << c;
                        }
                    }
                }
            }
        }
    }
}

}  // namespace
