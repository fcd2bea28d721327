#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Trains a bundled CoLive classifier (action or genre) on tokens made by extract.py and exports
it with scripts/export_model.py.

Model (the paper's CoOadTR/GTZAN layout, small):
  tokens (d_in) -> [standardisation, folded into the input projection at export]
  -> Linear d_in->d -> + recycling positional encoding (learned table, M = 2n-1 rows)
  -> post-norm nn.TransformerEncoder (1 block, GELU: fully redundancy-free in continual mode)
  -> output of the NEWEST token
  -> LayerNorm -> Linear head.
Every training window of n consecutive tokens starts at a random PE phase, as in the `co`
library, so the model only relies on relative positions: at run time the j-th token since reset
gets pe[j mod M] and the window holds n consecutive (cyclically shifted) phases.

Windows: every window of n consecutive tokens inside a clip whose newest token is at least
--ignore-s seconds into its segment (the first moments after an action/genre change are
ambiguous); target = class of the newest token. With --splice P, a fraction P of the training
windows joins the end of one clip to the middle of another clip of a different class (genre
changes in a stream).

Usage: train.py --preset action|action-pose|genre DATA_DIR/tokens.npz --out models/action.safetensors
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

PRESETS = {
    # 10 tokens/s: n=16 is 1.6 s, long enough to hold one full swipe/push (0.3-1.1 s) or two
    # wave/clap periods, short enough that the prediction follows a new gesture within ~1 s.
    "action": dict(name="colive-action-v2", modality="video", d=96, heads=4, d_ff=192, n=16, blocks=1,
                   dropout=0.2, steps=3000, seqs=16, wins=32, lr=2e-3, ignore_s=0.6, splice=0.0, token_rate_hz=10.0,
                   noise=0.15, feature_drop=0.2, scale_jitter=0.3),
    # pose-kp-v4 keypoint tokens (gen_pose.py --hand-route finder; v2 + 27 hand floats): 10 tokens/s, n=12 is 1.2 s: one stroke (0.2-0.7 s) with its
    # start and end, or 2-4 wave/clap periods; the token itself carries 0.5-1.5 s of history (v2: the
    # hands' excursions from where they rest). Real clips are 2.5-6 s long, so a short window leaves more
    # post-warm-up steps there. Loss weight 0.5 on `none`: half the simulated steps are `none`, and with
    # weight 1 the model called most real gestures `none` (models/action-pose.md, runs N-O).
    "action-pose": dict(name="colive-action-pose-v3", modality="video", d=96, heads=4, d_ff=192, n=12, blocks=1,
                        dropout=0.1, steps=3000, seqs=16, wins=32, lr=2e-3, ignore_s=0.5, splice=0.0,
                        token_rate_hz=10.0, noise=0.1, feature_drop=0.1, scale_jitter=0.0, class_weights="none=0.5"),
    # 4 tokens/s (0.25 s hop): n=24 is 6 s (+0.96 s patch, +3 s rhythm context inside the token),
    # which covers 2-6 bars at 60-220 bpm, so harmony and groove fit in one window.
    "genre": dict(name="colive-genre-v1", modality="audio", d=96, heads=4, d_ff=192, n=24, blocks=1,
                  dropout=0.2, steps=1000, seqs=24, wins=16, lr=2e-3, ignore_s=2.0, splice=0.4, token_rate_hz=4.0,
                  eq_db=8.0, noise=0.1, feature_drop=0.1),
}


class CoLiveNet(nn.Module):
    def __init__(self, d_in, d, heads, d_ff, n, pe_rows, blocks, classes, dropout, mu, sd):
        super().__init__()
        self.n, self.pe_rows = n, pe_rows
        self.register_buffer("mu", torch.as_tensor(mu, dtype=torch.float32))
        self.register_buffer("sd", torch.as_tensor(sd, dtype=torch.float32))
        self.input_proj = nn.Linear(d_in, d)
        self.pe = nn.Embedding(pe_rows, d)
        nn.init.normal_(self.pe.weight, std=0.1)
        layer = nn.TransformerEncoderLayer(d, heads, d_ff, dropout, activation="gelu", batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, blocks, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x, phase0):
        """x: (B, n, d_in) raw tokens, oldest first; phase0: (B,) PE row of the oldest token."""
        h = self.input_proj((x - self.mu) / self.sd)
        idx = (phase0[:, None] + torch.arange(x.shape[1], device=x.device)[None, :]) % self.pe_rows
        h = h + self.pe(idx)
        y = self.encoder(h)
        return self.head(self.norm(y[:, -1]))


class Data:
    def __init__(self, paths):
        """paths: one tokens.npz or several (same classes and feature id), read as one data set."""
        zs = [np.load(p, allow_pickle=False) for p in ([paths] if isinstance(paths, str) else paths)]
        for z in zs[1:]:
            if list(z["classes"]) != list(zs[0]["classes"]) or str(z["feature_id"]) != str(zs[0]["feature_id"]):
                raise SystemExit("train: token files differ in classes or feature id")
        self.X, self.y, self.since = (np.concatenate([z[k] for z in zs]) for k in ("X", "y", "since"))
        self.off = np.concatenate([[0]] + [z["offsets"][1:] + sum(len(q["X"]) for q in zs[:i]) for i, z in enumerate(zs)])
        self.split = np.concatenate([z["split"].astype(str) for z in zs])
        self.names = np.concatenate([z["names"].astype(str) for z in zs])
        self.classes = [str(c) for c in zs[0]["classes"]]
        self.feature_id = str(zs[0]["feature_id"])
        self.clip_of = np.repeat(np.arange(len(self.split)), np.diff(self.off))

    def windows(self, splits, n, ignore_s):
        """End indices (into X) of every valid window in clips of the given splits."""
        ends = []
        for i, s in enumerate(self.split):
            if s not in splits:
                continue
            a, b = self.off[i], self.off[i + 1]
            e = np.arange(a + n - 1, b)
            e = e[self.since[e] >= ignore_s]
            ends.append(e)
        return np.concatenate(ends) if ends else np.zeros(0, np.int64)


def evaluate_windows(model, data, ends, n, batch=1024):
    """Predictions for windows ending at `ends` (phase as in a stream reset at clip start)."""
    model.eval()
    preds = []
    with torch.no_grad():
        for k in range(0, len(ends), batch):
            e = ends[k:k + batch]
            idx = e[:, None] - (n - 1) + np.arange(n)[None, :]
            x = torch.from_numpy(data.X[idx])
            start = e - (n - 1) - data.off[data.clip_of[e]]
            preds.append(model(x, torch.from_numpy(start % model.pe_rows)).argmax(1).numpy())
    return np.concatenate(preds) if preds else np.zeros(0, np.int64)


def eq_augment(x, rng, db):
    """audio-logmel-v1 and -v2 (same [0,256) layout): a random smooth per-band gain (tilt + 1-3 bumps, up to +-db dB) per
    sequence, as a different microphone, room or soundfont timbre would add to log-mel. It shifts
    the per-band log-mel means [0,64) and the coarse patch [128,224) (6 segments x 16 groups of 4
    bands); the other features (std, flux, rhythm) do not change with a constant band gain."""
    S = x.shape[0]
    b = np.arange(64)[None, :]
    curve = rng.uniform(-db, db, (S, 1)) * (b / 63.0 - 0.5) * 2
    for _ in range(3):
        on = rng.random((S, 1)) < 0.7
        c, w, g = rng.uniform(0, 63, (S, 1)), rng.uniform(3, 16, (S, 1)), rng.uniform(-db, db, (S, 1))
        curve = curve + on * g * np.exp(-0.5 * ((b - c) / w) ** 2)
    curve = (curve * (math.log(10) / 20)).astype(np.float32)            # dB of magnitude -> natural log
    x[:, :, 0:64] += curve[:, None, :]
    groups = curve.reshape(S, 16, 4).mean(2)                               # (S, 16)
    x[:, :, 128:224] += np.tile(groups, (1, 6))[:, None, :]


def fast_forward(model, x, phase0, n):
    """Outputs of every n-token window of token sequences x (S, L, d_in) for a 1-block model,
    computed the way continual single-output inference does: keys and values once per token,
    attention only for each window's newest token. Same maths (and dropout placement) as
    nn.TransformerEncoderLayer (post-norm) applied to each window and read at its last token."""
    layer = model.encoder.layers[0]
    S, L, _ = x.shape
    d = model.input_proj.out_features
    H = layer.self_attn.num_heads
    dh = d // H
    h = model.input_proj((x - model.mu) / model.sd)
    idx = (phase0[:, None] + torch.arange(L)[None, :]) % model.pe_rows
    h = h + model.pe(idx)
    q, k, v = F.linear(h, layer.self_attn.in_proj_weight, layer.self_attn.in_proj_bias).chunk(3, dim=-1)
    W = L - n + 1
    q = q[:, n - 1:].reshape(S, W, H, dh) / math.sqrt(dh)
    kw = k.unfold(1, n, 1).reshape(S, W, H, dh, n)                   # (S, W, H, dh, n)
    vw = v.unfold(1, n, 1).reshape(S, W, H, dh, n)
    att = torch.einsum("swhd,swhdn->swhn", q, kw).softmax(-1)
    att = F.dropout(att, layer.self_attn.dropout, model.training)
    o = torch.einsum("swhn,swhdn->swhd", att, vw).reshape(S, W, d)
    o = layer.self_attn.out_proj(o)
    x1 = layer.norm1(h[:, n - 1:] + layer.dropout1(o))
    y = layer.norm2(x1 + layer.dropout2(layer.linear2(layer.dropout(layer.activation(layer.linear1(x1))))))
    return model.head(model.norm(y))


def check_fast_forward(model, data, n, L):
    """The fast training path must equal the plain nn.TransformerEncoder on each window."""
    model.eval()
    with torch.no_grad():
        x = torch.from_numpy(data.X[:L][None].copy())
        ph = torch.tensor([5])
        fast = fast_forward(model, x, ph, n)[0]
        for w in (0, L - n):
            ref = model(x[:, w:w + n], (ph + w) % model.pe_rows)[0]
            err = float((fast[w] - ref).abs().max())
            assert err < 1e-4, f"fast_forward differs from nn.TransformerEncoder by {err}"


def accuracy_report(y, p, classes):
    per = {}
    for c, name in enumerate(classes):
        m = y == c
        per[name] = {"n": int(m.sum()), "acc": float((p[m] == c).mean()) if m.any() else float("nan")}
    return {"overall": float((p == y).mean()) if len(y) else float("nan"), "n": int(len(y)), "per_class": per}


def format_report(title, rep):
    lines = [f"{title}: top-1 {100 * rep['overall']:.1f} % over {rep['n']} windows"]
    lines.append("  " + "  ".join(f"{k} {100 * v['acc']:.1f}" for k, v in rep["per_class"].items()))
    return "\n".join(lines)


def train(a):
    cfg = dict(PRESETS[a.preset])
    for k in ("steps", "d", "n", "seqs", "wins", "noise", "feature_drop", "dropout", "lr", "scale_jitter", "speed_jitter",
              "class_weights", "label_smoothing", "eq_db"):
        if getattr(a, k) is not None:
            cfg[k] = getattr(a, k)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    rng = np.random.default_rng(a.seed)
    torch.set_num_threads(a.threads)
    data = Data(a.tokens)
    prefix = a.save_prefix or os.path.splitext(a.tokens[0])[0] + f".{a.preset}"
    if a.no_extra_clips:   # leave out gen_video.py --extra-clips clips (train-x-*) entirely (comparisons)
        data.split[np.char.startswith(data.names, "train-x")] = "unused"
    n, C = cfg["n"], len(data.classes)
    pe_rows = 2 * n - 1
    Xtr = data.X[np.isin(data.clip_of, np.where(data.split == "train")[0])]
    mu = Xtr.mean(0)
    sd = np.maximum(Xtr.std(0), 1e-2 * np.maximum(Xtr.std(0).mean(), 1e-6) + 1e-6)
    model = CoLiveNet(data.X.shape[1], cfg["d"], cfg["heads"], cfg["d_ff"], n, pe_rows, cfg["blocks"], C,
                      cfg["dropout"], mu, sd)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.02)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=cfg["steps"], pct_start=0.1)
    # Training batches are S token sequences of length L = n + W - 1 (W windows each, every window
    # of n consecutive tokens inside the sequence). The PE phase is drawn per sequence, so every
    # token keeps one phase in all the windows that contain it, exactly as in a stream.
    train_clips = np.where(data.split == "train")[0]
    clip_len = np.diff(data.off)
    clip_label = np.array([data.y[data.off[i + 1] - 1] for i in range(len(data.split))])
    S, W = cfg["seqs"], cfg["wins"]
    L = min(n + W - 1, int(clip_len[train_clips].min()))
    W = L - n + 1
    rate = cfg["token_rate_hz"]
    class_w = torch.ones(C)
    for item in filter(None, (cfg.get("class_weights") or "").split(",")):
        name, w = item.split("=")
        class_w[data.classes.index(name)] = float(w)
    t0 = time.time()
    check_fast_forward(model, data, n, L)
    for step in range(cfg["steps"]):
        model.train()
        x = np.empty((S, L, data.X.shape[1]), np.float32)
        yb = np.empty((S, L), np.int64)
        since = np.empty((S, L), np.float32)
        for s in range(S):
            if rng.random() < cfg["splice"]:
                # the end of one clip, then a different-class clip: a change within the stream
                k = int(rng.integers(1, L - 1))
                ca = int(rng.choice(train_clips))
                cb = int(rng.choice(train_clips[clip_label[train_clips] != clip_label[ca]]))
                ea = data.off[ca] + int(rng.integers(k, clip_len[ca] + 1))
                sb = data.off[cb] + int(rng.integers(0, clip_len[cb] - (L - k) + 1))
                x[s, :k], yb[s, :k], since[s, :k] = data.X[ea - k:ea], data.y[ea - k:ea], data.since[ea - k:ea]
                x[s, k:], yb[s, k:] = data.X[sb:sb + L - k], data.y[sb:sb + L - k]
                since[s, k:] = np.minimum(data.since[sb:sb + L - k], (np.arange(L - k) + 1) / rate)
            elif cfg.get("speed_jitter", 0) > 0:
                # speed resampling: read the clip at r tokens per output token (linear interpolation),
                # as a gesture performed 1/r times as fast
                c = int(rng.choice(train_clips))
                r = math.exp(rng.uniform(-1, 1) * math.log(1 + cfg["speed_jitter"]))
                span = (L - 1) * r
                a0 = data.off[c] + rng.uniform(0, clip_len[c] - 1 - span)
                pos = a0 + np.arange(L) * r
                i0 = np.minimum(np.floor(pos).astype(np.int64), data.off[c + 1] - 1)
                i1 = np.minimum(i0 + 1, data.off[c + 1] - 1)
                f = (pos - i0).astype(np.float32)[:, None]
                near = np.where(f[:, 0] < 0.5, i0, i1)
                x[s] = data.X[i0] * (1 - f) + data.X[i1] * f
                yb[s], since[s] = data.y[near], data.since[near] / r
            else:
                c = int(rng.choice(train_clips))
                a0 = data.off[c] + int(rng.integers(0, clip_len[c] - L + 1))
                x[s], yb[s], since[s] = data.X[a0:a0 + L], data.y[a0:a0 + L], data.since[a0:a0 + L]
        if cfg.get("eq_db", 0) > 0:
            eq_augment(x, rng, cfg["eq_db"])
        xt = torch.from_numpy(x)
        if cfg.get("scale_jitter", 0) > 0:
            # per-sequence gain on the raw token around the training mean (contrast / motion magnitude)
            g = torch.exp(torch.empty(S, 1, 1).uniform_(-1, 1) * math.log(1 + cfg["scale_jitter"]))
            xt = model.mu + (xt - model.mu) * g
        # token-space augmentation: noise and feature dropout in standardised units
        xt = xt + torch.randn_like(xt) * model.sd * cfg["noise"]
        drop = torch.rand(S, 1, xt.shape[2]) < cfg["feature_drop"]
        xt = torch.where(drop, model.mu.expand_as(xt), xt)
        phase0 = torch.from_numpy(rng.integers(0, pe_rows, size=S))
        logits = fast_forward(model, xt, phase0, n)                   # (S, W, C)
        target = torch.from_numpy(yb[:, n - 1:])
        valid = torch.from_numpy(since[:, n - 1:] >= cfg["ignore_s"])
        if not bool(valid.any()):
            continue
        loss = F.cross_entropy(logits[valid], target[valid], weight=class_w,
                               label_smoothing=cfg.get("label_smoothing", 0.05))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % a.log_every == 0 or step == cfg["steps"] - 1:
            print(f"train[{a.preset}]: step {step} loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
    train_s = time.time() - t0
    reports = {}
    for split in ("train", "random-test", "heldout"):
        ends = data.windows({split}, n, cfg["ignore_s"])
        if split == "train":
            ends = rng.choice(ends, size=min(len(ends), 20000), replace=False)
        p = evaluate_windows(model, data, ends, n)
        reports[split] = accuracy_report(data.y[ends], p, data.classes)
        print(format_report(f"train[{a.preset}] {split}", reports[split]), flush=True)
    params = sum(p.numel() for name, p in model.named_parameters())
    config = {
        "name": cfg["name"], "modality": cfg["modality"], "features": data.feature_id, "d_in": int(data.X.shape[1]),
        "d_model": cfg["d"], "heads": cfg["heads"], "d_ff": cfg["d_ff"], "window": n, "blocks": cfg["blocks"],
        "pe_rows": pe_rows, "activation": "gelu", "ln_eps": 1e-5, "in_proj_bias": True, "final_norm": True,
        "token_rate_hz": cfg["token_rate_hz"], "classes": data.classes,
        "training": "models/training/make_all.sh (synthetic data, see the model card)",
    }
    if a.backbone:
        config["backbone"] = os.path.relpath(os.path.abspath(a.backbone), os.path.dirname(os.path.abspath(a.out)))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    export(model, config, a.out)
    meta = {"config": config, "preset": a.preset, "hyper": cfg, "seed": a.seed, "parameters": params,
            "train_seconds": round(train_s, 1), "reports": reports}
    with open(prefix + ".metrics.json", "w") as f:
        json.dump(meta, f, indent=1)
    torch.save({"state_dict": model.state_dict(), "meta": meta}, prefix + ".pt")
    print(f"train[{a.preset}]: {params} parameters, {train_s:.0f} s training -> {a.out}")


def folded_input_proj(model):
    """Linear on raw tokens equal to input_proj((x - mu) / sd)."""
    W = model.input_proj.weight.detach() / model.sd[None, :]
    b = model.input_proj.bias.detach() - W @ model.mu
    lin = nn.Linear(W.shape[1], W.shape[0])
    with torch.no_grad():
        lin.weight.copy_(W)
        lin.bias.copy_(b)
    return lin


def export(model, config, path):
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        from export_model import export_model  # engine owner's exporter
    except ImportError as e:
        print(f"train: cannot export ({e}); the checkpoint is saved, run again when scripts/export_model.py exists")
        return
    model.eval()
    export_model(path, model.encoder, input_proj=folded_input_proj(model), pe_table=model.pe.weight.detach(),
                 final_norm=model.norm, head=model.head, config=config)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tokens", nargs="+", help="tokens.npz from extract.py (several: read as one data set)")
    ap.add_argument("--preset", choices=sorted(PRESETS), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int)
    ap.add_argument("--d", type=int)
    ap.add_argument("--n", type=int)
    ap.add_argument("--seqs", type=int)
    ap.add_argument("--wins", type=int)
    ap.add_argument("--noise", type=float)
    ap.add_argument("--feature-drop", type=float)
    ap.add_argument("--dropout", type=float)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--scale-jitter", type=float, help="per-sequence token gain up to x(1+v) / (1+v)")
    ap.add_argument("--speed-jitter", type=float, help="token-sequence speed resampling up to x(1+v) / (1+v)")
    ap.add_argument("--class-weights", help="loss weights, e.g. push=2,pull=1.5,none=1.5")
    ap.add_argument("--label-smoothing", type=float)
    ap.add_argument("--eq-db", type=float, help="audio tokens: random per-band log-mel gain up to +-v dB per sequence (0: off)")
    ap.add_argument("--no-extra-clips", action="store_true", help="ignore the train-x-* clips (gen_video.py --extra-clips)")
    ap.add_argument("--backbone", help="tokens from an ONNX backbone (extract.py --features onnx:MANIFEST.json): "
                    "its manifest, written into the model's config relative to --out (docs/backbones.md)")
    ap.add_argument("--log-every", type=int, default=250)
    ap.add_argument("--save-prefix", help="checkpoint/metrics path prefix (default next to the tokens)")
    train(ap.parse_args())


if __name__ == "__main__":
    main()
