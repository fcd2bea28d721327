#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Evaluates the shipped models (models/action.safetensors, models/genre.safetensors,
models/action-pose.safetensors) with the
C++ engine and an independent PyTorch re-implementation of the model file.

For every clip of the held-out split and of the ordinary random split, the clip's tokens (made
by colive-extract) are streamed through `colive-cli --mode both` from a reset, exactly as the
app does. Reported:
  * top-1 accuracy (continual mode) per class and overall, over every post-warm-up step whose
    token lies at least `ignore_s` after the start of its segment (action: 0.6 s; genre: 2 s; action-pose: 0.5 s);
  * per segment, the figure the real clips are judged by (eval_real_gestures.py: the class with the
    highest mean probability over a clip's post-warm-up steps): a segment (a run of one label in a
    clip) is right when the mean probability over its steps whose whole window lies inside it has its
    label on top; segments shorter than one window are counted as not scored;
  * the confusion matrix of the per-step predictions (rows: label, columns: predicted);
  * regular vs continual: the number of post-warm-up steps whose predicted class differs (must be
    0) and the largest probability difference;
  * agreement of the engine with PyTorch (nn.TransformerEncoder built from the same file);
  * parameter count and MACs per step in both modes (as printed by colive-cli).
With --write-cards the results block of models/action.md and models/genre.md is regenerated.

Usage: evaluate.py [--build DIR] [--data models/training-data] [--only action|genre|action-pose] [--write-cards]
                   [--only KIND --model FILE [--json OUT]]
Exit status 1 if regular and continual predictions differ on any post-warm-up step.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from extract import find_tool  # noqa: E402
from stfile import FileModel, read_safetensors  # noqa: E402

MODELS = {
    "action": {"file": "models/action.safetensors", "data": "video", "ignore_s": 0.6, "card": "models/action.md"},
    "genre": {"file": "models/genre.safetensors", "data": "audio", "ignore_s": 2.0, "card": "models/genre.md"},
    "action-pose": {"file": "models/action-pose.safetensors", "data": "pose", "ignore_s": 0.5, "card": "models/action-pose.md"},
}
SPLITS = [("heldout", "held-out"), ("random-test", "random split")]


