// SPDX-License-Identifier: MIT
// AudioFeatures: any rate / channel count -> mono -> 16 kHz (polyphase windowed sinc) -> VGGish
// log-mel frames -> 0.96 s patches every token_hop_s -> one descriptor token per patch.
// The token layout is documented in colive/features.h (audio-logmel-v1).
#include "colive/features.h"
#include "colive/backbone.h"

#include "dsp.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>
#include <string>

namespace colive {

namespace {
constexpr int kBands = 64;
constexpr int kGroups = 16;             // band groups of 4 bands
constexpr int kSegments = 6;            // time segments of the coarse patch
constexpr int kContextFrames = 300;     // rhythm context (3.0 s)
constexpr int kMinPairs = 50;           // an autocorrelation lag needs this many frame pairs
constexpr int kLagsFull = 48;
constexpr int kLagsBass = 16;
constexpr double kLagMin = 15.0, kLagMax = 150.0;   // frames: 400 .. 40 beats per minute
constexpr int kDim = kBands * 2 + kSegments * kGroups + kGroups + 8 + 8 + kLagsFull + kLagsBass + 4;
static_assert(kDim == 324);
constexpr int kShared = 256;                         // v1 and v2 share [0,256)
constexpr double kRelFull[] = {0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0};
constexpr double kRelBass[] = {0.5, 1.0, 1.5, 2.0, 3.0, 4.0};
constexpr int kDimV2 = kShared + 10 + 6 + 4;
static_assert(kDimV2 == 276);
constexpr int kMaxLag = kContextFrames - kMinPairs;  // 250 frames

struct Autocorr {
    std::vector<double> r;    // r[l] for integer lags 0..kMaxLag (normalised, 0 when undefined)
    void compute(const float* o, int n) {
        const int maxlag = kMaxLag;
        r.assign(static_cast<std::size_t>(maxlag + 1), 0.0);
        if (n < 2) return;
        double mean = 0.0;
        for (int t = 0; t < n; ++t) mean += o[t];
        mean /= n;
        double var = 0.0;
        for (int t = 0; t < n; ++t) var += (o[t] - mean) * (o[t] - mean);
        var /= n;
        if (var < 1e-10) return;
        for (int l = 0; l <= maxlag; ++l) {
            if (n - l < kMinPairs) break;
            double acc = 0.0;
            for (int t = 0; t + l < n; ++t) acc += (o[t] - mean) * (o[t + l] - mean);
            r[static_cast<std::size_t>(l)] = acc / (n - l) / var;
        }
    }
    double at(double lag) const {
        const int l0 = static_cast<int>(std::floor(lag));
        const double f = lag - l0;
        const auto i0 = static_cast<std::size_t>(l0);
        if (i0 + 1 >= r.size()) return 0.0;
        return (1.0 - f) * r[i0] + f * r[i0 + 1];
    }
};

double log_lag(int i, int n) { return kLagMin * std::pow(kLagMax / kLagMin, static_cast<double>(i) / (n - 1)); }
}  // namespace

struct AudioFeatures::Impl {
    AudioFeatureParams p;
    int hop_frames = 25;
    int patch_frames = 96;
    int keep_frames = 0;                 // frames kept for the patch + rhythm context
    dsp::LogMel logmel;
    std::optional<dsp::Resampler> rs;
    int rate = 0, channels = 0;
    std::int64_t rs_in_samples = 0;      // input samples fed to the current resampler
    std::int64_t rs_out_base = 0;        // absolute 16 kHz index where the current resampler started
    std::vector<float> mono;
    std::vector<float> s16;              // 16 kHz samples from absolute index s16_0
    std::int64_t s16_0 = 0;
    std::int64_t s16_end() const { return s16_0 + static_cast<std::int64_t>(s16.size()); }
    std::int64_t next_frame = 0;
    std::vector<float> frames;           // log-mel rows, absolute frame index frames0..
    std::vector<float> onset, onset_bass, onset_high;
    std::int64_t frames0 = 0;
    std::int64_t frames_end() const { return frames0 + static_cast<std::int64_t>(onset.size()); }
    std::int64_t next_token = 0;
    std::vector<float> row;
    Token tok;
    Autocorr ac_full, ac_bass, ac_sfull, ac_sbass, ac_shigh;
    std::vector<float> sm_full, sm_bass, sm_high;

