# SPDX-License-Identifier: MIT
"""Mixing, mastering and playback effects for the synthetic music (numpy only, mono float32).

What separates a released recording from a raw General MIDI render, and what a room and a
microphone add when it is played back:
  reverb     exponentially decaying noise impulse response (RT60 0.15-2.5 s), mixed 5-45 % wet
  compress   RMS compressor (ratio 1.5-8, 5-30 ms attack, 50-300 ms release) then make-up gain:
             the dense, loud sound of modern masters, applied to every genre (so loudness and
             density do not mark only the distorted genres)
  limit      peak limiter + soft saturation
  vinyl      crackle (sparse clicks), rumble and hiss; tape: hiss and wow (slow pitch drift)
  old        band limit of an old or cheap recording (high-pass 80-250 Hz, low-pass 3.5-8 kHz)
  bright     (optional) high shelf + limiter: the bright, loud sound of modern masters
  dense      (optional) heavy fast compression + saturation: a dense "loudness war" master
Each effect is drawn per clip with genre-independent probabilities (master()), so none of them
marks a genre.
"""
import numpy as np


def _smooth(x, n):
    """Moving average of length n (same length as x)."""
    if n <= 1:
        return x
    c = np.cumsum(np.concatenate([np.zeros(1, np.float64), x.astype(np.float64)]))
    y = (c[n:] - c[:-n]) / n
    return np.concatenate([np.full(n - 1, y[0]), y]).astype(np.float32)


def fft_convolve(x, h):
    n = len(x) + len(h) - 1
    m = 1 << int(np.ceil(np.log2(n)))
    y = np.fft.irfft(np.fft.rfft(x, m) * np.fft.rfft(h, m), m)[:len(x)]
    return y.astype(np.float32)


def reverb(x, sr, rng, rt60=None, wet=None):
    rt60 = rng.uniform(0.15, 2.5) if rt60 is None else rt60
    wet = rng.uniform(0.05, 0.45) if wet is None else wet
    n = int(min(rt60, 2.5) * sr)
    t = np.arange(n) / sr
    h = rng.standard_normal(n).astype(np.float32) * np.exp(-6.9 * t / rt60).astype(np.float32)
    # darker tail: a one-pole low-pass on the impulse response
    a = rng.uniform(0.2, 0.7)
    h = _smooth(h, 1 + int(a * 6))
    pre = int(rng.uniform(0.005, 0.04) * sr)
    h = np.concatenate([np.zeros(pre, np.float32), h])
    h /= np.sqrt(np.sum(h ** 2)) + 1e-9
    y = fft_convolve(x, h)
    rx, ry = np.sqrt(np.mean(x ** 2)) + 1e-9, np.sqrt(np.mean(y ** 2)) + 1e-9
    return ((1 - wet) * x + wet * y * (rx / ry)).astype(np.float32)


def compress(x, sr, rng, ratio=None):
    ratio = rng.uniform(1.5, 8) if ratio is None else ratio
    win = int(rng.uniform(0.005, 0.03) * sr)
    env = np.sqrt(_smooth(x * x, win) + 1e-12)
    thr = np.percentile(env, rng.uniform(30, 70))
    g = np.where(env > thr, (env / thr) ** (1.0 / ratio - 1.0), 1.0).astype(np.float32)
    g = _smooth(g, int(rng.uniform(0.05, 0.3) * sr))
    return x * g


def limit(x, sr, rng):
    drive = 10 ** (rng.uniform(0, 9) / 20)
    y = x / (np.max(np.abs(x)) + 1e-9) * drive
    env = _smooth(np.abs(y), int(0.002 * sr) + 1)
    g = np.minimum(1.0, 1.0 / np.maximum(env, 1e-9))
    g = _smooth(g.astype(np.float32), int(0.01 * sr))
    y = y * g
    return np.tanh(y * 1.2) / np.tanh(1.2)


def vinyl(x, sr, rng):
    n = len(x)
    rms = np.sqrt(np.mean(x ** 2)) + 1e-9
    clicks = np.zeros(n, np.float32)
    k = int(rng.uniform(2, 30) * n / sr)
    idx = rng.integers(0, n, k)
    clicks[idx] = rng.standard_normal(k).astype(np.float32) * rms * rng.uniform(1, 6)
    clicks = _smooth(clicks, 3)
    t = np.arange(n) / sr
    rumble = np.sin(2 * np.pi * rng.uniform(8, 30) * t + rng.uniform(0, 6)).astype(np.float32) * rms * rng.uniform(0.01, 0.1)
    hiss = rng.standard_normal(n).astype(np.float32) * rms * 10 ** (-rng.uniform(25, 45) / 20)
    return x + clicks + rumble + hiss


def wow(x, sr, rng):
    """Tape wow/flutter: slowly varying playback speed (+-0.1-0.6 %)."""
    n = len(x)
    t = np.arange(n) / sr
    depth = rng.uniform(0.001, 0.006)
    dev = depth * np.sin(2 * np.pi * rng.uniform(0.3, 2.0) * t + rng.uniform(0, 6))
    pos = np.cumsum(1.0 + dev)
    pos = pos - pos[0]
    pos = np.clip(pos, 0, n - 1)
    return np.interp(pos, np.arange(n), x).astype(np.float32)


def band_limit(x, sr, rng):
    X = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / sr)
    hp, lp = rng.uniform(80, 250), rng.uniform(3500, 8000)
    X *= 1.0 / np.sqrt(1.0 + (hp / np.maximum(f, 1.0)) ** 4) / np.sqrt(1.0 + (f / lp) ** 8)
    return np.fft.irfft(X, len(x)).astype(np.float32)


def bright(x, sr, rng):
    """Bright, loud modern master: a +4..12 dB high shelf above 2-5 kHz, then the limiter."""
    X = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / sr)
    fc, g = rng.uniform(2000, 5000), 10 ** (rng.uniform(4, 12) / 20)
    X *= 1.0 + (g - 1.0) / (1.0 + (fc / np.maximum(f, 1.0)) ** 2)
    return limit(np.fft.irfft(X, len(x)).astype(np.float32), sr, rng)


def dense(x, sr, rng):
    """A dense, saturated "loudness war" master: fast heavy compression, then drive into soft clipping."""
    x = compress(x, sr, rng, ratio=rng.uniform(6, 12))
    drive = rng.uniform(2, 6)
    return (np.tanh(x / (np.max(np.abs(x)) + 1e-9) * drive) / np.tanh(drive)).astype(np.float32)


def master(x, sr, rng, bright_p=0.0, dense_p=0.0):
    """A random production / playback chain (each step with its own probability). bright_p: probability
    of a bright, loud master (bright()) at the end, the same for every genre (gen_audio.py --variety);
    dense_p: probability of a dense, saturated master (dense()) before it (gen_audio.py --dense)."""
    if rng.random() < 0.7:
        x = reverb(x, sr, rng)
    if rng.random() < 0.75:
        x = compress(x, sr, rng)
    if rng.random() < 0.6:
        x = limit(x, sr, rng)
    if rng.random() < 0.15:
        x = wow(x, sr, rng)
    if rng.random() < 0.15:
        x = vinyl(x, sr, rng)
    if rng.random() < 0.2:
        x = band_limit(x, sr, rng)
    if dense_p > 0 and rng.random() < dense_p:
        x = dense(x, sr, rng)
    if bright_p > 0 and rng.random() < bright_p:
        x = bright(x, sr, rng)
    return x.astype(np.float32)
