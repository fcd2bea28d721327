#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""End-to-end check of a bundled model on its bundled demo clip.

Runs `colive-cli --source file:CLIP --model MODEL --mode continual --export OUT.jsonl` (the whole
live pipeline: file source -> feature extractor -> continual transformer) and compares the
predicted class of every post-warm-up step with the clip's known segments, from the sidecar
CLIP's *.segments.json written by the generator that rendered the clip (models/training/gen_*.py).
Steps less than --tolerance seconds after a segment boundary are not scored (the window still
holds the previous segment). Passes when at least --min-match of the scored steps match.

    check_demo_segments.py COLIVE_CLI MODEL CLIP SEGMENTS.json [--tolerance S] [--min-match F]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("model")
    ap.add_argument("clip")
    ap.add_argument("segments")
    ap.add_argument("--tolerance", type=float, default=1.0)
    ap.add_argument("--min-match", type=float, default=0.7)
    a = ap.parse_args()
    for p in (a.model, a.clip, a.segments):
        if not os.path.isfile(p):
            print(f"check_demo_segments: missing {p}")
            return 1
    seg = json.load(open(a.segments))
    segments = seg["segments"]
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "pred.jsonl")
        cmd = [a.cli, "--source", "file:" + a.clip, "--model", a.model, "--mode", "continual", "--export", out, "--quiet"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            print(f"check_demo_segments: {' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
            return 1
        rows = [json.loads(line) for line in open(out) if line.strip()]
    scored = matched = 0
    confusion = {}
    timeline = []
    for r in rows:
        if r.get("warmup") or r.get("mode", "continual") != "continual":
            continue
        t = float(r["time_s"] if "time_s" in r else r["time"])
        truth = None
        for s in segments:
            if s["start"] <= t < s["end"]:
                truth = s
        if truth is None or t - truth["start"] < a.tolerance:
            continue
        pred = max(r["probs"], key=r["probs"].get)
        scored += 1
        matched += pred == truth["label"]
        key = (truth["label"], pred)
        confusion[key] = confusion.get(key, 0) + 1
        timeline.append(f"{t:.1f}:{truth['label']}->{pred}")
    if scored == 0:
        print("check_demo_segments: no scored steps (empty export?)")
        return 1
    frac = matched / scored
    print(f"check_demo_segments: {os.path.basename(a.clip)} with {os.path.basename(a.model)}: "
          f"{matched}/{scored} scored steps match the known segments ({100 * frac:.1f} %, need {100 * a.min_match:.0f} %)")
    for (truth, pred), k in sorted(confusion.items()):
        if truth != pred:
            print(f"  {truth} predicted as {pred}: {k} steps")
    return 0 if frac >= a.min_match else 1


if __name__ == "__main__":
    sys.exit(main())
