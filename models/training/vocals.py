# SPDX-License-Identifier: MIT
"""Voices for the synthetic music: sung, rapped and screamed lines made from espeak-ng speech.

Real songs of most genres have a voice on top, which rendered General MIDI never has; a voice
puts formant energy (300 Hz - 4 kHz) and syllable-rate modulation (3-8 Hz) into the mix. Lines
are made from lyric-like English words spoken by espeak-ng (many voices / variants), then:
  sung    slow speech cut into syllable-sized pieces, each resampled to a scale degree of the song
          (stepwise contour), with vibrato-free doubling (a second, slightly detuned copy)
  rap     fast speech (170-260 words/min) in phrases that start on beats, low pitch spread
  scream  speech pushed through heavy distortion and a high-pass (metal)
  croon   very slow speech, low (jazz / blues ballad singer)

A VocalBank renders a set of phrases once per data set (espeak-ng is fast: ~20 ms per phrase);
line() then builds a vocal track of any length from them.
"""
import os
import subprocess
import tempfile
import wave

import numpy as np

WORDS = ("baby love night light heart fire dance tonight yeah oh my girl boy home road money time "
         "feel alright down town sky rain sun dream soul woman man river train whiskey lonely blue "
         "party music hold me tell you never ever come on let go stay away crazy shine gold street "
         "life real hustle rhyme flow beat city crown king queen dark blood steel storm rise fall "
         "freedom jah people one world sweet sugar honey stop do not cry good bad day").split()
TRAIN_VOICES = ["en-us+m3", "en-us+f2", "en+m1", "en+f3", "en-gb+m2", "en-029+m4", "en-us+f4", "en+m7",
                "en-gb-x-rp+f1", "en-us+klatt2", "en+Andy", "en+michel"]
HELDOUT_VOICES = ["en-gb-scotland+m5", "en-us+f5", "en+Denis"]