    static const float* smooth(const float* x, int n, std::vector<float>& out) {
        static constexpr float k[7] = {0.0366f, 0.1113f, 0.2167f, 0.2707f, 0.2167f, 0.1113f, 0.0366f};   // Gaussian, sigma 1.5
        out.assign(static_cast<std::size_t>(n), 0.0f);
        for (int t = 0; t < n; ++t) {
            float acc = 0.0f, wsum = 0.0f;
            for (int j = -3; j <= 3; ++j) {
                if (t + j < 0 || t + j >= n) continue;
                acc += k[j + 3] * x[t + j];
                wsum += k[j + 3];
            }
            out[static_cast<std::size_t>(t)] = acc / wsum;
        }
        return out.data();
    }
    int version = 2;
    std::vector<double> scratch;
    std::optional<OnnxBackbone> backbone;
    std::vector<float> bb_in;

    mutable std::mutex spec_mtx;
    std::vector<float> spec;
    int spec_rows = 0;

    explicit Impl(AudioFeatureParams params) : p(std::move(params)) {
        if (p.model_rate_hz != 16000)
            throw FeatureError("audio features: model_rate_hz must be 16000 (VGGish log-mel), got " +
                               std::to_string(p.model_rate_hz));
        if (!(p.token_hop_s >= 0.01 && p.token_hop_s <= 10.0))
            throw FeatureError("audio features: token_hop_s must be in [0.01, 10] s, got " + std::to_string(p.token_hop_s));
        if (!(p.patch_s >= 0.12 && p.patch_s <= 10.0))
            throw FeatureError("audio features: patch_s must be in [0.12, 10] s, got " + std::to_string(p.patch_s));
        hop_frames = std::max(1, static_cast<int>(std::lround(p.token_hop_s * 100.0)));
        patch_frames = static_cast<int>(std::lround(p.patch_s * 100.0));
        keep_frames = std::max(patch_frames, kContextFrames) + 1;
        row.resize(kBands);
        if (p.descriptor == "audio-logmel-v1") version = 1;
        else if (p.descriptor.empty() || p.descriptor == "audio-logmel-v2") version = 2;
        else
            throw FeatureError("audio features: unknown descriptor \"" + p.descriptor +
                               "\" (known: audio-logmel-v2, audio-logmel-v1)");
        if (!p.backbone_manifest.empty()) {
            backbone.emplace(OnnxBackbone::load(p.backbone_manifest));
            if (backbone->manifest().input_kind != "logmel")
                throw FeatureError("audio features: backbone '" + backbone->manifest().name +
                                   "' takes input_kind '" + backbone->manifest().input_kind + "', expected 'logmel'");
        }
        tok.values.resize(static_cast<std::size_t>(dim()));
    }

    int dim() const { return backbone ? backbone->dim() : (version == 1 ? kDim : kDimV2); }

    void reset() {
        rs.reset();
        rate = channels = 0;
        rs_in_samples = rs_out_base = 0;
        s16.clear();
        s16_0 = 0;
        next_frame = 0;
        frames.clear();
        onset.clear();
        onset_bass.clear();
        onset_high.clear();
        frames0 = 0;
        next_token = 0;
        std::lock_guard lock(spec_mtx);
        spec.clear();
        spec_rows = 0;
    }

    const float* frame_ptr(std::int64_t f) const { return frames.data() + (f - frames0) * kBands; }

