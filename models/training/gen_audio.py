#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generates the synthetic ten-genre music data set for the bundled genre model.

Songs are composed procedurally (compose.py), written as MIDI, rendered with FluidSynth and a
General MIDI soundfont, then augmented (random EQ / microphone-like band limiting, noise, gain,
soft clipping) and written as mono 16-bit WAV at 22.05 kHz.

Splits (manifest.json lists every clip with its parameters):
  train    soundfonts FluidR3_GM, MuseScore_General_Lite, sf_GMbank (csound); tempos outside the
           middle band of each genre's tempo range. 15 % of these clips (chosen at random) are
           kept apart as the ordinary random split "random-test".
  train-x  optional (--extra-per-genre N, default 0: the shipped model does not use them) clips
           rendered with the OPL3 FM soundfont (opl3-soundfont); 15 % of them in "random-test" too.
           (Tried with 28 per genre: held-out accuracy did not improve, 78.9 % vs 82.2 %.)
  heldout  soundfont TimGM6mb (never used in training) and tempos inside the held-out band.

With --realistic (an experiment for real recordings, issue 12; the shipped model does NOT use it):
drums rendered apart with a real sampled kit (AVL Black Pearl / Red Zeppelin soundfonts, or per song
Hydrogen's TR-808 / GM rock kit through drumkit.py), an espeak-ng voice on most songs (vocals.py:
sung, rapped, screamed, crooned; held-out songs use voices never used in training) and a random
mixing / mastering / playback chain (production.py) before the augmentation above.

With --variety (issue 12, not used by the shipped model): as --realistic, but every song is one of
several sub-styles of its genre (substyles.py: e.g. solo acoustic blues, piano trio, big band, 808
hip-hop, string quartet), which decides whether there are drums, the voice, its register and its level
(the loudest part in the vocal sub-styles), and half of the clips of every genre get a bright, loud
master (production.bright), so brightness and loudness mark no genre.

Usage: gen_audio.py OUT_DIR [--per-genre N] [--heldout-per-genre N] [--seconds S] [--seed S] [--realistic | --variety]
       gen_audio.py --demo OUT.wav SEGMENTS.json   (the bundled demo clip, held-out style)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compose import GENRES, compose, tempo_for  # noqa: E402
from drumkit import HydrogenKit, drum_hits  # noqa: E402
from midi import Midi  # noqa: E402
from production import master  # noqa: E402
from substyles import compose_variety  # noqa: E402
from vocals import HELDOUT_VOICES, TRAIN_VOICES, VocalBank, line, style_for  # noqa: E402

SR = 22050
SF_DIRS = ["/usr/share/sounds/sf2", "/usr/share/sounds/sf3"]
TRAIN_SOUNDFONTS = ["FluidR3_GM.sf2", "MuseScore_General_Lite.sf3", "sf_GMbank.sf2"]
HELDOUT_SOUNDFONTS = ["TimGM6mb.sf2"]
# real sampled acoustic drum kits (AVL Drumkits, avldrums.lv2-soundfont); None = the soundfont's own GM kit
DRUM_KITS = ["Black_Pearl_4_LV2.sf2", "Red_Zeppelin_4_LV2.sf2", None]
# Hydrogen sample kits (hydrogen-data) used instead, per song: genre -> (kit, probability)
H2_KITS = {"hiphop": ("TR808EmulationKit", 0.5), "disco": ("TR808EmulationKit", 0.15), "pop": ("TR808EmulationKit", 0.2),
           "rock": ("GMRockKit", 0.3), "metal": ("GMRockKit", 0.3), "blues": ("GMRockKit", 0.2),
           "country": ("GMRockKit", 0.2), "reggae": ("GMRockKit", 0.2), "jazz": ("GMRockKit", 0.1)}
_H2 = {}


def hydrogen_kit(name):
    if name not in _H2:
        _H2[name] = HydrogenKit(name, SR)
    return _H2[name]


EXTRA_SOUNDFONTS = ["OPL-3_FM_128M.sf2"]     # extra training clips (FM synthesis: a very different timbre)
GAP_S = 2.5


def sf_path(name):
    for d in SF_DIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"gen_audio: soundfont {name} not found (run scripts/setup-deps.sh)")


def split_drums(midi, to_channel_1=True):
    """(midi without channel 10, channel-10 events; moved to channel 1 for a drum-kit soundfont
    whose kit is an ordinary bank 0 / program 0 preset)."""
    rest, drums = Midi(), Midi()
    for tick, order, data in midi.events:
        if data[0] >= 0x80 and data[0] & 0x0F == 9:
            drums.events.append((tick, order, (bytes([data[0] & 0xF0]) + data[1:]) if to_channel_1 else data))
        else:
            rest.events.append((tick, order, data))
    return rest, drums


