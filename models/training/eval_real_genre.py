#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Scores a genre model on real recordings, the way a user meets it: every clip is played through
`colive-cli --source file:CLIP --mode continual` (the app's own file source, feature extractor and
engine), and the per-step probabilities are read from its --export CSV.

DATA_DIR holds one folder per genre (blues/, classical/, ... named as the model's classes) with
audio files inside, e.g. ../shared/data/gtzan-real-validation (validation only: never train on it).

Reported:
  clip accuracy   a clip is right when the mean probability over its post-warm-up steps has the
                  clip's genre on top
  per genre       right clips / clips of that genre
  step accuracy   every post-warm-up step's top-1 against the clip's genre
  confusion       rows = true genre, columns = predicted (clip level)

With --switch: how fast the plot follows a change of genre. Clips are joined into streams (one
clip per genre, genres in a seeded random order, one stream per clip index); each stream is played
through colive-cli once. For every join, the delay from the start of the new clip to the first
step with the new clip's genre on top is measured, for joins whose new clip is right on its own
(clip accuracy above); joins where it never gets on top before the next join count as misses.

Usage: eval_real_genre.py DATA_DIR [--model M.safetensors] [--cli PATH] [--json OUT.json] [--per-clip]
       eval_real_genre.py DATA_DIR --switch [--model M.safetensors]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from extract import find_tool  # noqa: E402

AUDIO_EXT = (".wav", ".ogg", ".flac", ".mp3", ".au", ".m4a")


def run_clip(cli, model, path, mode="continual", with_times=False):
    """(probs (T, C) of post-warm-up steps, class names) for one file (+ step times)."""
    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "steps.csv")
        cmd = [cli, "--source", "file:" + path, "--mode", mode, "--export", out, "--quiet"]
        if model:
            cmd += ["--model", model]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"eval_real_genre: {' '.join(cmd)} failed: {r.stderr.strip()}")
        with open(out) as f:
            rows = list(csv.reader(f))
    head = rows[0]
    classes = head[3:-3]
    keep = [row for row in rows[1:] if row[-1] == "0" and row[2] == mode]
    P = np.array([[float(v) for v in row[3:-3]] for row in keep], np.float64).reshape(-1, len(classes))
    if with_times:
        return P, classes, np.array([float(row[0]) for row in keep])
    return P, classes


def list_clips(data_dir):
    clips = []
    for g in sorted(os.listdir(data_dir)):
        d = os.path.join(data_dir, g)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.lower().endswith(AUDIO_EXT):
                clips.append((os.path.join(d, f), g))
    return clips


def evaluate(data_dir, model=None, cli=None, per_clip=False, jobs=2):
    if not os.path.isdir(data_dir):
        raise SystemExit(f"eval_real_genre: data folder {data_dir} is missing (it is not part of the project; "
                         "pass the folder of real clips, one sub-folder per genre)")
    clips = list_clips(data_dir)
    if not clips:
        raise SystemExit(f"eval_real_genre: no audio files in genre sub-folders of {data_dir}")
    cli = find_tool("colive-cli", cli)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        results = list(ex.map(lambda c: run_clip(cli, model, c[0]), clips))
    classes = results[0][1]
    C = len(classes)
    conf = np.zeros((C, C), np.int64)
    step_right = step_total = 0
    rows = []
    for (path, g), (P, _) in zip(clips, results):
        if g not in classes:
            raise SystemExit(f"eval_real_genre: folder '{g}' is not one of the model's classes {classes}")
        t = classes.index(g)
        if len(P) == 0:
            print(f"eval_real_genre: {path}: no post-warm-up steps (clip too short)", file=sys.stderr)
            continue
        mean = P.mean(0)
        p = int(mean.argmax())
        conf[t, p] += 1
        step_right += int((P.argmax(1) == t).sum())
        step_total += len(P)
        rows.append({"file": os.path.relpath(path, data_dir), "genre": g, "pred": classes[p],
                     "p_true": float(mean[t]), "p_top": float(mean[p]), "steps": len(P),
                     "step_acc": float((P.argmax(1) == t).mean())})
    n = int(conf.sum())
    right = int(np.trace(conf))
    rep = {"model": model or "(default)", "data": data_dir, "clips": n, "clip_acc": right / max(n, 1),
           "step_acc": step_right / max(step_total, 1), "steps": step_total, "classes": classes,
           "per_genre": {c: [int(conf[i, i]), int(conf[i].sum())] for i, c in enumerate(classes)},
           "confusion": conf.tolist(), "per_clip": rows}
    lines = [f"clips right: {right}/{n} = {100 * right / max(n, 1):.1f} %   "
             f"steps right: {step_right}/{step_total} = {100 * step_right / max(step_total, 1):.1f} %",
             "per genre: " + "  ".join(f"{c} {conf[i, i]}/{conf[i].sum()}" for i, c in enumerate(classes)),
             "confusion (rows true, columns predicted):",
             "           " + " ".join(f"{c[:5]:>5}" for c in classes)]
    for i, c in enumerate(classes):
        lines.append(f"{c:>10} " + " ".join(f"{v:5d}" for v in conf[i]))
    if per_clip:
        for r in rows:
            lines.append(f"  {r['file']:<32} -> {r['pred']:<10} p_true {r['p_true']:.2f} steps {100 * r['step_acc']:.0f} %")
    return rep, "\n".join(lines)


