#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Evaluates the pose action model (models/action-pose.safetensors) on REAL clips of people:
../shared/data/gestures-real (nvGesture excerpts, see its README and MANIFEST.tsv). Nothing of that
data is written into the repository; the report goes to stdout (and, with --write-card, the numbers
into models/action-pose.md).

Each clip goes through the live code path, from the first frame, in one of three ways (--route):
  cli        colive-cli --source file:CLIP --model M --mode both --export X.csv (the app's video
             pipeline with the model's pose-kp-v1..-v4 descriptor: PoseNet (+ HandLandmarks for v3, HandFinder for v4) +
             PoseTokenizer + engine);
  extract    colive-extract --video CLIP --pose-model ONNX --dump-keypoints KP.npy (PoseNet in C++; for
             pose-kp-v3 also --dump-hands KP.hands.npy, the hand network on every frame that starts a
             token slot; pose-kp-v4 through HandFinder, --hand-detector), then colive-extract --keypoints KP.npy [--hands KP.hands.npy] --features <the
             model's layout> (PoseTokenizer) and colive-cli --tokens (engine, both modes);
             With --drop-frames P each frame is left out before the networks with probability P
             (colive-extract --drop-frames, seeded by --drop-seed), as the live app drops frames when
             MoveNet falls behind (26-27 of 30 frames per s analysed on the idle 2-core machine);
  keypoints  precomputed keypoints DIR/<clip name>.npy ((T, 17, 3), x px, y px, score, at the clip's
             frame rate; pose-kp-v3: and DIR/<clip name>.hands.npy), then as `extract`.
Reported on post-warm-up steps (the first window-1 steps of a clip are warm-up): per clip, the
class with the highest mean probability (the clip is right when it is the label), the share of
steps whose top class is the label, and for `none` clips the share of steps called `none`
(target: >= 90 % of an idle person's steps); per class; the share of clips right (target >= 70 %);
and whether regular and continual modes predict the same class on every post-warm-up step.
The clips are 2.5-6.2 s long: with a 12-token window (1.2 s at 10 tokens/s) a 2.7 s clip has only
about 15 post-warm-up steps, so each clip's figure rests on few, strongly correlated steps.

With --realtime, the cli route paces the file to its media clock (colive-cli --realtime), so frames are
dropped as live, as many as this machine's load makes (not reproducible; the extract route's
--drop-frames is).

Usage: eval_real_gestures.py DATA_DIR [--route cli|extract|keypoints] [--keypoints-dir DIR] [--drop-frames P [--drop-seed N]] [--realtime]
                             [--pose-model models/pose/movenet-lightning.onnx] [--model M] [--build DIR]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from evaluate import run_cli, write_card as write_card_block  # noqa: E402
from extract import find_tool  # noqa: E402
from stfile import FileModel  # noqa: E402


def read_manifest(data_dir):
    path = os.path.join(data_dir, "MANIFEST.tsv")
    if not os.path.isfile(path):
        raise SystemExit(f"eval_real_gestures: {path} not found: give the gestures-real folder "
                         f"(e.g. ../shared/data/gestures-real); it is not part of the repository")
    with open(path) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    base = os.path.dirname(os.path.abspath(data_dir))
    for r in rows:   # paths in the manifest are relative to the data folder's parent
        p = os.path.join(base, r["path"])
        r["file"] = p if os.path.exists(p) else os.path.join(data_dir, *r["path"].split("/")[1:])
    return rows


def tool(build, name):
    for sub in ("app", ""):
        p = os.path.join(build, sub, name)
        if os.access(p, os.X_OK):
            return p
    return find_tool(name)


def probs_from_tokens(cli, model, tokens):
    out, _ = run_cli(cli, model, tokens)
    return out[0], out[1]                       # (T, C+1) regular, continual; last column: warm-up


def hands_file(kp_npy):
    return os.path.splitext(kp_npy)[0] + ".hands.npy"


def probs_via_keypoints(build, model, kp_npy, fps, size, features):
    ext = tool(build, "colive-extract")
    hands = ["--hands", hands_file(kp_npy)] if features in ("pose-kp-v3", "pose-kp-v4") else []
    with tempfile.TemporaryDirectory() as td:
        tok = os.path.join(td, "t.npy")
        r = subprocess.run([ext, "--keypoints", kp_npy, "--fps", str(fps), "--size", f"{size[0]}x{size[1]}",
                            "--features", features, "--out", tok, "--quiet"] + hands, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"eval_real_gestures: {r.stderr.strip()}")
        return probs_from_tokens(tool(build, "colive-cli"), model, np.load(tok))


def clip_info(path):
    import cv2
    cap = cv2.VideoCapture(path)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    return fps, size