def render(midi, sf, seconds_total):
    """Renders a Midi object with fluidsynth; returns mono float32 at SR."""
    with tempfile.TemporaryDirectory() as td:
        mid, wav = os.path.join(td, "a.mid"), os.path.join(td, "a.wav")
        midi.save(mid)
        subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(SR), "-F", wav, "-T", "wav", "-O", "s16",
                        sf_path(sf), mid], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with wave.open(wav) as w:
            ch, n = w.getnchannels(), w.getnframes()
            x = np.frombuffer(w.readframes(n), dtype="<i2").astype(np.float32) / 32768.0
    x = x.reshape(-1, ch).mean(axis=1)
    need = int(seconds_total * SR) + SR
    if len(x) < need:
        x = np.concatenate([x, np.zeros(need - len(x), np.float32)])
    return x


def augment(x, rng, strength=1.0):
    """Random EQ (incl. microphone-like band limiting), noise, gain and soft clipping."""
    n = len(x)
    X = np.fft.rfft(x.astype(np.float64))
    f = np.fft.rfftfreq(n, 1.0 / SR)
    lf = np.log2(np.maximum(f, 20.0))
    gain_db = np.zeros_like(f)
    for _ in range(int(rng.integers(1, 5))):   # random peaks/dips
        c, w, g = rng.uniform(np.log2(60), np.log2(9000)), rng.uniform(0.3, 2.0), rng.uniform(-10, 8) * strength
        gain_db += g * np.exp(-0.5 * ((lf - c) / w) ** 2)
    if rng.random() < 0.7:   # microphone / small speaker: high-pass
        fc = rng.uniform(50, 350)
        gain_db += 10 * np.log10(1.0 / (1.0 + (fc / np.maximum(f, 1.0)) ** 4))
    if rng.random() < 0.7:   # low-pass
        fc = rng.uniform(3000, 10500)
        gain_db += 10 * np.log10(1.0 / (1.0 + (f / fc) ** 4))
    X *= 10 ** (gain_db / 20)
    y = np.fft.irfft(X, n).astype(np.float32)
    rms = float(np.sqrt(np.mean(y ** 2)) + 1e-9)
    if rng.random() < 0.75:   # noise: white, pink or brown
        kind = rng.integers(3)
        w = rng.standard_normal(n).astype(np.float32)
        if kind > 0:
            W = np.fft.rfft(w)
            W /= np.maximum(f, 20.0) ** (0.5 * kind)
            w = np.fft.irfft(W, n).astype(np.float32)
        w /= float(np.sqrt(np.mean(w ** 2)) + 1e-9)
        snr = rng.uniform(8, 45) / max(strength, 1e-3)
        y = y + w * rms * 10 ** (-snr / 20)
    peak = float(np.max(np.abs(y)) + 1e-9)
    y *= 10 ** (rng.uniform(-24, -1) / 20) / peak
    if rng.random() < 0.15:
        drive = rng.uniform(1.5, 4)
        y = np.tanh(y * drive) / np.tanh(drive)
    return y.astype(np.float32)


