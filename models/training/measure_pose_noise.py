#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Measures MoveNet's keypoint noise on real clips (../shared/data/gestures-real) for gen_pose.py's
detector model: per keypoint group (head = nose/eyes/ears, shoulders, elbows, wrists, hips)
  * jitter: std of the residual after a centred 5-frame moving average, in shoulder widths, on the
    idle (`none`) clips, and its lag-1 autocorrelation (about -0.25 for white noise);
  * scores: mean / std / percentiles over all clips, share below 0.2 and 0.3;
  * jumps: share of frame-to-frame steps over 0.3 / 0.5 shoulder widths on the idle clips.
The keypoints come from colive-extract --video CLIP --pose-model ONNX --dump-keypoints (the app's
PoseNet: MoveNet Lightning through OpenCV DNN with crop tracking), or from --keypoints-dir.
Only derived statistics are printed / written (--json); nothing of the clips is kept.

Usage: measure_pose_noise.py DATA_DIR [--pose-model ONNX] [--keypoints-dir DIR] [--json OUT]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from eval_real_gestures import read_manifest, tool  # noqa: E402

GROUPS = {"head": [0, 1, 2, 3, 4], "shoulder": [5, 6], "elbow": [7, 8], "wrist": [9, 10], "hip": [11, 12]}


def keypoints(a, clip, td):
    name = os.path.splitext(os.path.basename(clip))[0]
    if a.keypoints_dir:
        return np.load(os.path.join(a.keypoints_dir, name + ".npy"))
    out = os.path.join(td, name + ".npy")
    r = subprocess.run([tool(a.build, "colive-extract"), "--video", clip, "--pose-model", a.pose_model,
                        "--dump-keypoints", out, "--quiet"], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"measure_pose_noise: {r.stderr.strip()}")
    return np.load(out)


def measure(clips):
    """clips: list of (label, (T, 17, 3) array)."""
    res = {}
    for g, idx in GROUPS.items():
        sc, steps, resid, ac = [], [], [], []
        for label, k in clips:
            k = k.astype(np.float64)
            on = k[:, :, 2].sum(1) > 0
            k = k[on]
            sw = np.median(np.hypot(*(k[:, 5, :2] - k[:, 6, :2]).T))
            for j in idx:
                sc.append(k[:, j, 2])
                if label != "none":
                    continue
                p = k[:, j, :2] / sw
                steps.append(np.hypot(*np.diff(p, axis=0).T))
                ma = np.stack([np.convolve(p[:, c], np.ones(5) / 5, "valid") for c in range(2)], 1)
                r = p[2:-2] - ma
                resid.append(r)
                ac.append([np.corrcoef(r[1:, c], r[:-1, c])[0, 1] for c in range(2)])
        sc, steps, resid = np.concatenate(sc), np.concatenate(steps), np.concatenate(resid)
        res[g] = {"score_mean": float(sc.mean()), "score_std": float(sc.std()),
                  "score_p10_p50_p90": [float(x) for x in np.percentile(sc, [10, 50, 90])],
                  "score_below_0.2": float((sc < 0.2).mean()), "score_below_0.3": float((sc < 0.3).mean()),
                  "idle_resid_std_sw": float(resid.std()), "idle_jitter_sw": float(resid.std() / np.sqrt(0.8)),
                  "idle_resid_lag1_autocorr": float(np.nanmean(ac)),
                  "idle_steps_over_0.3sw": float((steps > 0.3).mean()), "idle_steps_over_0.5sw": float((steps > 0.5).mean())}
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--pose-model", default=os.path.join(ROOT, "models", "pose", "movenet-lightning.onnx"))
    ap.add_argument("--keypoints-dir")
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "models"))
    ap.add_argument("--json")
    a = ap.parse_args()
    if not os.path.isdir(a.data):
        raise SystemExit(f"measure_pose_noise: data folder {a.data} not found (pass e.g. ../shared/data/gestures-real)")
    rows = read_manifest(a.data)
    with tempfile.TemporaryDirectory() as td:
        clips = [(r["label"], keypoints(a, r["file"], td)) for r in rows]
    res = measure(clips)
    print(f"measure_pose_noise: {len(clips)} clips ({sum(l == 'none' for l, _ in clips)} idle)")
    for g, v in res.items():
        print(f"  {g:<8} score {v['score_mean']:.2f} +- {v['score_std']:.2f} (p10/50/90 "
              f"{'/'.join(f'{x:.2f}' for x in v['score_p10_p50_p90'])}, <0.2 {100 * v['score_below_0.2']:.0f} %, "
              f"<0.3 {100 * v['score_below_0.3']:.0f} %) | idle jitter {v['idle_jitter_sw']:.3f} sw "
              f"(lag-1 ac {v['idle_resid_lag1_autocorr']:.2f}), steps > 0.3 sw {100 * v['idle_steps_over_0.3sw']:.1f} %, "
              f"> 0.5 sw {100 * v['idle_steps_over_0.5sw']:.1f} %")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