    void make_frames() {
        const int win = logmel.spec().window, hop = logmel.spec().hop;
        while (next_frame * hop + win <= s16_end()) {
            const float* x = s16.data() + (next_frame * hop - s16_0);
            logmel.frame(x, row.data());
            double of = 0.0, ob = 0.0, oh = 0.0;
            if (frames_end() > frames0 && next_frame > 0) {
                const float* prev = frame_ptr(frames_end() - 1);
                for (int b = 0; b < kBands; ++b) {
                    const double d = std::max(0.0f, row[static_cast<std::size_t>(b)] - prev[b]);
                    of += d;
                    if (b < 16) ob += d;
                    if (b >= 48) oh += d;
                }
            }
            frames.insert(frames.end(), row.begin(), row.end());
            onset.push_back(static_cast<float>(of / kBands));
            onset_bass.push_back(static_cast<float>(ob / 16));
            onset_high.push_back(static_cast<float>(oh / 16));
            ++next_frame;
        }
        // Trim what no future frame or token needs.
        const std::int64_t need_s16 = next_frame * hop;
        if (need_s16 - s16_0 > 16000) {
            s16.erase(s16.begin(), s16.begin() + (need_s16 - s16_0));
            s16_0 = need_s16;
        }
    }

    void make_tokens(const std::function<void(const Token&)>& on_token) {
        while (next_token * hop_frames + patch_frames <= frames_end()) {
            const std::int64_t first = next_token * hop_frames;
            if (first < frames0) throw FeatureError("audio features: internal frame bookkeeping error");
            compute_token(first);
            const std::int64_t last_sample = (first + patch_frames - 1) * logmel.spec().hop + logmel.spec().window;
            tok.time_s = static_cast<double>(last_sample) / p.model_rate_hz;
            {
                std::lock_guard lock(spec_mtx);
                spec.assign(frame_ptr(first), frame_ptr(first) + static_cast<std::ptrdiff_t>(patch_frames) * kBands);
                spec_rows = patch_frames;
            }
            ++next_token;
            on_token(tok);
        }
        const std::int64_t keep_from = std::max<std::int64_t>(frames0, frames_end() - keep_frames);
        if (keep_from - frames0 > 2 * keep_frames) {
            const auto n = static_cast<std::ptrdiff_t>(keep_from - frames0);
            frames.erase(frames.begin(), frames.begin() + n * kBands);
            onset.erase(onset.begin(), onset.begin() + n);
            onset_bass.erase(onset_bass.begin(), onset_bass.begin() + n);
            onset_high.erase(onset_high.begin(), onset_high.begin() + n);
            frames0 = keep_from;
        }
    }