def run_cli(cli, model, tokens):
    with tempfile.TemporaryDirectory() as td:
        tok, out = os.path.join(td, "t.npy"), os.path.join(td, "p.npy")
        np.save(tok, np.ascontiguousarray(tokens, dtype=np.float32))
        r = subprocess.run([cli, "--model", model, "--tokens", tok, "--mode", "both", "--out", out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"evaluate: colive-cli failed: {r.stderr.strip()}")
        return np.load(out), r.stdout + r.stderr


def per_class(y, p, classes):
    rows = {}
    for c, name in enumerate(classes):
        m = y == c
        rows[name] = (float((p[m] == c).mean()) if m.any() else float("nan"), int(m.sum()))
    return {"overall": float((p == y).mean()) if len(y) else float("nan"), "n": int(len(y)), "per_class": rows}


def segment_bounds(y, since):
    """[start, end) index pairs of the segments of one clip: a new segment where the label changes or
    the time since the segment's start goes back."""
    cut = np.flatnonzero((np.diff(y) != 0) | (np.diff(since) < 0)) + 1
    edges = np.concatenate([[0], cut, [len(y)]])
    return list(zip(edges[:-1], edges[1:]))


def per_segment(seg_labels, seg_top, classes, unscored):
    """Per-class and overall share of segments whose top class by mean probability is their label."""
    lab, top = np.asarray(seg_labels, np.int64), np.asarray(seg_top, np.int64)
    r = per_class(lab, top, classes)
    r["unscored"] = int(unscored)
    return r


def evaluate_model(kind, cli, data_dir, torch_check_clips=8, model=None):
    spec = MODELS[kind]
    path = model or os.path.join(ROOT, spec["file"])
    fm = FileModel(path)
    cfg = fm.cfg
    n, classes, d_in = cfg["window"], cfg["classes"], cfg["d_in"]
    z = np.load(os.path.join(data_dir, spec["data"], "tokens.npz"))
    X, y, since, off = z["X"], z["y"], z["since"], z["offsets"]
    split = z["split"].astype(str)
    data_classes = [str(c) for c in z["classes"]]
    assert data_classes == classes, f"class lists differ: {data_classes} vs {classes}"
    data_fid = str(z["feature_id"]) if "feature_id" in z.files else ""
    if data_fid != cfg["features"] or X.shape[1] != d_in:
        raise SystemExit(f"evaluate: {kind} model expects {cfg['features']} tokens of width {d_in}, but "
                         f"{spec['data']}/tokens.npz holds {data_fid or '?'} of width {X.shape[1]}: re-run extract.py")
    res = {"name": cfg["name"], "features": cfg["features"], "window": n, "d_in": d_in, "classes": classes,
           "parameters": int(sum(v.numel() for v in read_safetensors(path)[1].values())),
           "splits": {}}
    cli_text = ""
    mismatch_steps, total_steps, max_diff = 0, 0, 0.0
    torch_agree, torch_total, torch_maxdiff = 0, 0, 0.0
    for sp, _ in SPLITS:
        ys, ps, inside = [], [], []
        seg_lab, seg_top, unscored = [], [], 0
        clips = np.where(split == sp)[0]
        for j, c in enumerate(clips):
            Xc = X[off[c]:off[c + 1], :d_in]
            out, text = run_cli(cli, path, Xc)
            cli_text = cli_text or text
            reg, con = out[0], out[1]
            post = con[:, -1] == 0.0
            pr, pc = reg[post, :-1].argmax(1), con[post, :-1].argmax(1)
            mismatch_steps += int((pr != pc).sum())
            total_steps += int(post.sum())
            max_diff = max(max_diff, float(np.abs(reg[post, :-1] - con[post, :-1]).max()) if post.any() else 0.0)
            keep = post & (since[off[c]:off[c + 1]] >= spec["ignore_s"])
            ys.append(y[off[c]:off[c + 1]][keep])
            ps.append(con[keep, :-1].argmax(1))
            # additional figure (not the headline): the whole window inside one segment
            inside.append(since[off[c]:off[c + 1]][keep] >= (n - 1) / cfg["token_rate_hz"] - 1e-6)
            # per segment: mean probability over the post-warm-up steps whose window lies inside it
            yc_, sc_ = y[off[c]:off[c + 1]], since[off[c]:off[c + 1]]
            whole = post & (sc_ >= (n - 1) / cfg["token_rate_hz"] - 1e-6)
            for a, b in segment_bounds(yc_, sc_):
                m = whole[a:b]
                if not m.any():
                    unscored += 1
                    continue
                seg_lab.append(int(yc_[a]))
                seg_top.append(int(con[a:b][m, :-1].mean(0).argmax()))
            if j < torch_check_clips:   # independent PyTorch oracle on the same file
                logits = fm.stream_logits(Xc)
                prob = torch.softmax(torch.from_numpy(logits), 1).numpy()
                tp = prob.argmax(1)
                torch_agree += int((tp == pc).sum())
                torch_total += len(tp)
                torch_maxdiff = max(torch_maxdiff, float(np.abs(prob - con[n - 1:, :-1]).max()))
        yc, pc_, ins = np.concatenate(ys), np.concatenate(ps), np.concatenate(inside)
        res["splits"][sp] = per_class(yc, pc_, classes)
        res["splits"][sp]["clips"] = int(len(clips))
        res["splits"][sp]["whole_window_in_segment"] = per_class(yc[ins], pc_[ins], classes)
        res["splits"][sp]["per_segment"] = per_segment(seg_lab, seg_top, classes, unscored)
        conf = np.zeros((len(classes), len(classes)), np.int64)
        np.add.at(conf, (yc, pc_), 1)
        res["splits"][sp]["confusion"] = conf.tolist()
    res["regular_vs_continual"] = {"post_warmup_steps": total_steps, "prediction_mismatches": mismatch_steps,
                                   "max_prob_diff": max_diff}
    res["engine_vs_pytorch"] = {"steps": torch_total, "agree": torch_agree, "max_prob_diff": torch_maxdiff}
    res["cli_summary"] = cli_text.strip()
    macs = {}
    for line in cli_text.splitlines():
        m = re.match(r"\s*(regular|continual)\b.*?([0-9.]+) ([kMG]?) ?MACs/step", line)
        if m:
            macs[m.group(1)] = int(round(float(m.group(2)) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[m.group(3)]))
    res["macs_per_step"] = macs
    res["file_bytes"] = os.path.getsize(path)
    return res


def format_result(kind, r):
    lines = [f"== {kind}: {r['name']} ({r['features']}, window {r['window']}, {r['parameters']} parameters, "
             f"{r['file_bytes'] / 1024:.0f} KiB)"]
    for sp, title in SPLITS:
        s = r["splits"][sp]
        lines.append(f"{title}: top-1 {100 * s['overall']:.1f} % ({s['n']} steps, {s['clips']} clips)")
        lines.append("  " + ", ".join(f"{k} {100 * a:.1f}" for k, (a, _) in s["per_class"].items()))
        wi = s["whole_window_in_segment"]
        lines.append(f"  (whole window inside one segment: {100 * wi['overall']:.1f} % of {wi['n']} steps)")
        sg = s["per_segment"]
        lines.append(f"  per segment (top class by mean probability over its whole-window steps): {100 * sg['overall']:.1f} % "
                     f"of {sg['n']} segments ({sg['unscored']} shorter than a window, not scored)")
        lines.append("    " + ", ".join(f"{k} {100 * a:.1f} ({m})" for k, (a, m) in sg["per_class"].items()))
        cls = r["classes"]
        lines.append("  confusion (rows: label, columns: predicted, % of the label's steps): " + " ".join(c[:6] for c in cls))
        for i, row in enumerate(s["confusion"]):
            tot = max(sum(row), 1)
            lines.append(f"    {cls[i]:<11} " + " ".join(f"{100 * v / tot:5.1f}" for v in row))
    rc = r["regular_vs_continual"]
    lines.append(f"regular vs continual: {rc['prediction_mismatches']} differing predictions in {rc['post_warmup_steps']} "
                 f"post-warm-up steps, max |p_reg - p_con| {rc['max_prob_diff']:.2e}")
    ep = r["engine_vs_pytorch"]
    lines.append(f"engine vs PyTorch: {ep['agree']}/{ep['steps']} equal predictions, max |dp| {ep['max_prob_diff']:.2e}")
    if r["macs_per_step"]:
        lines.append("MACs per step: " + ", ".join(f"{k} {v / 1e6:.3f} M" for k, v in r["macs_per_step"].items()))
    return "\n".join(lines)


def card_block(r):
    out = ["<!-- results:begin (generated by models/training/evaluate.py --write-cards) -->", ""]
    seg = all("per_segment" in r["splits"][sp] for sp, _ in SPLITS)
    cols = [(sp, "step") for sp, _ in SPLITS] + ([(sp, "seg") for sp, _ in SPLITS] if seg else [])
    names = dict(SPLITS)

    def cell(sp, kind, c=None):
        d = r["splits"][sp] if kind == "step" else r["splits"][sp]["per_segment"]
        v = d["overall"] if c is None else d["per_class"][c][0]
        return f"{100 * v:.1f}"

    out.append("| class | " + " | ".join(f"{names[sp]} top-1 per step (%)" if k == "step" else
                                         f"{names[sp]} per segment (%)" for sp, k in cols) + " |")
    out.append("|---|" + "---|" * len(cols))
    for c in r["classes"]:
        out.append(f"| {c} | " + " | ".join(cell(sp, k, c) for sp, k in cols) + " |")
    out.append("| **overall** | " + " | ".join(f"**{cell(sp, k)}**" for sp, k in cols) + " |")
    out.append("| evaluated | " + " | ".join(
        f"{r['splits'][sp]['n']} steps ({r['splits'][sp]['clips']} clips)" if k == "step" else
        f"{r['splits'][sp]['per_segment']['n']} segments ({r['splits'][sp]['per_segment']['unscored']} shorter than a window)"
        for sp, k in cols) + " |")
    out.append("| *additional: only steps whose whole window lies inside one segment* | " + " | ".join(
        f"*{100 * r['splits'][sp]['whole_window_in_segment']['overall']:.1f} ({r['splits'][sp]['whole_window_in_segment']['n']} steps)*"
        if k == "step" else "" for sp, k in cols) + " |")
    if seg:
        out += ["", "Per segment: a segment (a run of one label in a simulated stream) is right when the mean probability "
                    "over its post-warm-up steps whose whole window lies inside it has its label on top, as a real clip "
                    "is judged by `eval_real_gestures.py`."]
    rc, ep = r["regular_vs_continual"], r["engine_vs_pytorch"]
    out += ["", f"Regular vs continual mode (C++ engine): {rc['prediction_mismatches']} differing predictions in "
                f"{rc['post_warmup_steps']} post-warm-up steps; largest probability difference {rc['max_prob_diff']:.1e}.",
            f"C++ engine vs PyTorch (nn.TransformerEncoder rebuilt from the file): {ep['agree']}/{ep['steps']} equal "
            f"predictions, largest probability difference {ep['max_prob_diff']:.1e}."]
    if r["macs_per_step"]:
        out.append("MACs per step (colive-cli, the paper's ptflops-style count): "
                   + ", ".join(f"{k} {v / 1e6:.3f} M" for k, v in r["macs_per_step"].items()) + ".")
    out += ["", "<!-- results:end -->"]
    return "\n".join(out)


def write_card(path, block, tag="results"):
    """Replaces the card's <!-- TAG:begin ... TAG:end --> block (appends it when missing)."""
    text = open(path).read() if os.path.exists(path) else ""
    pat = re.compile(r"<!-- " + tag + r":begin.*?<!-- " + tag + r":end -->", re.S)
    text = pat.sub(lambda _: block, text) if pat.search(text) else text + "\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "models"))
    ap.add_argument("--data", default=os.path.join(ROOT, "models", "training-data"))
    ap.add_argument("--only", choices=sorted(MODELS))
    ap.add_argument("--write-cards", action="store_true")
    ap.add_argument("--model", help="with --only: evaluate this model file instead of the bundled one (comparisons)")
    ap.add_argument("--json", help="with --model: write the result here instead of DATA/<kind>.eval.json")
    a = ap.parse_args()
    if a.model and (not a.only or a.write_cards):
        ap.error("--model needs --only and cannot be combined with --write-cards")
    torch.set_num_threads(1)
    cli = os.path.join(a.build, "app", "colive-cli")
    if not os.access(cli, os.X_OK):
        cli = find_tool("colive-cli")
    ok = True
    for kind in ([a.only] if a.only else sorted(MODELS)):
        if not a.only and not os.path.exists(os.path.join(a.data, MODELS[kind]["data"], "tokens.npz")):
            print(f"== {kind}: skipped ({MODELS[kind]['data']}/tokens.npz not made; make_all.sh --only {kind})", flush=True)
            continue
        r = evaluate_model(kind, cli, a.data, model=a.model)
        print(format_result(kind, r), flush=True)
        with open(a.json or os.path.join(a.data, f"{kind}.eval.json"), "w") as f:
            json.dump(r, f, indent=1)
        if a.write_cards:
            write_card(os.path.join(ROOT, MODELS[kind]["card"]), card_block(r))
        ok &= r["regular_vs_continual"]["prediction_mismatches"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