def read_wav(path):
    with wave.open(path) as w:
        ch, sr, sw = w.getnchannels(), w.getframerate(), w.getsampwidth()
        if sw != 2:
            raise SystemExit(f"eval_real_genre --switch: {path}: only 16-bit WAV clips can be joined")
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, ch).mean(1)
    return x.astype(np.int16), sr


def switch_latency(data_dir, model=None, cli=None, right_clips=None, seed=5):
    """Delays (s) from each join to the new genre on top, over streams of joined clips."""
    clips = list_clips(data_dir)
    by_genre = {}
    for path, g in clips:
        by_genre.setdefault(g, []).append(path)
    genres = sorted(by_genre)
    rng = np.random.default_rng(seed)
    cli = find_tool("colive-cli", cli)
    delays, misses, skipped = [], 0, 0
    with tempfile.TemporaryDirectory() as td:
        for k in range(min(len(v) for v in by_genre.values())):
            order = [genres[i] for i in rng.permutation(len(genres))]
            parts, starts, sr0, t = [], [], None, 0.0
            for g in order:
                x, sr = read_wav(by_genre[g][k])
                if sr0 is None:
                    sr0 = sr
                if sr != sr0:
                    raise SystemExit("eval_real_genre --switch: clips differ in sample rate")
                parts.append(x)
                starts.append(t)
                t += len(x) / sr
            path = os.path.join(td, f"stream{k}.wav")
            with wave.open(path, "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(sr0)
                w.writeframes(np.concatenate(parts).tobytes())
            P, classes, times = run_clip(cli, model, path, with_times=True)
            top = P.argmax(1)
            for j in range(1, len(order)):
                name = os.path.relpath(by_genre[order[j]][k], data_dir)
                if right_clips is not None and name not in right_clips:
                    skipped += 1
                    continue
                a, b = starts[j], starts[j + 1] if j + 1 < len(order) else 1e9
                hit = np.where((times >= a) & (times < b) & (top == classes.index(order[j])))[0]
                if len(hit):
                    delays.append(float(times[hit[0]] - a))
                else:
                    misses += 1
    return delays, misses, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--model", help="genre model (.safetensors); default: colive-cli's bundled genre model")
    ap.add_argument("--cli", help="colive-cli binary (default: found in build/)")
    ap.add_argument("--json", help="write the full report as JSON")
    ap.add_argument("--per-clip", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--switch", action="store_true", help="measure how fast the top genre follows a change of clip")
    a = ap.parse_args()
    rep, text = evaluate(a.data, a.model, a.cli, a.per_clip, a.jobs)
    print(text)
    if a.switch:
        right = {r["file"] for r in rep["per_clip"] if r["pred"] == r["genre"]}
        d, miss, skip = switch_latency(a.data, a.model, a.cli, right)
        d = np.array(d)
        rep["switch"] = {"delays_s": d.tolist(), "misses": miss, "skipped_wrong_clips": skip}
        if len(d):
            print(f"genre change (joins into a clip the model gets right: {len(d) + miss}; {skip} others skipped): "
                  f"new genre on top after median {np.median(d):.2f} s, mean {d.mean():.2f} s, "
                  f"90th pct {np.percentile(d, 90):.2f} s; never on top before the next join: {miss}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rep, f, indent=1)


if __name__ == "__main__":
    main()
