// SPDX-License-Identifier: MIT
// AudioFeatures and the VGGish log-mel: checked against a numpy reference (scripts/features_reference.py)
// and analytic facts (HTK mel scale, band-limited signals at several rates).
#include "colive/features.h"
#include "dsp.h"
#include "npy_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

using colive::AudioFeatures;
using colive::FeatureError;
using colive::Token;

namespace {
const std::string kGolden = std::string(COLIVE_GOLDEN_DIR) + "/features/";

std::vector<float> to_float(const colive::test::NpyArray& a) { return {a.data.begin(), a.data.end()}; }

// A band-limited (< 6 kHz), rhythmic test signal defined analytically, so it can be sampled
// exactly at any rate: tones with beat-synchronous envelopes at 120 BPM plus a chord.
// Envelopes have a smooth 5 ms attack so the signal stays band-limited (no clicks that would alias
// differently at different rates).
double hit(double tau, double decay) {
    const double attack = tau < 0.005 ? std::pow(std::sin(std::numbers::pi * tau / 0.01), 2) : 1.0;
    return attack * std::exp(-tau * decay);
}
bool g_with_hat = true;
double music_like(double t) {
    const double beat = std::fmod(t, 0.5);
    const double kick = hit(beat, 18.0) * std::sin(2 * std::numbers::pi * 90.0 * beat);
    const double hat = g_with_hat ? hit(std::fmod(t + 0.25, 0.5), 40.0) * std::sin(2 * std::numbers::pi * 5200.0 * t) : 0.0;
    double chord = 0.0;
    for (double f : {261.63, 329.63, 392.0, 523.25}) chord += std::sin(2 * std::numbers::pi * f * t);
    const double lead = std::sin(2 * std::numbers::pi * (880.0 + 220.0 * std::sin(2 * std::numbers::pi * 0.5 * t)) * t);
    return 0.4 * kick + 0.15 * hat + 0.05 * chord + 0.08 * lead * (0.6 + 0.4 * std::sin(2 * std::numbers::pi * 1.0 * t));
}

std::vector<float> render(double seconds, int rate, int channels) {
    const auto n = static_cast<std::size_t>(seconds * rate);
    std::vector<float> x(n * static_cast<std::size_t>(channels));
    for (std::size_t i = 0; i < n; ++i) {
        const float v = static_cast<float>(music_like(static_cast<double>(i) / rate));
        for (int c = 0; c < channels; ++c) {
            // Channels differ but average to v: +d, -d on the first two, v elsewhere.
            float d = 0.0f;
            if (channels >= 2 && c < 2) d = (c == 0 ? 1.0f : -1.0f) * 0.1f * std::sin(static_cast<float>(i) * 0.01f);
            x[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = v + d;
        }
    }
    return x;
}

std::vector<Token> run(AudioFeatures& f, const std::vector<float>& x, int channels, int rate, std::size_t chunk_frames,
                       bool flush = true) {
    std::vector<Token> out;
    auto sink = [&](const Token& t) { out.push_back(t); };
    const std::size_t step = chunk_frames * static_cast<std::size_t>(channels);
    for (std::size_t i = 0; i < x.size(); i += step) {
        const std::size_t m = std::min(step, x.size() - i);
        f.push(std::span<const float>(x.data() + i, m), channels, rate, sink);
    }
    if (flush) f.flush(sink);
    return out;
}

double mel_center_hz(int band) {   // HTK, 64 bands 125..7500 Hz: centre of band b
    const double lo = colive::dsp::hz_to_mel_htk(125.0), hi = colive::dsp::hz_to_mel_htk(7500.0);
    const double m = lo + (hi - lo) * (band + 1) / 65.0;
    return 700.0 * (std::exp(m / 1127.0) - 1.0);
}
}  // namespace

TEST(LogMel, MatchesNumpyVGGishReference) {
    const auto x = to_float(colive::test::read_npy(kGolden + "logmel_input_16k.npy"));
    const auto ref = colive::test::read_npy(kGolden + "logmel_expected.npy");
    ASSERT_EQ(ref.shape.size(), 2u);
    ASSERT_EQ(ref.shape[1], 64u);
    const std::size_t frames = 1 + (x.size() - 400) / 160;
    ASSERT_EQ(frames, ref.shape[0]);
    colive::dsp::LogMel lm;
    std::vector<float> row(64);
    double max_err = 0.0;
    for (std::size_t f = 0; f < frames; ++f) {
        lm.frame(x.data() + f * 160, row.data());
        for (std::size_t b = 0; b < 64; ++b) max_err = std::max(max_err, std::abs(row[b] - ref.data[f * 64 + b]));
    }
    RecordProperty("max_abs_error", std::to_string(max_err));
    std::printf("log-mel vs numpy VGGish reference: max |error| = %.3g over %zu x 64\n", max_err, frames);
    EXPECT_LT(max_err, 1e-4);
}

TEST(LogMel, MelWeightsMatchReferenceMatrix) {
    const auto ref = colive::test::read_npy(kGolden + "mel_matrix.npy");
    ASSERT_EQ(ref.shape[0], 257u);
    colive::dsp::LogMel lm;
    double max_err = 0.0;
    for (int k = 0; k < 257; ++k)
        for (int b = 0; b < 64; ++b)
            max_err = std::max(max_err, std::abs(lm.weight(k, b) - ref.data[static_cast<std::size_t>(k) * 64 + b]));
    EXPECT_LT(max_err, 1e-6);
}

TEST(AudioFeatures, StreamingLogMelPatchesMatchReference) {
    // The patch behind each token (latest_logmel) equals reference frames [25k, 25k+96).
    const auto x = to_float(colive::test::read_npy(kGolden + "logmel_input_16k.npy"));
    const auto ref = colive::test::read_npy(kGolden + "logmel_expected.npy");
    AudioFeatures f;
    int tokens = 0;
    double max_err = 0.0;
    f.push(x, 1, 16000, [&](const Token& t) {
        std::vector<float> spec;
        int rows = 0, cols = 0;
        f.latest_logmel(spec, rows, cols);
        ASSERT_EQ(rows, 96);
        ASSERT_EQ(cols, 64);
        const std::size_t first = static_cast<std::size_t>(tokens) * 25;
        for (std::size_t i = 0; i < spec.size(); ++i) max_err = std::max(max_err, std::abs(spec[i] - ref.data[first * 64 + i]));
        const double expected_time = ((first + 95) * 160 + 400) / 16000.0;
        EXPECT_NEAR(t.time_s, expected_time, 1e-9);
        ++tokens;
    });
    EXPECT_EQ(tokens, 1 + (148 - 96) / 25);
    EXPECT_LT(max_err, 1e-4);
}

TEST(AudioFeatures, OneKilohertzTonePeaksInTheRightMelBand) {
    int expected = 0;
    double best = 1e9;
    for (int b = 0; b < 64; ++b) {
        const double d = std::abs(std::log(mel_center_hz(b) / 1000.0));
        if (d < best) {
            best = d;
            expected = b;
        }
    }
    for (int rate : {16000, 44100, 48000}) {
        std::vector<float> x(static_cast<std::size_t>(rate * 2));
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * static_cast<float>(std::sin(2 * std::numbers::pi * 1000.0 * static_cast<double>(i) / rate));
        AudioFeatures f;
        std::vector<Token> toks = run(f, x, 1, rate, 4096);
        ASSERT_FALSE(toks.empty());
        const auto& v = toks.back().values;   // [0,64): band means
        const auto peak = std::max_element(v.begin(), v.begin() + 64) - v.begin();
        EXPECT_EQ(peak, expected) << "rate " << rate;
        EXPECT_GT(v[static_cast<std::size_t>(peak)], v[static_cast<std::size_t>(peak) + 6] + 4.0) << "energy must be concentrated";
    }
}

TEST(AudioFeatures, DimAndIdAreStable) {
    AudioFeatures f;
    EXPECT_EQ(f.dim(), 276);
    EXPECT_STREQ(AudioFeatures::id(), "audio-logmel-v2");
    EXPECT_EQ(f.feature_id(), "audio-logmel-v2");
    colive::AudioFeatureParams p;
    p.descriptor = "audio-logmel-v1";
    AudioFeatures f1(p);
    EXPECT_EQ(f1.dim(), 324);
    EXPECT_EQ(f1.feature_id(), "audio-logmel-v1");
    p.descriptor = "audio-logmel-v9";
    EXPECT_THROW(AudioFeatures{p}, FeatureError);
}

TEST(AudioFeatures, VersionsShareTheSpectralBlock) {
    colive::AudioFeatureParams p;
    p.descriptor = "audio-logmel-v1";
    AudioFeatures f1(p), f2;
    const auto x = render(3.0, 44100, 2);
    const auto t1 = run(f1, x, 2, 44100, 4096), t2 = run(f2, x, 2, 44100, 4096);
    ASSERT_EQ(t1.size(), t2.size());
    for (std::size_t k = 0; k < t1.size(); ++k) {
        EXPECT_TRUE(std::equal(t1[k].values.begin(), t1[k].values.begin() + 256, t2[k].values.begin()));
        EXPECT_NEAR(t1[k].values[320], t2[k].values[272], 0.02 * t1[k].values[320] + 1e-6);   // tempo (v2: refined)
    }
}

TEST(AudioFeatures, ChunkSizeDoesNotChangeTheOutput) {
    const auto x = render(4.0, 44100, 2);
    AudioFeatures ref_f;
    const auto ref = run(ref_f, x, 2, 44100, x.size() / 2);
    ASSERT_GE(ref.size(), 10u);
    for (std::size_t chunk : {1u, 7u, 441u, 1000u, 4096u}) {
        AudioFeatures f;
        const auto got = run(f, x, 2, 44100, chunk);
        ASSERT_EQ(got.size(), ref.size()) << "chunk " << chunk;
        for (std::size_t k = 0; k < ref.size(); ++k) {
            EXPECT_EQ(got[k].time_s, ref[k].time_s);
            EXPECT_EQ(got[k].values, ref[k].values) << "chunk " << chunk << " token " << k;
        }
    }
}

TEST(AudioFeatures, AnyRateAndChannelCountGivesTheSixteenKilohertzMonoTokens) {
    const double seconds = 5.0;
    AudioFeatures ref_f;
    const auto ref_all = run(ref_f, render(seconds, 16000, 1), 1, 16000, 1600);
    ASSERT_GE(ref_all.size(), 14u);
    // 8 kHz cannot carry the 5.2 kHz hi-hat: its reference is the same music without it.
    g_with_hat = false;
    AudioFeatures ref8_f;
    const auto ref8 = run(ref8_f, render(seconds, 16000, 1), 1, 16000, 1600);
    struct Case {
        int rate, channels;
    };
    for (const Case c : {Case{8000, 1}, Case{22050, 1}, Case{44100, 2}, Case{48000, 1}, Case{48000, 2}, Case{48000, 6},
                         Case{96000, 2}, Case{192000, 1}, Case{16000, 6}}) {
        g_with_hat = c.rate != 8000;
        const auto& ref = c.rate == 8000 ? ref8 : ref_all;
        AudioFeatures f;
        const auto got = run(f, render(seconds, c.rate, c.channels), c.channels, c.rate, 4096);
        ASSERT_GE(got.size(), ref.size() - 1) << c.rate;
        // At 8 kHz nothing above 3.8 kHz survives: compare bands whose upper edge is below 3.5 kHz.
        const int max_band = c.rate == 8000 ? 43 : 64;
        double max_mean = 0.0, max_token = 0.0;
        std::size_t worst = 0;
        for (std::size_t k = 0; k + 1 < ref.size() && k < got.size(); ++k) {
            EXPECT_NEAR(got[k].time_s, ref[k].time_s, 1e-9);
            for (int b = 0; b < max_band; ++b)
                max_mean = std::max(max_mean, static_cast<double>(std::abs(got[k].values[static_cast<std::size_t>(b)] - ref[k].values[static_cast<std::size_t>(b)])));
            if (c.rate != 8000) {
                for (std::size_t i = 0; i < ref[k].values.size(); ++i)
                    if (std::abs(got[k].values[i] - ref[k].values[i]) > max_token) {
                        max_token = std::abs(got[k].values[i] - ref[k].values[i]);
                        worst = i;
                    }
            }
        }
        g_with_hat = true;
        std::printf("%6d Hz x %d ch vs 16 kHz mono: max |band-mean diff| %.4f, max |token diff| %.4f (element %zu)\n", c.rate,
                    c.channels, max_mean, max_token, worst);
        EXPECT_LT(max_mean, 0.005) << c.rate << " Hz x " << c.channels;
        if (c.rate != 8000) {
            EXPECT_LT(max_token, 0.02) << c.rate << " Hz x " << c.channels;
        }
    }
}

TEST(AudioFeatures, TempoFeaturesFindTheBeat) {
    // 120 BPM kick pattern: onset autocorrelation peaks at 50 frames -> 120 BPM.
    AudioFeatures f;
    const auto toks = run(f, render(6.0, 16000, 1), 1, 16000, 4096);
    ASSERT_FALSE(toks.empty());
    const auto& v = toks.back().values;
    EXPECT_NEAR(v[272] * 100.0, 120.0, 6.0);
    EXPECT_GT(v[273], 0.15);
    EXPECT_NEAR(v[275], 1.0, 1e-6);
    EXPECT_FLOAT_EQ(v[259], v[273]);           // beat-relative m = 1 is the pulse clarity (at the refined period)
    EXPECT_GT(v[257], v[256]);                 // half a beat (off-beat hi-hat) > a quarter beat (nothing)
}

TEST(AudioFeatures, BeatRelativeRhythmDoesNotDependOnTempo) {
    // The same pattern at 100 and 130 BPM: v2's beat-relative block is nearly the same, v1's
    // absolute-lag block is not.
    auto pattern = [](double bpm) {
        const int rate = 16000;
        std::vector<float> x(static_cast<std::size_t>(rate * 6));
        const double beat = 60.0 / bpm;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double t = static_cast<double>(i) / rate;
            const double tb = std::fmod(t, beat), th = std::fmod(t + beat / 2, beat);
            x[i] = static_cast<float>(0.5 * hit(tb, 25.0) * std::sin(2 * std::numbers::pi * 80.0 * tb) +
                                      0.1 * hit(th, 60.0) * std::sin(2 * std::numbers::pi * 4000.0 * t));
        }
        return x;
    };
    colive::AudioFeatureParams p1;
    p1.descriptor = "audio-logmel-v1";
    AudioFeatures a2, b2, a1(p1), b1(p1);
    const auto x100 = pattern(100.0), x130 = pattern(130.0);
    const auto ta2 = run(a2, x100, 1, 16000, 4096), tb2 = run(b2, x130, 1, 16000, 4096);
    const auto ta1 = run(a1, x100, 1, 16000, 4096), tb1 = run(b1, x130, 1, 16000, 4096);
    double d2 = 0, d1 = 0;
    for (int i = 256; i < 272; ++i) d2 = std::max(d2, static_cast<double>(std::abs(ta2.back().values[static_cast<std::size_t>(i)] - tb2.back().values[static_cast<std::size_t>(i)])));
    for (int i = 256; i < 320; ++i) d1 = std::max(d1, static_cast<double>(std::abs(ta1.back().values[static_cast<std::size_t>(i)] - tb1.back().values[static_cast<std::size_t>(i)])));
    std::printf("100 vs 130 BPM: max |diff| beat-relative (v2) %.3f, absolute lags (v1) %.3f\n", d2, d1);
    EXPECT_NEAR(ta2.back().values[272] * 100.0, 100.0, 5.0);
    EXPECT_NEAR(tb2.back().values[272] * 100.0, 130.0, 7.0);
    EXPECT_LT(d2, 0.2);
    EXPECT_GT(d1, 3.0 * d2);
}

