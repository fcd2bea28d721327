// SPDX-License-Identifier: MIT
// Small DSP building blocks of the audio feature extractor (internal to colive_features):
// a radix-2 FFT, a streaming polyphase windowed-sinc resampler and the VGGish log-mel frontend.
#pragma once

#include <complex>
#include <cstdint>
#include <span>
#include <vector>

namespace colive::dsp {

// In-place iterative radix-2 complex FFT of a power-of-two size (forward, no scaling).
class Fft {
public:
    explicit Fft(int n);
    int size() const { return m_n; }
    void forward(std::vector<std::complex<double>>& x) const;

private:
    int m_n = 0;
    std::vector<int> m_bitrev;
    std::vector<std::complex<double>> m_twiddle;
};

// Streaming rational resampler in_rate -> out_rate with a Kaiser-windowed sinc low-pass,
// implemented as a polyphase filter bank (one sub-filter per output phase; no sample dropping).
//   cutoff  = rolloff * min(in_rate, out_rate) / 2
//   length  = 2 * zero_crossings zero crossings of the sinc at the cutoff
// With the defaults (rolloff 0.95, 64 zero crossings, Kaiser beta 9) the stop band starts ~0.34 kHz
// above the cutoff (for 16 kHz output: pass band to ~7.26 kHz, stop band from ~7.94 kHz, ~-90 dB),
// so nothing aliases into the 125-7500 Hz mel range. Output sample n sits exactly at input time
// n * in_rate / out_rate (zero-phase filter, history before t = 0 is silence), so outputs at every
// input rate line up in time. in_rate == out_rate is an exact pass-through.
// Up to 4096 phases are stored exactly; rates whose reduced ratio needs more phases use the
// nearest of 4096 phases (timing error < 1/8192 of an output sample).
class Resampler {
public:
    Resampler(int in_rate, int out_rate, int zero_crossings = 64, double rolloff = 0.95,
              double kaiser_beta = 9.0);
    // Appends every output sample that the input seen so far fully determines.
    void process(std::span<const float> in, std::vector<float>& out);
    // Feeds `zeros` samples of silence (used at end of input).
    void process_zeros(std::int64_t zeros, std::vector<float>& out);
    void reset();
    int in_rate() const { return m_in_rate; }
    int out_rate() const { return m_out_rate; }
    int half_width() const { return m_half; }   // input samples of look-ahead the filter needs

private:
    void run(std::vector<float>& out);
    int m_in_rate, m_out_rate;
    bool m_identity = false;
    std::int64_t m_L = 1, m_M = 1;               // out/in reduced: output n -> input n*M/L
    int m_phases = 1;                            // rows of the table (== L unless quantised)
    int m_half = 0;                              // taps on each side
    int m_taps = 0;                              // 2*half + 1
    std::vector<float> m_table;                  // m_phases x m_taps
    std::vector<float> m_buf;                    // input samples from absolute index m_buf0
    std::int64_t m_buf0 = 0;
    std::int64_t m_next_out = 0;                 // index of the next output sample
};

// VGGish log-mel frontend at 16 kHz: 400-sample periodic-Hann frames every 160 samples, |rfft_512|,
// 64 HTK-mel triangular bands 125..7500 Hz (DC bin weight zero), log(mel + 0.01).
struct LogMelSpec {
    int sample_rate = 16000;
    int window = 400;
    int hop = 160;
    int fft = 512;
    int bands = 64;
    double f_lo = 125.0;
    double f_hi = 7500.0;
    double log_offset = 0.01;
};

class LogMel {
public:
    explicit LogMel(LogMelSpec spec = {});
    const LogMelSpec& spec() const { return m_spec; }
    // One frame of `window` samples -> `bands` log-mel values.
    void frame(const float* samples, float* out);
    // Mel weight of FFT bin k (0..fft/2) for band b, as in VGGish's spectrogram_to_mel_matrix.
    double weight(int bin, int band) const { return m_weights[static_cast<std::size_t>(bin) * m_spec.bands + band]; }

private:
    LogMelSpec m_spec;
    Fft m_fft;
    std::vector<double> m_window;
    std::vector<double> m_weights;               // (fft/2+1) x bands
    std::vector<int> m_band_lo, m_band_hi;       // nonzero bin range per band
    std::vector<std::complex<double>> m_scratch;
    std::vector<double> m_mag;
};

double hz_to_mel_htk(double hz);

}  // namespace colive::dsp
