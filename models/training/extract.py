#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Turns a generated data set (gen_video.py / gen_audio.py / gen_pose.py output) into tokens with the C++
`colive-extract` tool (the same feature extractors the app runs live), then packs them with
per-token labels into DATA_DIR/tokens.npz for train.py / evaluate.py.

tokens.npz:
  X        float32 (sum T, d_in)   all tokens, clip after clip
  offsets  int64 (clips + 1)       clip i is X[offsets[i]:offsets[i+1]]
  y        int64 (sum T,)          class index of each token (label of the media at token time)
  since    float32 (sum T,)        seconds since the start of the token's segment
  times    float64 (sum T,)        token times (s)
  split    clip split names ("train", "random-test", "heldout"), names, classes, feature_id

Audio tokens are `audio-logmel-v2` and video tokens `video-motion-v5` unless --features says otherwise;
pose (keypoint .npy files of gen_pose.py, with each clip's fps and frame size in the manifest) gives
`pose-kp-v1` (colive-extract --keypoints), or with --features pose-kp-v2 / -v3 / -v4 that layout (v3/v4 also
read each clip's hand observations, KP.hands.npy; make_all.sh names the bundled pose model's).
Cached per-clip token files are reused only if they are newer than the media and have the width
of the requested feature id (so switching v1 <-> v2 re-extracts).

With --features onnx:MANIFEST.json the tokens are an ONNX backbone's embeddings (colive-extract --backbone,
docs/backbones.md); their feature id is onnx:<the manifest's name>.

Usage: extract.py --kind video|audio|pose DATA_DIR [--tool PATH] [--jobs N] [--features ID|onnx:MANIFEST.json]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def find_tool(name, explicit=None):
    if explicit:
        return explicit
    for d in ("build/models", "build/release", "build/dev", "build"):
        for sub in ("", "app", "bin", "app/extract", "app/cli"):
            p = os.path.join(ROOT, d, sub, name)
            if os.path.isfile(p) and os.access(p, os.X_OK):
                return p
    p = shutil.which(name)
    if p:
        return p
    raise SystemExit(f"{name} not found: build it (cmake --build build/models --target {name}) or pass --tool")


def label_tokens(times, segments, classes):
    """Label and seconds-since-segment-start for each token time."""
    y = np.zeros(len(times), np.int64)
    since = np.zeros(len(times), np.float32)
    for i, t in enumerate(times):
        seg = segments[-1]
        for s in segments:
            if s["start"] <= t < s["end"]:
                seg = s
                break
        y[i] = classes.index(seg["label"])
        since[i] = t - seg["start"]
    return y, since


# video-motion-v5: v3 + the dominant changing region (scale change, steadiness): the action model's input
DEFAULT_FEATURES = {"audio": "audio-logmel-v2", "video": "video-motion-v5", "pose": None}


def media_args(kind, media, clip=None, features=None):
    """colive-extract's input options for one clip (pose-kp-v3: the hand observations gen_pose.py wrote next
    to the keypoints, KP.hands.npy; also -v4)."""
    if kind != "pose":
        return ["--" + kind, media]
    args = ["--keypoints", media]
    if features in ("pose-kp-v3", "pose-kp-v4"):
        args += ["--hands", os.path.splitext(media)[0] + ".hands.npy"]
    if clip is not None:
        args += ["--fps", str(clip["fps"]), "--size", f"{clip['size'][0]}x{clip['size'][1]}"]
    return args


def feature_args(features):
    """colive-extract's feature option: a feature id, or `onnx:MANIFEST.json` for a backbone network
    (docs/backbones.md), whose tokens are the network's embedding of each log-mel patch / frame."""
    if not features:
        return []
    if features.startswith("onnx:") and features.endswith(".json"):
        return ["--backbone", features[len("onnx:"):]]
    return ["--features", features]


def run_one(tool, kind, features, dim, media, out_npy, out_times, clip=None):
    if os.path.exists(out_npy) and os.path.exists(out_times) and os.path.getmtime(out_npy) >= os.path.getmtime(media):
        cached = np.load(out_npy, mmap_mode="r")
        if cached.ndim == 2 and cached.shape[1] == dim:
            return
    feat = feature_args(features)
    cmd = ["nice", "-n", "10", tool] + media_args(kind, media, clip, features) + feat + ["--out", out_npy, "--times", out_times, "--quiet"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"extract: {' '.join(cmd)} failed: {r.stderr.strip()}")


def extract(data_dir, kind, tool, jobs, features=None):
    man = json.load(open(os.path.join(data_dir, "manifest.json")))
    classes = man["classes"] if "classes" in man else man["genres"]
    tok_dir = os.path.join(data_dir, "tokens")
    os.makedirs(tok_dir, exist_ok=True)
    clips = man["clips"]
    tasks = []
    for c in clips:
        os.makedirs(os.path.dirname(os.path.join(tok_dir, c["file"])), exist_ok=True)
        base = os.path.splitext(c["file"])[0]
        tasks.append((os.path.join(data_dir, c["file"]), os.path.join(tok_dir, base + ".npy"),
                      os.path.join(tok_dir, base + ".times.npy")))
    feat = feature_args(features)
    r = subprocess.run([tool] + media_args(kind, tasks[0][0], features=features) + feat + ["--print-id"], capture_output=True, text=True)
    fid = r.stdout.split()
    if r.returncode != 0 or len(fid) < 2:
        raise SystemExit(f"extract: {tool} --print-id failed: {r.stderr.strip()}")
    dim = int(fid[1])
    done = 0
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        for _ in ex.map(lambda tc: run_one(tool, kind, features, dim, *tc[0], clip=tc[1]), zip(tasks, clips)):
            done += 1
            if done % 50 == 0:
                print(f"extract: {done}/{len(tasks)}", flush=True)
    Xs, ys, sinces, times, offsets = [], [], [], [], [0]
    for c, (media, npy, tnpy) in zip(clips, tasks):
        X = np.load(npy).astype(np.float32)
        if X.ndim != 2 or X.shape[1] != dim:
            raise SystemExit(f"extract: {npy} has shape {X.shape}, expected (T, {dim}) for {fid[0]}")
        t = np.load(tnpy).astype(np.float64)
        if "segments" in c:
            segs = c["segments"]
        else:
            segs = [{"start": 0.0, "end": 1e9, "label": c["genre"]}]
        y, since = label_tokens(t, segs, classes)
        Xs.append(X); ys.append(y); sinces.append(since); times.append(t)
        offsets.append(offsets[-1] + len(X))
    out = os.path.join(data_dir, "tokens.npz")
    np.savez(out, X=np.concatenate(Xs), y=np.concatenate(ys), since=np.concatenate(sinces), times=np.concatenate(times),
             offsets=np.array(offsets, np.int64), split=np.array([c["split"] for c in clips]),
             names=np.array([c["file"] for c in clips]), classes=np.array(classes),
             feature_id=np.array(fid[0] if fid else ""))
    n = offsets[-1]
    print(f"extract: {len(clips)} clips, {n} tokens of width {Xs[0].shape[1]} ({fid[0] if fid else '?'}) -> {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--kind", choices=["video", "audio", "pose"], required=True)
    ap.add_argument("--tool")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--features", help="feature id (default: audio-logmel-v2 for audio, video-motion-v5 for video, pose-kp-v1 for pose; make_all.sh uses pose-kp-v4; onnx:MANIFEST.json: a backbone network)")
    a = ap.parse_args()
    extract(a.data, a.kind, find_tool("colive-extract", a.tool), a.jobs, a.features or DEFAULT_FEATURES[a.kind])


if __name__ == "__main__":
    sys.exit(main())