TEST(AudioFeatures, FlushEmitsTokensForTheWholeInputOnly) {
    // 2.0 s at 44.1 kHz: patches ending at or before 2.0 s -> tokens at 0.975 + 0.25 k <= 2.0 -> 5.
    AudioFeatures f;
    std::vector<Token> toks = run(f, render(2.0, 44100, 1), 1, 44100, 4096);
    EXPECT_EQ(toks.size(), 5u);
    for (const auto& t : toks) EXPECT_LE(t.time_s, 2.0 + 1e-9);
    f.reset();
    toks = run(f, render(0.5, 44100, 1), 1, 44100, 4096);
    EXPECT_TRUE(toks.empty());
}

TEST(AudioFeatures, SilenceAndNonFiniteInputStayFinite) {
    AudioFeatures f;
    std::vector<float> x(48000 * 2, 0.0f);
    x[1000] = std::numeric_limits<float>::quiet_NaN();
    x[2000] = std::numeric_limits<float>::infinity();
    const auto toks = run(f, x, 1, 48000, 4800);
    ASSERT_FALSE(toks.empty());
    for (const auto& t : toks)
        for (float v : t.values) ASSERT_TRUE(std::isfinite(v));
    EXPECT_NEAR(toks.back().values[0], std::log(0.01), 1e-3);   // silent band = log(0 + 0.01)
}

