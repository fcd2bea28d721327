#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reference VGGish log-mel in numpy, written from the VGGish definition (mel_features.py and
vggish_params.py of the TensorFlow models repository), independently of the C++ code, and the golden
files tests/features uses to check core/src/features.

VGGish convention: 16 kHz mono, 25 ms window (400 samples), 10 ms hop (160 samples), periodic Hann
window, FFT length 512 (next power of two), magnitude spectrogram |rfft|, 64 mel bands 125..7500 Hz
on the HTK mel scale (mel = 1127 ln(1 + f/700)) with triangular weights whose DC row is zeroed,
log(mel + 0.01), frames without padding: n = 1 + (len - 400) // 160.

Writes (float32 .npy, small):
  tests/golden/features/logmel_input_16k.npy   1.5 s test signal at 16 kHz (tones, chirp, noise, clicks)
  tests/golden/features/logmel_expected.npy    its log-mel, frames x 64
  tests/golden/features/mel_matrix.npy         257 x 64 mel weight matrix

Usage: /usr/bin/python3 scripts/features_reference.py [--out DIR]
"""
import argparse
import os

import numpy as np

SAMPLE_RATE = 16000
STFT_WINDOW_SECONDS = 0.025
STFT_HOP_SECONDS = 0.010
NUM_MEL_BINS = 64
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
LOG_OFFSET = 0.01
MEL_BREAK_FREQUENCY_HERTZ = 700.0
MEL_HIGH_FREQUENCY_Q = 1127.0


def hertz_to_mel(f):
    return MEL_HIGH_FREQUENCY_Q * np.log(1.0 + np.asarray(f, dtype=np.float64) / MEL_BREAK_FREQUENCY_HERTZ)


def frame(data, window_length, hop_length):
    num_samples = data.shape[0]
    num_frames = 1 + int(np.floor((num_samples - window_length) / hop_length))
    shape = (num_frames, window_length) + data.shape[1:]
    strides = (data.strides[0] * hop_length,) + data.strides
    return np.lib.stride_tricks.as_strided(data, shape=shape, strides=strides)


def periodic_hann(window_length):
    return 0.5 - (0.5 * np.cos(2 * np.pi / window_length * np.arange(window_length)))


def stft_magnitude(signal, fft_length, hop_length, window_length):
    frames = frame(signal, window_length, hop_length)
    window = periodic_hann(window_length)
    windowed_frames = frames * window
    return np.abs(np.fft.rfft(windowed_frames, int(fft_length)))


def spectrogram_to_mel_matrix(num_mel_bins, num_spectrogram_bins, audio_sample_rate, lower_edge_hertz,
                              upper_edge_hertz):
    nyquist_hertz = audio_sample_rate / 2.0
    spectrogram_bins_hertz = np.linspace(0.0, nyquist_hertz, num_spectrogram_bins)
    spectrogram_bins_mel = hertz_to_mel(spectrogram_bins_hertz)
    band_edges_mel = np.linspace(hertz_to_mel(lower_edge_hertz), hertz_to_mel(upper_edge_hertz), num_mel_bins + 2)
    mel_weights_matrix = np.empty((num_spectrogram_bins, num_mel_bins))
    for i in range(num_mel_bins):
        lower_edge_mel, center_mel, upper_edge_mel = band_edges_mel[i:i + 3]
        lower_slope = (spectrogram_bins_mel - lower_edge_mel) / (center_mel - lower_edge_mel)
        upper_slope = (upper_edge_mel - spectrogram_bins_mel) / (upper_edge_mel - center_mel)
        mel_weights_matrix[:, i] = np.maximum(0.0, np.minimum(lower_slope, upper_slope))
    mel_weights_matrix[0, :] = 0.0
    return mel_weights_matrix


def log_mel_spectrogram(data):
    window_length_samples = int(round(SAMPLE_RATE * STFT_WINDOW_SECONDS))
    hop_length_samples = int(round(SAMPLE_RATE * STFT_HOP_SECONDS))
    fft_length = 2 ** int(np.ceil(np.log(window_length_samples) / np.log(2.0)))
    spectrogram = stft_magnitude(data, fft_length, hop_length_samples, window_length_samples)
    mel = spectrogram_to_mel_matrix(NUM_MEL_BINS, spectrogram.shape[1], SAMPLE_RATE, MEL_MIN_HZ, MEL_MAX_HZ)
    return np.log(np.dot(spectrogram, mel) + LOG_OFFSET), mel


def test_signal(seconds=1.5, rate=SAMPLE_RATE, seed=7):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    x = 0.30 * np.sin(2 * np.pi * 440.0 * t)
    x += 0.20 * np.sin(2 * np.pi * 1000.0 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 2.0 * t))
    x += 0.10 * np.sin(2 * np.pi * (200.0 * t + 0.5 * 2500.0 * t * t / seconds))   # chirp 200 -> 2700 Hz
    x += 0.05 * np.sin(2 * np.pi * 6000.0 * t)
    x += 0.02 * rng.standard_normal(t.shape)
    x[(np.arange(t.size) % 4000) < 40] += 0.5                                      # clicks every 0.25 s
    x[: int(0.1 * rate)] *= 0.0                                                     # leading silence
    return x.astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "golden", "features"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    x = test_signal()
    lm, mel = log_mel_spectrogram(x.astype(np.float64))
    np.save(os.path.join(a.out, "logmel_input_16k.npy"), x)
    np.save(os.path.join(a.out, "logmel_expected.npy"), lm.astype(np.float32))
    np.save(os.path.join(a.out, "mel_matrix.npy"), mel.astype(np.float32))
    print(f"wrote {a.out}: input {x.shape}, log-mel {lm.shape} (min {lm.min():.3f}, max {lm.max():.3f})")


if __name__ == "__main__":
    main()
