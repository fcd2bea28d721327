#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs colive-cli on a source in both modes with --export and checks, on every step after warm-up,
that regular and continual probabilities agree within a tolerance (default 1e-4), that the export
has one regular and one continual row per step, probabilities sum to 1, and MACs(regular) >
MACs(continual).

    check_cli_export.py COLIVE_CLI --source SPEC [--model PATH] [--frames N] [--tol 1e-4] [--format csv|jsonl]
                        [--needs FILE] [--expect-features ID]

--needs FILE: exit 77 (skipped) when FILE is missing (e.g. the body keypoint network, which
scripts/setup-pose-models.sh makes); --expect-features: the summary must name this token layout.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile


def read_rows(path, fmt):
    rows = []
    if fmt == "csv":
        with open(path, newline="") as f:
            r = csv.reader(f)
            header = next(r)
            classes = header[3:-3]
            for line in r:
                rows.append({"step": int(line[1]), "mode": line[2],
                             "probs": [float(x) for x in line[3:3 + len(classes)]],
                             "macs": int(line[-2]), "warmup": line[-1] == "1"})
    else:
        classes = None
        with open(path) as f:
            for line in f:
                o = json.loads(line)
                if classes is None:
                    classes = list(o["probs"].keys())
                rows.append({"step": o["step"], "mode": o["mode"], "probs": [o["probs"][c] for c in classes],
                             "macs": o["macs"], "warmup": o["warmup"]})
    return classes, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("--source", required=True)
    ap.add_argument("--model")
    ap.add_argument("--frames", type=int)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--format", default="csv", choices=["csv", "jsonl"])
    ap.add_argument("--min-steps", type=int, default=10)
    ap.add_argument("--needs", action="append", default=[])
    ap.add_argument("--expect-features")
    a = ap.parse_args()
    for f in a.needs:
        if not os.path.exists(f):
            print(f"SKIP: {f} is missing")
            sys.exit(77)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "pred." + a.format)
        cmd = [a.cli, "--source", a.source, "--mode", "both", "--export", out]
        if a.model:
            cmd += ["--model", a.model]
        if a.frames:
            cmd += ["--frames", str(a.frames)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        print(p.stdout)
        if p.returncode != 0:
            print(p.stderr, file=sys.stderr)
            print("FAIL: colive-cli exited with", p.returncode)
            return 1
        if a.expect_features and f"({a.expect_features}," not in p.stdout:
            print(p.stderr, file=sys.stderr)
            print("FAIL: the model did not run on", a.expect_features, "tokens")
            return 1
        classes, rows = read_rows(out, a.format)
    steps = {}
    for r in rows:
        steps.setdefault(r["step"], {})[r["mode"]] = r
    if len(steps) < a.min_steps:
        print("FAIL: only", len(steps), "steps exported")
        return 1
    if sorted(steps) != list(range(len(steps))):
        print("FAIL: steps are not 0..n-1")
        return 1
    worst, compared, warm = 0.0, 0, 0
    for s, m in sorted(steps.items()):
        if set(m) != {"regular", "continual"}:
            print("FAIL: step", s, "has modes", sorted(m))
            return 1
        reg, con = m["regular"], m["continual"]
        for r in (reg, con):
            if abs(sum(r["probs"]) - 1.0) > 1e-3:
                print("FAIL: step", s, r["mode"], "probabilities sum to", sum(r["probs"]))
                return 1
        if reg["warmup"] != con["warmup"]:
            print("FAIL: warm-up flags differ at step", s)
            return 1
        if reg["warmup"]:
            warm += 1
            continue
        if reg["macs"] <= con["macs"]:
            print("FAIL: step", s, "regular MACs", reg["macs"], "<= continual", con["macs"])
            return 1
        d = max(abs(x - y) for x, y in zip(reg["probs"], con["probs"]))
        worst = max(worst, d)
        compared += 1
        if d > a.tol:
            print(f"FAIL: step {s}: max |regular - continual| = {d:.3g} > {a.tol}")
            return 1
    if compared < 1:
        print("FAIL: no step after warm-up")
        return 1
    print(f"OK: {len(steps)} steps ({warm} warm-up), {compared} compared, max |regular - continual| = {worst:.3g} "
          f"<= {a.tol}; classes: {', '.join(classes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