TEST(AudioFeatures, BadInputIsRefusedWithAClearError) {
    AudioFeatures f;
    std::vector<float> x(30, 0.0f);
    auto sink = [](const Token&) {};
    EXPECT_THROW(f.push(x, 0, 48000, sink), FeatureError);
    EXPECT_THROW(f.push(x, 4, 48000, sink), FeatureError);      // 30 is not a multiple of 4
    EXPECT_THROW(f.push(x, 1, 100, sink), FeatureError);
    EXPECT_THROW(f.push(x, 1, 10'000'000, sink), FeatureError);
    colive::AudioFeatureParams bad_rate, bad_hop;
    bad_rate.model_rate_hz = 22050;
    bad_hop.token_hop_s = 0.0;
    EXPECT_THROW(AudioFeatures{bad_rate}, FeatureError);
    EXPECT_THROW(AudioFeatures{bad_hop}, FeatureError);
    EXPECT_NO_THROW(f.push(x, 1, 48000, sink));
    EXPECT_NO_THROW(f.push(std::span<const float>(), 2, 48000, sink));
}

TEST(AudioFeatures, RateChangeMidStreamKeepsGoing) {
    AudioFeatures f;
    std::vector<Token> toks;
    auto sink = [&](const Token& t) { toks.push_back(t); };
    const auto a = render(1.5, 48000, 2);
    const auto b = render(1.5, 44100, 1);
    f.push(a, 2, 48000, sink);
    f.push(b, 1, 44100, sink);
    f.flush(sink);
    ASSERT_GE(toks.size(), 8u);
    for (std::size_t k = 1; k < toks.size(); ++k) EXPECT_NEAR(toks[k].time_s - toks[k - 1].time_s, 0.25, 1e-9);
}