def probs_via_cli_source(build, model, clip, classes, realtime=False):
    cli = tool(build, "colive-cli")
    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "x.csv")
        r = subprocess.run([cli, "--source", "file:" + clip, "--model", model, "--mode", "both", "--export", out]
                           + (["--realtime"] if realtime else []), capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"eval_real_gestures: colive-cli failed on {clip}: {r.stderr.strip()}")
        with open(out) as f:
            rows = list(csv.DictReader(f))
    # one row per step and mode: time_s, step, mode, <class>..., latency_ms, macs, warmup (app/pipeline/export.cpp)
    res = {}
    for mode in ("regular", "continual"):
        rr = [x for x in rows if x.get("mode") == mode]
        p = np.array([[float(x[c]) for c in classes] + [float(x["warmup"])] for x in rr])
        res[mode] = p
    return res["regular"], res["continual"]


def evaluate(a):
    rows = read_manifest(a.data)
    fm = FileModel(a.model)
    classes, n = fm.cfg["classes"], fm.cfg["window"]
    per_clip, mismatches, steps_total = [], 0, 0
    for r in rows:
        label, clip = r["label"], r["file"]
        name = os.path.splitext(os.path.basename(clip))[0]
        if a.route == "cli":
            reg, con = probs_via_cli_source(a.build, a.model, clip, classes, a.realtime)
        else:
            fps, size = clip_info(clip)
            if a.route == "keypoints":
                kp = os.path.join(a.keypoints_dir, name + ".npy")
                if not os.path.exists(kp):
                    raise SystemExit(f"eval_real_gestures: {kp} missing")
                reg, con = probs_via_keypoints(a.build, a.model, kp, fps, size, fm.cfg["features"])
            else:
                with tempfile.TemporaryDirectory() as td:
                    kp = os.path.join(td, "kp.npy")
                    hands = (["--dump-hands", hands_file(kp), "--hand-model", a.hand_model]
                             if fm.cfg["features"] in ("pose-kp-v3", "pose-kp-v4") else [])
                    if fm.cfg["features"] == "pose-kp-v4":
                        hands += ["--hand-detector", a.hand_detector]
                    if a.drop_frames > 0:
                        hands += ["--drop-frames", str(a.drop_frames), "--drop-seed", str(a.drop_seed)]
                    r2 = subprocess.run([tool(a.build, "colive-extract"), "--video", clip, "--pose-model", a.pose_model,
                                         "--dump-keypoints", kp, "--quiet"] + hands, capture_output=True, text=True)
                    if r2.returncode != 0:
                        raise SystemExit(f"eval_real_gestures: {r2.stderr.strip()}")
                    reg, con = probs_via_keypoints(a.build, a.model, kp, fps, size, fm.cfg["features"])
        post = con[:, -1] == 0.0
        pr, pc = reg[post, :-1].argmax(1), con[post, :-1].argmax(1)
        mismatches += int((pr != pc).sum())
        steps_total += int(post.sum())
        P = con[post, :-1]
        li = classes.index(label) if label in classes else -1
        mean_p = P.mean(0) if len(P) else np.full(len(classes), np.nan)
        top = classes[int(np.nanargmax(mean_p))] if len(P) else "?"
        per_clip.append({"clip": name, "label": label, "steps": int(post.sum()), "top_by_mean_prob": top,
                         "right": top == label, "label_step_share": float((pc == li).mean()) if len(pc) else float("nan"),
                         "mean_p_label": float(mean_p[li]) if li >= 0 else float("nan"),
                         "step_classes": {c: int((pc == k).sum()) for k, c in enumerate(classes) if (pc == k).any()}})
    route = a.route + (f", frames dropped with p {a.drop_frames} (seed {a.drop_seed})" if a.drop_frames > 0 and a.route == "extract"
                       else ", --realtime" if a.realtime and a.route == "cli" else "")
    return {"model": os.path.relpath(a.model, ROOT), "route": route, "window": n, "clips": per_clip,
            "regular_vs_continual": {"post_warmup_steps": steps_total, "prediction_mismatches": mismatches},
            "classes": classes}


