// SPDX-License-Identifier: MIT
// The polyphase resampler: an in-band tone passes with its amplitude and phase (time alignment),
// tones above the new Nyquist frequency are attenuated (measured in dB against analytic sinusoids).
#include "dsp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

using colive::dsp::Resampler;

namespace {
std::vector<float> tone(int rate, double hz, double seconds, double amp = 0.5) {
    std::vector<float> x(static_cast<std::size_t>(rate * seconds));
    for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = static_cast<float>(amp * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / rate));
    return x;
}

std::vector<float> resample(int in_rate, int out_rate, const std::vector<float>& x, std::size_t chunk = 1000) {
    Resampler r(in_rate, out_rate);
    std::vector<float> y;
    for (std::size_t i = 0; i < x.size(); i += chunk)
        r.process(std::span<const float>(x.data() + i, std::min(chunk, x.size() - i)), y);
    return y;
}

// Amplitude of the component at `hz` and the RMS error against the ideal in-phase sinusoid
// amp*sin(2 pi hz t), over the steady part of y (skipping the first and last 0.2 s).
struct Fit {
    double amp_db, residual_db;
};
Fit fit(const std::vector<float>& y, int rate, double hz, double amp) {
    const auto skip = static_cast<std::size_t>(0.2 * rate);
    double s = 0, c = 0, err = 0, n = 0;
    for (std::size_t i = skip; i + skip < y.size(); ++i) {
        const double ph = 2 * std::numbers::pi * hz * static_cast<double>(i) / rate;
        s += y[i] * std::sin(ph);
        c += y[i] * std::cos(ph);
        const double e = y[i] - amp * std::sin(ph);
        err += e * e;
        n += 1;
    }
    const double a = 2.0 * std::sqrt(s * s + c * c) / n;
    return {20 * std::log10(std::max(a, 1e-12) / amp), 20 * std::log10(std::max(std::sqrt(err / n), 1e-12) / (amp / std::sqrt(2.0)))};
}

double rms_db(const std::vector<float>& y, int rate, double ref_amp) {
    const auto skip = static_cast<std::size_t>(0.2 * rate);
    double e = 0, n = 0;
    for (std::size_t i = skip; i + skip < y.size(); ++i) {
        e += static_cast<double>(y[i]) * y[i];
        n += 1;
    }
    return 20 * std::log10(std::max(std::sqrt(e / n), 1e-12) / (ref_amp / std::sqrt(2.0)));
}
}  // namespace

TEST(Resampler, InBandTonePassesInPhaseAtEveryRate) {
    for (int rate : {8000, 11025, 22050, 44100, 48000, 96000, 192000}) {
        const auto y = resample(rate, 16000, tone(rate, 1000.0, 1.5));
        ASSERT_NEAR(static_cast<double>(y.size()), 1.5 * 16000, 16000 * 0.1) << rate;
        const Fit f = fit(y, 16000, 1000.0, 0.5);
        std::printf("%6d Hz -> 16 kHz, 1 kHz tone: gain %+.4f dB, residual vs ideal %.1f dB\n", rate, f.amp_db, f.residual_db);
        EXPECT_NEAR(f.amp_db, 0.0, 0.01) << rate;
        EXPECT_LT(f.residual_db, -60.0) << rate << ": output must line up in time with the input";
    }
}

TEST(Resampler, TopOfTheMelRangePasses) {
    // 7 kHz is inside the pass band (cutoff 7.6 kHz, transition ~7.26-7.94 kHz).
    for (int rate : {44100, 48000}) {
        const auto y = resample(rate, 16000, tone(rate, 7000.0, 1.0));
        EXPECT_NEAR(fit(y, 16000, 7000.0, 0.5).amp_db, 0.0, 0.1) << rate;
    }
}

TEST(Resampler, AboveNyquistTonesAreAttenuated) {
    struct Case {
        int rate;
        double hz;
    };
    for (const Case c : {Case{44100, 12000.0}, Case{48000, 9000.0}, Case{48000, 20000.0}, Case{96000, 8500.0},
                         Case{192000, 30000.0}, Case{22050, 10000.0}}) {
        const auto y = resample(c.rate, 16000, tone(c.rate, c.hz, 1.0));
        const double db = rms_db(y, 16000, 0.5);
        std::printf("%6d Hz -> 16 kHz, %.0f Hz tone: output level %.1f dB\n", c.rate, c.hz, db);
        EXPECT_LT(db, -70.0) << c.rate << " Hz input, " << c.hz << " Hz tone";
    }
}

TEST(Resampler, UpsamplingLeavesNoImages) {
    // 8 kHz -> 16 kHz: a 3 kHz tone must not leave an image at 8 - 3 = 5 kHz.
    const auto y = resample(8000, 16000, tone(8000, 3000.0, 1.0));
    EXPECT_NEAR(fit(y, 16000, 3000.0, 0.5).amp_db, 0.0, 0.05);
    EXPECT_LT(fit(y, 16000, 5000.0, 0.5).amp_db, -70.0);
}

TEST(Resampler, IdentityAndChunkingAreExact) {
    const auto x = tone(16000, 440.0, 0.5);
    EXPECT_EQ(resample(16000, 16000, x), x);
    const auto x2 = tone(44100, 440.0, 0.5);
    const auto a = resample(44100, 16000, x2, 1), b = resample(44100, 16000, x2, 4096);
    EXPECT_EQ(a, b);
}

TEST(Resampler, UnusualRatesWork) {
    // 44056 Hz (reduced ratio 2000/5507 -> quantised phases) and 7 kHz.
    for (int rate : {44056, 7000, 37800}) {
        const auto y = resample(rate, 16000, tone(rate, 1000.0, 1.0));
        EXPECT_NEAR(fit(y, 16000, 1000.0, 0.5).amp_db, 0.0, 0.02) << rate;
    }
}