def write_wav(path, x):
    pcm = (np.clip(x, -1, 1) * 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def make_batch(jobs, sf, seconds, out_dir, rng_aug, bank=None, realistic=False, variety=False, dense_p=0.0):
    """jobs: list of (name, genre, tempo, seed). Renders all songs in one fluidsynth run.
    realistic: drums from a real sampled kit (random per batch), a voice on most songs (vocals.py)
    and a random mixing / mastering / playback chain (production.py) before augment().
    variety (implies realistic): songs from substyles.py (several sub-styles per genre, which decide
    the voice, its level and register, and sometimes the kit), and a bright, loud master on half of
    the clips of every genre."""
    realistic = realistic or variety
    midi = Midi()
    params = []
    for i, (name, genre, tempo, seed) in enumerate(jobs):
        t0 = 1.0 + i * (seconds + GAP_S)
        song = compose_variety if variety else compose
        p = song(midi, genre, np.random.default_rng(seed), t0, seconds, tempo)
        params.append((t0, p))
    total = 1.0 + len(jobs) * (seconds + GAP_S)
    kit = DRUM_KITS[int(rng_aug.integers(len(DRUM_KITS)))] if realistic else None
    if realistic:   # drums rendered apart, so each song can get its own kit and drum level
        rest, drums = split_drums(midi, to_channel_1=kit is not None)
        x = render(rest, sf, total)
        dr = render(drums, kit or sf, total)
        m = min(len(x), len(dr))
        x, dr = x[:m], dr[:m]
    else:
        x = render(midi, sf, total)
    rows = []
    for (name, genre, tempo, seed), (t0, p) in zip(jobs, params):
        a = int(t0 * SR)
        clip = x[a:a + int(seconds * SR)].copy()
        style = "none"
        drum_src = kit or sf
        if realistic:
            d = dr[a:a + len(clip)]
            h2 = H2_KITS.get(genre)
            if variety and p["kit"]:
                h2 = (p["kit"], 1.0)
            if h2 and rng_aug.random() < h2[1]:   # a sampled drum machine / kit instead
                d = hydrogen_kit(h2[0]).render(drum_hits(midi, t0, seconds), seconds)[:len(clip)]
                d *= float(np.sqrt(np.mean(dr[a:a + len(clip)] ** 2)) + 1e-6) / (float(np.sqrt(np.mean(d ** 2))) + 1e-6)
                drum_src = h2[0]
            clip = clip + d * 10 ** (rng_aug.uniform(-5, 4) / 20)
            if variety:
                style = p["voice"] if bank is not None else "none"
                v = line(bank, rng_aug, seconds, p["tempo"], style, p["pitch"]) if style != "none" else None
            else:
                style = style_for(genre, rng_aug) if bank is not None else "none"
                v = line(bank, rng_aug, seconds, tempo, style) if style != "none" else None
            if v is not None and np.any(v):
                on = np.abs(v) > 1e-4
                vr = float(np.sqrt(np.mean(v[on] ** 2)) + 1e-9)
                cr = float(np.sqrt(np.mean(clip ** 2)) + 1e-9)
                lo, hi = p["voice_db"] if variety else (-8, 2)
                clip = clip + v * (cr / vr) * 10 ** (rng_aug.uniform(lo, hi) / 20)
            clip = master(clip, SR, rng_aug, bright_p=0.5 if variety else 0.0, dense_p=dense_p)
        clip = augment(clip, rng_aug)
        write_wav(os.path.join(out_dir, name + ".wav"), clip)
        p = {k: v for k, v in p.items() if k not in ("voice_db", "pitch", "kit")}
        rows.append(dict(p, file=name + ".wav", soundfont=sf, seed=seed, drums=drum_src, voice=style))
    return rows


def generate_extra(out_dir, per_genre, seconds, seed, batch=10):
    """Extra training clips rendered with EXTRA_SOUNDFONTS (own random streams, so the other
    clips do not depend on them); 15 % of them join the random split."""
    rng = np.random.default_rng(seed + 99)
    rng_aug = np.random.default_rng(seed + 100)
    jobs = {}
    for g in GENRES:
        for k in range(per_genre):
            sf = EXTRA_SOUNDFONTS[k % len(EXTRA_SOUNDFONTS)]
            jobs.setdefault(sf, []).append((f"train-x-{g}-{k:03d}", g, tempo_for(g, rng, "train"), int(rng.integers(2**31))))
    names = sorted(j[0] for js in jobs.values() for j in js)
    test = set(str(n) for n in rng.choice(names, size=int(round(0.15 * len(names))), replace=False)) if names else set()
    rows = []
    for sf in sorted(jobs):
        js = jobs[sf]
        for b in range(0, len(js), batch):
            rows += make_batch(js[b:b + batch], sf, seconds, out_dir, rng_aug)
            print(f"gen_audio: extra {sf} {min(b + batch, len(js))}/{len(js)}", flush=True)
    for r in rows:
        r["split"] = "random-test" if r["file"][:-4] in test else "train"
    return rows


def generate(out_dir, per_genre, heldout_per_genre, seconds, seed, extra_per_genre=0, only_extra=False, batch=10,
             realistic=False, variety=False, dense_p=0.0):
    os.makedirs(out_dir, exist_ok=True)
    if only_extra:   # add the extra clips to an existing data set
        man = json.load(open(os.path.join(out_dir, "manifest.json")))
        rows = [r for r in man["clips"] if not r["file"].startswith("train-x-")]
        rows += generate_extra(out_dir, extra_per_genre, seconds, seed, batch)
        rows.sort(key=lambda r: r["file"])
        man["clips"] = rows
        with open(os.path.join(out_dir, "manifest.json"), "w") as f:
            json.dump(man, f, indent=1)
        print(f"gen_audio: manifest now lists {len(rows)} clips")
        return
    rng = np.random.default_rng(seed)
    jobs = {}   # soundfont -> list of jobs
    split_of = {}
    for split, count, fonts in (("train", per_genre, TRAIN_SOUNDFONTS), ("heldout", heldout_per_genre, HELDOUT_SOUNDFONTS)):
        for gi, g in enumerate(GENRES):
            for k in range(count):
                name = f"{split}-{g}-{k:03d}"
                sf = fonts[k % len(fonts)]
                jobs.setdefault(sf, []).append((name, g, tempo_for(g, rng, split), int(rng.integers(2**31))))
                split_of[name] = split
    # ordinary random split: 15 % of the training-distribution clips
    train_names = sorted(n for n, s in split_of.items() if s == "train")
    for n in rng.choice(train_names, size=int(round(0.15 * len(train_names))), replace=False):
        split_of[str(n)] = "random-test"
    rows = []
    rng_aug = np.random.default_rng(seed + 1)
    # voices: held-out songs are sung by espeak-ng voices never used in training
    banks = {sf: VocalBank(SR, np.random.default_rng(seed + 2), HELDOUT_VOICES if sf in HELDOUT_SOUNDFONTS else TRAIN_VOICES)
             for sf in jobs} if realistic or variety else {sf: None for sf in jobs}
    for sf in sorted(jobs):
        js = jobs[sf]
        order = rng.permutation(len(js))
        js = [js[i] for i in order]
        for b in range(0, len(js), batch):
            rows += make_batch(js[b:b + batch], sf, seconds, out_dir, rng_aug, banks[sf], realistic, variety, dense_p)
            print(f"gen_audio: {sf} {min(b + batch, len(js))}/{len(js)}", flush=True)
    for r in rows:
        r["split"] = split_of[r["file"][:-4]]
    rows += generate_extra(out_dir, extra_per_genre, seconds, seed, batch)
    rows.sort(key=lambda r: r["file"])
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump({"sample_rate": SR, "seconds": seconds, "genres": GENRES, "clips": rows}, f, indent=1)
    print(f"gen_audio: wrote {len(rows)} clips to {out_dir}")


def demo(out_wav, out_json, seed=2024, seg_s=16.0):
    """Demo clip: several genres in sequence, held-out soundfont and held-out tempo band."""
    order = ["rock", "jazz", "classical", "disco", "reggae", "metal", "hiphop", "country", "blues", "pop"]
    rng = np.random.default_rng(seed)
    midi = Midi()
    for i, g in enumerate(order):
        compose(midi, g, np.random.default_rng(seed + 17 * i), 1.0 + i * (seg_s + GAP_S), seg_s + 0.05, tempo_for(g, rng, "heldout"))
    x = render(midi, HELDOUT_SOUNDFONTS[0], 1.0 + len(order) * (seg_s + GAP_S))
    parts, segs, t = [], [], 0.0
    fade = int(0.05 * SR)
    for i, g in enumerate(order):
        a = int((1.0 + i * (seg_s + GAP_S)) * SR)
        c = x[a:a + int(seg_s * SR)].copy()
        c[:fade] *= np.linspace(0, 1, fade)
        c[-fade:] *= np.linspace(1, 0, fade)
        c *= 0.5 / (np.max(np.abs(c)) + 1e-9)
        parts.append(c)
        segs.append({"start": round(t, 3), "end": round(t + seg_s, 3), "label": g})
        t += seg_s
    y = np.concatenate(parts)
    if out_wav.endswith(".wav"):
        write_wav(out_wav, y)
    else:   # compressed (.ogg Vorbis / .flac) through ffmpeg, to keep the bundled clip small
        with tempfile.TemporaryDirectory() as td:
            tmp = os.path.join(td, "demo.wav")
            write_wav(tmp, y)
            codec = ["-c:a", "libvorbis", "-q:a", "4"] if out_wav.endswith(".ogg") else []
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", tmp] + codec + [out_wav], check=True)
    with open(out_json, "w") as f:
        json.dump({"media": os.path.basename(out_wav), "kind": "audio", "classes": GENRES,
                   "made_by": "models/training/gen_audio.py --demo (procedural MIDI, TimGM6mb soundfont, held-out tempo band)",
                   "segments": segs}, f, indent=1)
    print(f"gen_audio: demo {out_wav} ({t:.0f} s, {len(segs)} segments)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?")
    ap.add_argument("--per-genre", type=int, default=84)
    ap.add_argument("--heldout-per-genre", type=int, default=24)
    ap.add_argument("--extra-per-genre", type=int, default=0)
    ap.add_argument("--only-extra", action="store_true", help="add the extra clips to an existing OUT_DIR")
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--demo", nargs=2, metavar=("WAV", "JSON"))
    ap.add_argument("--realistic", action="store_true",
                    help="real sampled drum kits, espeak-ng voices and a mastering chain (not used by the shipped model)")
    ap.add_argument("--variety", action="store_true",
                    help="--realistic with several sub-styles per genre (substyles.py) and bright masters in every genre")
    ap.add_argument("--dense", type=float, default=0.0, metavar="P",
                    help="with --realistic / --variety: probability of a dense, saturated master for any genre")
    a = ap.parse_args()
    if a.demo:
        demo(*a.demo)
    elif a.out:
        generate(a.out, a.per_genre, a.heldout_per_genre, a.seconds, a.seed, a.extra_per_genre, a.only_extra,
                 realistic=a.realistic, variety=a.variety, dense_p=a.dense)
    else:
        ap.error("give OUT_DIR or --demo")


if __name__ == "__main__":
    main()