    void compute_token(std::int64_t first) {
        float* v = tok.values.data();
        const int P = patch_frames;
        if (backbone) {
            bb_in.assign(frame_ptr(first), frame_ptr(first) + static_cast<std::ptrdiff_t>(P) * kBands);
            backbone->run_logmel(bb_in, P, kBands, tok.values);
            return;
        }
        int o = 0;
        // [0,64) band mean, [64,128) band std
        for (int b = 0; b < kBands; ++b) {
            double s = 0.0, s2 = 0.0;
            for (int t = 0; t < P; ++t) {
                const double x = frame_ptr(first + t)[b];
                s += x;
                s2 += x * x;
            }
            const double m = s / P;
            v[b] = static_cast<float>(m);
            v[kBands + b] = static_cast<float>(std::sqrt(std::max(0.0, s2 / P - m * m)));
        }
        o = 2 * kBands;
        // [128,224) coarse patch: 6 time segments x 16 band groups, mean log-mel
        for (int s = 0; s < kSegments; ++s) {
            const int t0 = s * P / kSegments, t1 = (s + 1) * P / kSegments;
            for (int g = 0; g < kGroups; ++g) {
                double acc = 0.0;
                for (int t = t0; t < t1; ++t)
                    for (int b = 4 * g; b < 4 * g + 4; ++b) acc += frame_ptr(first + t)[b];
                v[o + s * kGroups + g] = static_cast<float>(acc / (4.0 * (t1 - t0)));
            }
        }
        o += kSegments * kGroups;
        // [224,240) positive spectral flux per band group, mean over the patch
        for (int g = 0; g < kGroups; ++g) {
            double acc = 0.0;
            for (int t = 0; t < P; ++t) {
                const std::int64_t f = first + t;
                if (f - 1 < frames0 || f == 0) continue;
                const float* cur = frame_ptr(f);
                const float* prev = frame_ptr(f - 1);
                for (int b = 4 * g; b < 4 * g + 4; ++b) acc += std::max(0.0f, cur[b] - prev[b]);
            }
            v[o + g] = static_cast<float>(acc / (4.0 * P));
        }
        o += kGroups;
        // [240,248) spectral shape
        {
            double cen = 0, cen2 = 0, spr = 0, flat = 0, roll = 0, le = 0, le2 = 0;
            scratch.resize(static_cast<std::size_t>(P));
            for (int t = 0; t < P; ++t) {
                const float* L = frame_ptr(first + t);
                double tot = 0, mom = 0, meanlog = 0;
                double e[kBands];
                for (int b = 0; b < kBands; ++b) {
                    e[b] = std::max(0.0, std::exp(static_cast<double>(L[b])) - 0.01);
                    tot += e[b];
                    mom += b * e[b];
                    meanlog += L[b];
                }
                meanlog /= kBands;
                double c = 0, sp = 0, ro = 0;
                if (tot > 1e-9) {
                    c = mom / tot;
                    for (int b = 0; b < kBands; ++b) sp += (b - c) * (b - c) * e[b];
                    sp = std::sqrt(sp / tot);
                    double cum = 0;
                    for (int b = 0; b < kBands; ++b) {
                        cum += e[b];
                        if (cum >= 0.85 * tot) {
                            ro = b;
                            break;
                        }
                    }
                }
                const double meanexp = (tot + 0.01 * kBands) / kBands;   // mean of exp(L)
                flat += meanlog - std::log(meanexp);
                cen += c / (kBands - 1);
                cen2 += (c / (kBands - 1)) * (c / (kBands - 1));
                spr += sp / (kBands - 1);
                roll += ro / (kBands - 1);
                const double loge = std::log(tot + 0.01);
                scratch[static_cast<std::size_t>(t)] = loge;
                le += loge;
                le2 += loge * loge;
            }
            const double cm = cen / P, lm = le / P;
            int low = 0;
            for (int t = 0; t < P; ++t) low += scratch[static_cast<std::size_t>(t)] < lm ? 1 : 0;
            v[o + 0] = static_cast<float>(cm);
            v[o + 1] = static_cast<float>(spr / P);
            v[o + 2] = static_cast<float>(flat / P);
            v[o + 3] = static_cast<float>(roll / P);
            v[o + 4] = static_cast<float>(lm);
            v[o + 5] = static_cast<float>(std::sqrt(std::max(0.0, le2 / P - lm * lm)));
            v[o + 6] = static_cast<float>(std::sqrt(std::max(0.0, cen2 / P - cm * cm)));
            v[o + 7] = static_cast<float>(static_cast<double>(low) / P);
        }
        o += 8;
        // [248,256) onset-strength statistics over the patch
        {
            const float* of = onset.data() + (first - frames0);
            const float* ob = onset_bass.data() + (first - frames0);
            const float* oh = onset_high.data() + (first - frames0);
            auto mean_std = [P](const float* x, double& m, double& s) {
                double a = 0, a2 = 0;
                for (int t = 0; t < P; ++t) {
                    a += x[t];
                    a2 += static_cast<double>(x[t]) * x[t];
                }
                m = a / P;
                s = std::sqrt(std::max(0.0, a2 / P - m * m));
            };
            double m, s;
            mean_std(of, m, s);
            scratch.assign(of, of + P);
            std::sort(scratch.begin(), scratch.end());
            v[o + 0] = static_cast<float>(m);
            v[o + 1] = static_cast<float>(s);
            v[o + 2] = static_cast<float>(scratch.back());
            v[o + 3] = static_cast<float>(scratch[static_cast<std::size_t>((P - 1) * 9 / 10)]);
            mean_std(ob, m, s);
            v[o + 4] = static_cast<float>(m);
            v[o + 5] = static_cast<float>(s);
            mean_std(oh, m, s);
            v[o + 6] = static_cast<float>(m);
            v[o + 7] = static_cast<float>(s);
        }
        o += 8;
        if (o != kShared) throw FeatureError("audio features: internal layout error");
        // Onset autocorrelation over the rhythm context.
        const std::int64_t end = first + P;
        const std::int64_t ctx0 = std::max<std::int64_t>(std::max<std::int64_t>(frames0, 0), end - kContextFrames);
        const int n = static_cast<int>(end - ctx0);
        ac_full.compute(onset.data() + (ctx0 - frames0), n);
        ac_bass.compute(onset_bass.data() + (ctx0 - frames0), n);
        if (version == 2) {
            // v2's beat-relative values use smoothed onset envelopes (Gaussian, sigma 1.5 frames):
            // onsets fall between 10 ms frames, and without smoothing that jitter decorrelates sharp
            // onsets at multiples of a beat period that is not a whole number of frames.
            ac_sfull.compute(smooth(onset.data() + (ctx0 - frames0), n, sm_full), n);
            ac_sbass.compute(smooth(onset_bass.data() + (ctx0 - frames0), n, sm_bass), n);
            ac_shigh.compute(smooth(onset_high.data() + (ctx0 - frames0), n, sm_high), n);
        }
        // Beat period: strongest lag in 30..120 frames (200..50 BPM), weighted by a log-normal
        // tempo prior centred on 120 BPM (1 octave std), as beat trackers do against octave errors.
        int best = 0;
        double bestr = 0.0, bestw = 0.0;
        for (int l = 30; l <= 120; ++l) {
            const double r = ac_full.r[static_cast<std::size_t>(l)];
            const double oct = std::log2(l / 50.0);
            const double w = r * std::exp(-0.5 * oct * oct);
            if (r > 0.0 && w > bestw) {
                bestw = w;
                bestr = r;
                best = l;
            }
        }
        const float bpm = best > 0 ? static_cast<float>(6000.0 / best / 100.0) : 0.0f;
        const float fill = static_cast<float>(static_cast<double>(n) / kContextFrames);
        if (version == 2) {
            // v2 [256,276): rhythm relative to the beat (tempo-invariant pattern: swing, off-beats,
            // bar structure), instead of v1's autocorrelation at absolute lags. The beat period is
            // refined to a fraction of a frame (parabola through the peak), since 4 beats of a
            // rounded period would miss sharp onsets.
            double L = best;
            if (best > 0) {
                const auto& r = ac_sfull.r;
                const double a = r[static_cast<std::size_t>(best - 1)], b = r[static_cast<std::size_t>(best)],
                             c = r[static_cast<std::size_t>(best + 1)];
                const double den = a - 2.0 * b + c;
                if (den < -1e-12) L += std::clamp(0.5 * (a - c) / den, -0.5, 0.5);
            }
            for (double m : kRelFull) v[o++] = best > 0 ? static_cast<float>(ac_sfull.at(m * L)) : 0.0f;
            for (double m : kRelBass) v[o++] = best > 0 ? static_cast<float>(ac_sbass.at(m * L)) : 0.0f;
            v[o++] = best > 0 ? static_cast<float>(6000.0 / L / 100.0) : 0.0f;
            v[o++] = best > 0 ? static_cast<float>(ac_sfull.at(L)) : 0.0f;
            v[o++] = best > 0 ? static_cast<float>(ac_shigh.at(L)) : 0.0f;
            v[o++] = fill;
            if (o != kDimV2) throw FeatureError("audio features: internal layout error (v2)");
            return;
        }
        // v1 [256,304) + [304,320): autocorrelation at log-spaced absolute lags; [320,324) tempo
        for (int i = 0; i < kLagsFull; ++i) v[o + i] = static_cast<float>(ac_full.at(log_lag(i, kLagsFull)));
        o += kLagsFull;
        for (int i = 0; i < kLagsBass; ++i) v[o + i] = static_cast<float>(ac_bass.at(log_lag(i, kLagsBass)));
        o += kLagsBass;
        v[o + 0] = bpm;
        v[o + 1] = static_cast<float>(bestr);
        v[o + 2] = best > 0 && 2 * best <= static_cast<int>(kLagMax) ? static_cast<float>(ac_full.r[static_cast<std::size_t>(2 * best)]) : 0.0f;
        v[o + 3] = fill;
        o += 4;
        if (o != kDim) throw FeatureError("audio features: internal layout error");
    }