def report(res):
    lines = [f"real clips ({len(res['clips'])}), model {res['model']}, route {res['route']}, window {res['window']} tokens; "
             f"post-warm-up steps only"]
    for c in res["clips"]:
        lines.append(f"  {c['label']:<11} {c['clip'][:52]:<52} steps {c['steps']:>3}  top(mean p) {c['top_by_mean_prob']:<11} "
                     f"{'RIGHT' if c['right'] else 'wrong'}  label on {100 * c['label_step_share']:5.1f} % of steps  "
                     f"steps: {c['step_classes']}")
    by = {}
    for c in res["clips"]:
        by.setdefault(c["label"], []).append(c)
    lines.append("per class: clips right / clips, label share of steps")
    for lab, cs in by.items():
        st = sum(c["steps"] for c in cs)
        share = sum(c["label_step_share"] * c["steps"] for c in cs) / max(st, 1)
        lines.append(f"  {lab:<11} {sum(c['right'] for c in cs)}/{len(cs)}  {100 * share:5.1f} % of {st} steps")
    right = sum(c["right"] for c in res["clips"])
    idle = [c for c in res["clips"] if c["label"] == "none"]
    st = sum(c["steps"] for c in idle)
    none_share = sum(c["label_step_share"] * c["steps"] for c in idle) / max(st, 1)
    rc = res["regular_vs_continual"]
    lines.append(f"clips right (by mean probability): {right}/{len(res['clips'])} = {100 * right / len(res['clips']):.0f} % "
                 f"(target >= 70 %)")
    lines.append(f"idle person called `none`: {100 * none_share:.1f} % of {st} post-warm-up steps (target >= 90 %)")
    lines.append(f"regular vs continual: {rc['prediction_mismatches']} differing predictions in {rc['post_warmup_steps']} "
                 f"post-warm-up steps")
    res["summary"] = {"clips_right": right, "clips": len(res["clips"]), "idle_none_share": none_share, "idle_steps": st}
    return "\n".join(lines)


def write_card(path, res):
    s = res["summary"]
    out = ["<!-- real:begin (generated by models/training/eval_real_gestures.py --write-card) -->", "",
           f"Route: `{res['route']}`; window {res['window']} tokens; post-warm-up steps only.", "",
           "| clip (label) | steps | top class by mean probability | label on % of steps |", "|---|---|---|---|"]
    for c in res["clips"]:
        out.append(f"| {c['label']} ({c['clip'][:40]}) | {c['steps']} | {c['top_by_mean_prob']} "
                   f"{'(right)' if c['right'] else '(wrong)'} | {100 * c['label_step_share']:.0f} |")
    rc = res["regular_vs_continual"]
    out += ["", f"**Clips right: {s['clips_right']}/{s['clips']}** ({100 * s['clips_right'] / s['clips']:.0f} %, target 70 %). "
                f"**Idle person `none` on {100 * s['idle_none_share']:.1f} % of {s['idle_steps']} steps** (target 90 %). "
                f"Regular vs continual: {rc['prediction_mismatches']} differing predictions in {rc['post_warmup_steps']} steps.",
            "", "<!-- real:end -->"]
    write_card_block(path, "\n".join(out), tag="real")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="the gestures-real folder (with MANIFEST.tsv)")
    ap.add_argument("--route", choices=["cli", "extract", "keypoints"], default="extract")
    ap.add_argument("--keypoints-dir")
    ap.add_argument("--pose-model", default=os.path.join(ROOT, "models", "pose", "movenet-lightning.onnx"))
    ap.add_argument("--hand-model", default=os.path.join(ROOT, "models", "pose", "handlandmark-lite.onnx"),
                    help="pose-kp-v3/-v4 models: the hand landmark network")
    ap.add_argument("--hand-detector", default=os.path.join(ROOT, "models", "pose", "handtrack.onnx"),
                    help="pose-kp-v4 models: the hand detector (HandFinder)")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "action-pose.safetensors"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "models"))
    ap.add_argument("--drop-frames", type=float, default=0.0,
                    help="extract route: leave out each frame before the networks with this probability (live drops)")
    ap.add_argument("--drop-seed", type=int, default=1)
    ap.add_argument("--realtime", action="store_true", help="cli route: pace the file in real time (drops as live, load-dependent)")
    ap.add_argument("--json", help="also write the full result as JSON here")
    ap.add_argument("--write-card", action="store_true", help="write the numbers into models/action-pose.md")
    a = ap.parse_args()
    if not os.path.isdir(a.data):
        raise SystemExit(f"eval_real_gestures: data folder {a.data} not found (the real clips are not in the "
                         f"repository; pass e.g. ../shared/data/gestures-real)")
    if a.route == "keypoints" and not a.keypoints_dir:
        ap.error("--route keypoints needs --keypoints-dir")
    if a.drop_frames > 0 and a.route != "extract":
        ap.error("--drop-frames works on --route extract (colive-extract --drop-frames)")
    if a.realtime and a.route != "cli":
        ap.error("--realtime works on --route cli")
    res = evaluate(a)
    print(report(res))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    if a.write_card:
        write_card(os.path.join(ROOT, "models", "action-pose.md"), res)
    return 0 if res["regular_vs_continual"]["prediction_mismatches"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
