// SPDX-License-Identifier: MIT
#include "dsp.h"

#include "colive/features.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <string>

namespace colive::dsp {

// ---------------------------------------------------------------------------------------------
Fft::Fft(int n) : m_n(n) {
    if (n < 2 || (n & (n - 1)) != 0) throw FeatureError("FFT size must be a power of two, got " + std::to_string(n));
    int bits = 0;
    while ((1 << bits) < n) ++bits;
    m_bitrev.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        int r = 0;
        for (int b = 0; b < bits; ++b)
            if (i & (1 << b)) r |= 1 << (bits - 1 - b);
        m_bitrev[static_cast<std::size_t>(i)] = r;
    }
    m_twiddle.resize(static_cast<std::size_t>(n / 2));
    for (int k = 0; k < n / 2; ++k)
        m_twiddle[static_cast<std::size_t>(k)] = std::polar(1.0, -2.0 * std::numbers::pi * k / n);
}

void Fft::forward(std::vector<std::complex<double>>& x) const {
    const auto n = static_cast<std::size_t>(m_n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto j = static_cast<std::size_t>(m_bitrev[i]);
        if (j > i) std::swap(x[i], x[j]);
    }
    for (std::size_t len = 2; len <= n; len <<= 1) {
        const std::size_t half = len / 2, step = n / len;
        for (std::size_t s = 0; s < n; s += len) {
            for (std::size_t k = 0; k < half; ++k) {
                const std::complex<double> t = m_twiddle[k * step] * x[s + k + half];
                x[s + k + half] = x[s + k] - t;
                x[s + k] += t;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
namespace {
double bessel_i0(double x) {
    double sum = 1.0, term = 1.0;
    const double q = x * x / 4.0;
    for (int k = 1; k < 200; ++k) {
        term *= q / (static_cast<double>(k) * k);
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return sum;
}
}  // namespace

Resampler::Resampler(int in_rate, int out_rate, int zero_crossings, double rolloff, double kaiser_beta)
    : m_in_rate(in_rate), m_out_rate(out_rate) {
    if (in_rate <= 0 || out_rate <= 0)
        throw FeatureError("resampler: sample rates must be positive (got " + std::to_string(in_rate) + " -> " +
                           std::to_string(out_rate) + " Hz)");
    m_identity = in_rate == out_rate;
    const std::int64_t g = std::gcd(static_cast<std::int64_t>(in_rate), static_cast<std::int64_t>(out_rate));
    m_L = out_rate / g;
    m_M = in_rate / g;
    if (m_identity) return;
    m_phases = static_cast<int>(std::min<std::int64_t>(m_L, 4096));
    // Low-pass in input-sample units: h(t) = a sinc(a t) w(t / W), a = 2 fc / in_rate.
    const double fc = rolloff * 0.5 * std::min(in_rate, out_rate);
    const double a = 2.0 * fc / in_rate;
    const double W = zero_crossings / a;
    m_half = static_cast<int>(std::ceil(W));
    m_taps = 2 * m_half + 2;
    m_table.assign(static_cast<std::size_t>(m_phases) * static_cast<std::size_t>(m_taps), 0.0f);
    const double i0b = bessel_i0(kaiser_beta);
    for (int p = 0; p < m_phases; ++p) {
        const double frac = static_cast<double>(p) / m_phases;
        for (int j = 0; j < m_taps; ++j) {
            const double t = frac + m_half - j;        // distance from the output position to tap j
            if (std::abs(t) > W) continue;
            const double x = a * t;
            const double sinc = std::abs(x) < 1e-12 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
            const double r = t / W;
            const double win = bessel_i0(kaiser_beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0b;
            m_table[static_cast<std::size_t>(p) * static_cast<std::size_t>(m_taps) + static_cast<std::size_t>(j)] =
                static_cast<float>(a * sinc * win);
        }
    }
    reset();
}

void Resampler::reset() {
    m_next_out = 0;
    m_buf.clear();
    if (!m_identity) {
        m_buf.assign(static_cast<std::size_t>(m_half + 1), 0.0f);   // silence before t = 0
        m_buf0 = -(m_half + 1);
    } else {
        m_buf0 = 0;
    }
}

void Resampler::process(std::span<const float> in, std::vector<float>& out) {
    if (m_identity) {
        out.insert(out.end(), in.begin(), in.end());
        return;
    }
    m_buf.insert(m_buf.end(), in.begin(), in.end());
    run(out);
}

void Resampler::process_zeros(std::int64_t zeros, std::vector<float>& out) {
    if (zeros <= 0) return;
    if (m_identity) {
        out.insert(out.end(), static_cast<std::size_t>(zeros), 0.0f);
        return;
    }
    m_buf.insert(m_buf.end(), static_cast<std::size_t>(zeros), 0.0f);
    run(out);
}

void Resampler::run(std::vector<float>& out) {
    const std::int64_t end = m_buf0 + static_cast<std::int64_t>(m_buf.size());
    std::int64_t k0 = 0;
    for (;;) {
        const std::int64_t num = m_next_out * m_M;
        std::int64_t i = num / m_L;
        std::int64_t p = num % m_L;
        if (m_phases != m_L) {
            p = (p * m_phases + m_L / 2) / m_L;
            if (p == m_phases) {
                p = 0;
                ++i;
            }
        }
        k0 = i - m_half;
        if (k0 + m_taps > end) break;
        const float* x = m_buf.data() + (k0 - m_buf0);
        const float* h = m_table.data() + p * m_taps;
        // 8 independent partial sums: lets the compiler vectorise without -ffast-math.
        float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int j = 0;
        for (; j + 8 <= m_taps; j += 8)
            for (int q = 0; q < 8; ++q) part[q] += h[j + q] * x[j + q];
        float acc = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
        for (; j < m_taps; ++j) acc += h[j] * x[j];
        out.push_back(acc);
        ++m_next_out;
    }
    // Drop input that no future output needs (amortised: only when a good chunk is dead).
    const std::int64_t dead = k0 - m_buf0;
    if (dead > 8192 && dead > static_cast<std::int64_t>(m_buf.size()) / 2) {
        m_buf.erase(m_buf.begin(), m_buf.begin() + dead);
        m_buf0 += dead;
    }
}

// ---------------------------------------------------------------------------------------------
double hz_to_mel_htk(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }

LogMel::LogMel(LogMelSpec spec) : m_spec(spec), m_fft(spec.fft) {
    const int n = m_spec.window;
    if (n <= 0 || n > m_spec.fft) throw FeatureError("log-mel: window must be in 1..fft");
    m_window.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)   // periodic Hann
        m_window[static_cast<std::size_t>(i)] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * i / n);
    const int bins = m_spec.fft / 2 + 1;
    const int B = m_spec.bands;
    m_weights.assign(static_cast<std::size_t>(bins) * B, 0.0);
    const double nyq = m_spec.sample_rate / 2.0;
    const double mlo = hz_to_mel_htk(m_spec.f_lo), mhi = hz_to_mel_htk(m_spec.f_hi);
    std::vector<double> edges(static_cast<std::size_t>(B + 2));
    for (int i = 0; i < B + 2; ++i) edges[static_cast<std::size_t>(i)] = mlo + (mhi - mlo) * i / (B + 1);
    m_band_lo.assign(static_cast<std::size_t>(B), bins);
    m_band_hi.assign(static_cast<std::size_t>(B), 0);
    for (int k = 1; k < bins; ++k) {   // bin 0 (DC) has weight 0, as in VGGish
        const double mel = hz_to_mel_htk(nyq * k / (bins - 1));
        for (int b = 0; b < B; ++b) {
            const double lo = edges[static_cast<std::size_t>(b)], c = edges[static_cast<std::size_t>(b) + 1],
                         hi = edges[static_cast<std::size_t>(b) + 2];
            const double w = std::max(0.0, std::min((mel - lo) / (c - lo), (hi - mel) / (hi - c)));
            if (w > 0.0) {
                m_weights[static_cast<std::size_t>(k) * B + b] = w;
                m_band_lo[static_cast<std::size_t>(b)] = std::min(m_band_lo[static_cast<std::size_t>(b)], k);
                m_band_hi[static_cast<std::size_t>(b)] = std::max(m_band_hi[static_cast<std::size_t>(b)], k + 1);
            }
        }
    }
    m_scratch.resize(static_cast<std::size_t>(m_spec.fft));
    m_mag.resize(static_cast<std::size_t>(bins));
}

void LogMel::frame(const float* samples, float* out) {
    const int n = m_spec.window;
    std::fill(m_scratch.begin(), m_scratch.end(), std::complex<double>(0.0, 0.0));
    for (int i = 0; i < n; ++i)
        m_scratch[static_cast<std::size_t>(i)] = m_window[static_cast<std::size_t>(i)] * static_cast<double>(samples[i]);
    m_fft.forward(m_scratch);
    const int bins = m_spec.fft / 2 + 1;
    for (int k = 0; k < bins; ++k) m_mag[static_cast<std::size_t>(k)] = std::abs(m_scratch[static_cast<std::size_t>(k)]);
    const int B = m_spec.bands;
    for (int b = 0; b < B; ++b) {
        double acc = 0.0;
        for (int k = m_band_lo[static_cast<std::size_t>(b)]; k < m_band_hi[static_cast<std::size_t>(b)]; ++k)
            acc += m_mag[static_cast<std::size_t>(k)] * m_weights[static_cast<std::size_t>(k) * B + b];
        out[b] = static_cast<float>(std::log(acc + m_spec.log_offset));
    }
}

}  // namespace colive::dsp