    void push(std::span<const float> x, int ch, int r, const std::function<void(const Token&)>& on_token) {
        if (ch < 1 || ch > 64) throw FeatureError("audio features: channel count must be 1..64, got " + std::to_string(ch));
        if (r < 4000 || r > 768000)
            throw FeatureError("audio features: sample rate must be 4000..768000 Hz, got " + std::to_string(r));
        if (x.size() % static_cast<std::size_t>(ch) != 0)
            throw FeatureError("audio features: " + std::to_string(x.size()) + " samples is not a multiple of " +
                               std::to_string(ch) + " channels");
        if (r != rate || ch != channels || !rs) {
            drain_resampler();   // the old rate's held-back tail, so media time stays continuous
            rs_out_base = s16_end();
            rs.emplace(r, p.model_rate_hz);
            rs_in_samples = 0;
            rate = r;
            channels = ch;
        }
        const std::size_t frames_in = x.size() / static_cast<std::size_t>(ch);
        mono.resize(frames_in);
        for (std::size_t i = 0; i < frames_in; ++i) {
            float acc = 0.0f;
            for (int c = 0; c < ch; ++c) acc += x[i * static_cast<std::size_t>(ch) + static_cast<std::size_t>(c)];
            acc /= static_cast<float>(ch);
            mono[i] = std::isfinite(acc) ? acc : 0.0f;   // a non-finite sample becomes silence
        }
        rs->process(mono, s16);
        rs_in_samples += static_cast<std::int64_t>(frames_in);
        make_frames();
        make_tokens(on_token);
    }

