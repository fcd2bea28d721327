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
  * regular vs continual: the number of post-warm-up steps whose predicted class differs (must be
    0) and the largest probability difference;
  * agreement of the engine with PyTorch (nn.TransformerEncoder built from the same file);
  * parameter count and MACs per step in both modes (as printed by colive-cli).
With --write-cards the results block of models/action.md and models/genre.md is regenerated.

Usage: evaluate.py [--build DIR] [--data models/training-data] [--only action|genre|action-pose] [--write-cards]
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


def evaluate_model(kind, cli, data_dir, torch_check_clips=8):
    spec = MODELS[kind]
    path = os.path.join(ROOT, spec["file"])
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
    out.append("| class | " + " | ".join(f"{t} top-1 (%)" for _, t in SPLITS) + " |")
    out.append("|---|" + "---|" * len(SPLITS))
    for c in r["classes"]:
        out.append(f"| {c} | " + " | ".join(f"{100 * r['splits'][sp]['per_class'][c][0]:.1f}" for sp, _ in SPLITS) + " |")
    out.append("| **overall** | " + " | ".join(f"**{100 * r['splits'][sp]['overall']:.1f}**" for sp, _ in SPLITS) + " |")
    out.append("| steps evaluated | " + " | ".join(f"{r['splits'][sp]['n']} ({r['splits'][sp]['clips']} clips)" for sp, _ in SPLITS) + " |")
    out.append("| *additional: only steps whose whole window lies inside one segment* | " + " | ".join(
        f"*{100 * r['splits'][sp]['whole_window_in_segment']['overall']:.1f} ({r['splits'][sp]['whole_window_in_segment']['n']} steps)*"
        for sp, _ in SPLITS) + " |")
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
    a = ap.parse_args()
    torch.set_num_threads(1)
    cli = os.path.join(a.build, "app", "colive-cli")
    if not os.access(cli, os.X_OK):
        cli = find_tool("colive-cli")
    ok = True
    for kind in ([a.only] if a.only else sorted(MODELS)):
        if not a.only and not os.path.exists(os.path.join(a.data, MODELS[kind]["data"], "tokens.npz")):
            print(f"== {kind}: skipped ({MODELS[kind]['data']}/tokens.npz not made; make_all.sh --only {kind})", flush=True)
            continue
        r = evaluate_model(kind, cli, a.data)
        print(format_result(kind, r), flush=True)
        with open(os.path.join(a.data, f"{kind}.eval.json"), "w") as f:
            json.dump(r, f, indent=1)
        if a.write_cards:
            write_card(os.path.join(ROOT, MODELS[kind]["card"]), card_block(r))
        ok &= r["regular_vs_continual"]["prediction_mismatches"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