def _espeak(text, voice, speed, pitch, ssml=False):
    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "v.wav")
        cmd = ["espeak-ng", "-v", voice, "-s", str(int(speed)), "-p", str(int(pitch)), "-w", out]
        if ssml:
            cmd.append("-m")
        subprocess.run(cmd + [text], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with wave.open(out) as w:
            sr = w.getframerate()
            x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return x, sr


def _to_rate(x, sr, out_sr):
    if sr == out_sr:
        return x
    n = int(round(len(x) * out_sr / sr))
    return np.interp(np.arange(n) * (sr / out_sr), np.arange(len(x)), x).astype(np.float32)


def _resample(x, ratio):
    """Plays x `ratio` times faster (pitch up by ratio, shorter), linear interpolation."""
    n = max(2, int(len(x) / ratio))
    return np.interp(np.arange(n) * ratio, np.arange(len(x)), x).astype(np.float32)


class VocalBank:
    """Phrases spoken by espeak-ng: slow (for singing), fast (rap), at the given sample rate."""

    def __init__(self, sr, rng, voices, phrases=36):
        self.sr = sr
        self.slow, self.fast = [], []
        for k in range(phrases):
            v = voices[k % len(voices)]
            words = " ".join(rng.choice(WORDS, size=int(rng.integers(5, 10))))
            x, r = _espeak(words, v, rng.uniform(70, 110), rng.uniform(30, 70))
            self.slow.append(_to_rate(x, r, sr))
            words = " ".join(rng.choice(WORDS, size=int(rng.integers(10, 18))))
            x, r = _espeak(words, v, rng.uniform(170, 260), rng.uniform(20, 55))
            self.fast.append(_to_rate(x, r, sr))


def _syllables(x, sr):
    """Splits speech into voiced pieces at energy dips (>= 60 ms each)."""
    hop = int(0.01 * sr)
    n = len(x) // hop
    if n < 4:
        return [x]
    e = np.sqrt(np.mean(x[:n * hop].reshape(n, hop) ** 2, axis=1))
    on = e > 0.15 * (e.max() + 1e-9)
    pieces, start = [], None
    for i, v in enumerate(np.append(on, False)):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start >= 6:
                pieces.append(x[start * hop:i * hop])
            start = None
    return pieces or [x]


def line(bank, rng, seconds, tempo, style, shift=0.0):
    """A vocal track of `seconds` (float32 at bank.sr) in the given style, or zeros for 'none'.
    shift: semitones added to the singer's register (e.g. a falsetto)."""
    sr = bank.sr
    n = int(seconds * sr)
    out = np.zeros(n, np.float32)
    if style == "none":
        return out
    beat = 60.0 / tempo
    # start on a beat, sing / rap in phrases of 2-4 bars with 1-2 bar rests (a verse-like shape)
    t = beat * int(rng.integers(0, 4))
    scale = (0, 2, 4, 5, 7, 9, 11) if rng.random() < 0.6 else (0, 2, 3, 5, 7, 8, 10)
    base_semi = rng.uniform(-5, 7) + shift     # register of this singer, relative to the speech pitch
    while t < seconds:
        phrase_len = beat * 4 * int(rng.integers(2, 5))
        end = min(seconds, t + phrase_len)
        if style in ("rap", "scream"):
            src = bank.fast[int(rng.integers(len(bank.fast)))]
            ratio = 2 ** (rng.uniform(-3, 3) / 12)
            seg = _resample(src, ratio)
            a = int(t * sr)
            seg = seg[:max(0, min(len(seg), int(end * sr) - a))]
            out[a:a + len(seg)] += seg
        else:
            src = bank.slow[int(rng.integers(len(bank.slow)))]
            pieces = _syllables(src, sr)
            deg = int(rng.integers(0, 7))
            step = beat * (1.0 if style == "croon" else float(rng.choice([0.5, 1.0])))
            i = 0
            tt = t
            while tt < end and pieces:
                p = pieces[i % len(pieces)]
                i += 1
                deg = int(np.clip(deg + rng.choice([-2, -1, -1, 0, 1, 1, 2]), 0, 13))
                semi = base_semi + scale[deg % 7] + 12 * (deg // 7)
                seg = _resample(p, 2 ** (semi / 12))
                # hold long notes: stretch by repeating the steady middle part (crossfaded)
                want = int(step * sr * rng.uniform(0.8, 1.6))
                if len(seg) < want and len(seg) > 400:
                    mid = seg[len(seg) // 4:3 * len(seg) // 4]
                    reps = int(np.ceil((want - len(seg)) / max(len(mid), 1)))
                    seg = np.concatenate([seg[:len(seg) // 4]] + [mid] * reps + [seg[3 * len(seg) // 4:]])
                fade = min(len(seg) // 4, int(0.02 * sr))
                if fade > 0:
                    seg[:fade] *= np.linspace(0, 1, fade)
                    seg[-fade:] *= np.linspace(1, 0, fade)
                a = int(tt * sr)
                seg = seg[:max(0, min(len(seg), n - a))]
                out[a:a + len(seg)] += seg
                tt += step
            if rng.random() < 0.6:   # double-tracked lead: a detuned, delayed copy
                d = int(rng.uniform(0.012, 0.03) * sr)
                dbl = _resample(out, 2 ** (rng.uniform(-0.15, 0.15) / 12))[:n]
                out[d:d + len(dbl) - d] += 0.6 * dbl[:len(dbl) - d]
        t = end + beat * 4 * int(rng.integers(0, 3))
    if style == "scream":
        out = np.tanh(out * rng.uniform(8, 25) / (np.max(np.abs(out)) + 1e-9))
        X = np.fft.rfft(out)
        f = np.fft.rfftfreq(len(out), 1.0 / sr)
        X *= 1.0 / np.sqrt(1.0 + (400.0 / np.maximum(f, 1.0)) ** 4)
        out = np.fft.irfft(X, len(out)).astype(np.float32)
    return out


# genre -> [(style, probability)]: how often a training song of the genre gets a voice
STYLE_P = {
    "blues": [("sung", 0.45), ("croon", 0.3)], "classical": [("croon", 0.05)],
    "country": [("sung", 0.8)], "disco": [("sung", 0.75)], "hiphop": [("rap", 0.9)],
    "jazz": [("croon", 0.25)], "metal": [("scream", 0.45), ("sung", 0.3)], "pop": [("sung", 0.85), ("rap", 0.05)],
    "reggae": [("sung", 0.65), ("rap", 0.1)], "rock": [("sung", 0.75)],
}


def style_for(genre, rng):
    u = rng.random()
    for style, p in STYLE_P[genre]:
        if u < p:
            return style
        u -= p
    return "none"