    // Pushes silence through the resampler until its output covers all input it was given:
    // ceil(n_in * 16000 / rate) samples since it began (nothing beyond).
    void drain_resampler() {
        if (!rs) return;
        const std::int64_t target = rs_out_base + (rs_in_samples * p.model_rate_hz + rate - 1) / rate;
        while (s16_end() < target) rs->process_zeros(std::max(1, rs->half_width() + 2), s16);
        if (s16_end() > target) s16.resize(static_cast<std::size_t>(target - s16_0));
    }

    void flush(const std::function<void(const Token&)>& on_token) {
        if (!rs) return;
        drain_resampler();
        rs.reset();              // a later push starts a fresh resampler at the current 16 kHz position
        rate = channels = 0;
        make_frames();
        make_tokens(on_token);
    }
};

AudioFeatures::AudioFeatures(AudioFeatureParams params) : m_impl(std::make_unique<Impl>(std::move(params))) {}
AudioFeatures::~AudioFeatures() = default;
const char* AudioFeatures::id() { return "audio-logmel-v2"; }
int AudioFeatures::dim() const { return m_impl->dim(); }
std::string AudioFeatures::feature_id() const {
    if (m_impl->backbone) return "onnx:" + m_impl->backbone->manifest().name;
    return m_impl->version == 1 ? "audio-logmel-v1" : "audio-logmel-v2";
}
void AudioFeatures::push(std::span<const float> interleaved, int channels, int rate_hz,
                         const std::function<void(const Token&)>& on_token) {
    m_impl->push(interleaved, channels, rate_hz, on_token);
}
void AudioFeatures::flush(const std::function<void(const Token&)>& on_token) { m_impl->flush(on_token); }
void AudioFeatures::reset() { m_impl->reset(); }
void AudioFeatures::latest_logmel(std::vector<float>& out, int& rows, int& cols) const {
    std::lock_guard lock(m_impl->spec_mtx);
    out = m_impl->spec;
    rows = m_impl->spec_rows;
    cols = kBands;
}

}  // namespace colive
