#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Probe for issue 12: a learned log-mel front-end (small CNN per 0.96 s patch) instead of the
hand-designed `audio-logmel-v2` token. Trains on synthetic renders of gen_audio.py only and scores
real clips (validation only, never trained on) by their mean patch probability, as the genre probe
of models/genre.md does. Not used by the shipped model (yet).

Input: the VGGish log-mel of scripts/features_reference.py (16 kHz, 64 bands, 10 ms hop; the numpy
reference of the C++ extractor), one 96 x 64 patch per token, patches every 25 frames (0.25 s).
WAVs at other rates are resampled with an FFT (band-limited) resampler.

The CNN uses only layers OpenCV DNN 4.6 imports (Conv, BatchNorm, ReLU, MaxPool, GlobalAveragePool,
Gemm); `--export` writes the front-end (patch -> embedding) as ONNX (opset 12).

Augmentation (in the log-mel domain, aimed at what differs between rendered and recorded music):
random crop (time shift), mixup of two clips in the power domain (any genre, soft label), random
per-band EQ (tilt plus bumps), gain, dynamics compression/expansion per band, a few bands of
frequency shift, coloured noise floor, SpecAugment time and frequency masks.

Usage:
  cnn_probe.py cache DATA_DIR [DATA_DIR ...]            log-mel of every clip -> $CNN_PROBE_CACHE/<dir>.npz
  cnn_probe.py train --data D1 [D2 ...] --real REAL_DIR --seed S [--steps N] [--norm none|band]
               [--out run.pt] [--export front.onnx]
  cnn_probe.py embed --data D1 [D2 ...] --model run.pt --name NAME --out-tokens T.npz [--norm band]
               tokens.npz of the front-end's embeddings for train.py (--backbone MANIFEST.json)
Measured numbers: models/genre.md, "Fourth round".
"""
import argparse
import json
import os
import sys
import time
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from compose import GENRES  # noqa: E402
from features_reference import SAMPLE_RATE, log_mel_spectrogram  # noqa: E402

PATCH, HOP = 96, 25   # frames: 0.96 s patch, 0.25 s token hop
CACHE = os.environ.get("CNN_PROBE_CACHE", "/tmp/cnn_probe_cache")   # log-mel caches (never next to the data)


def read_wav(path):
    with wave.open(path) as w:
        sr, ch, sw, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        raw = w.readframes(n)
    if sw != 2:
        raise SystemExit(f"cnn_probe: {path}: only 16-bit PCM WAV is read here")
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64).reshape(-1, ch).mean(axis=1) / 32768.0
    return x, sr


def resample(x, sr, out_sr=SAMPLE_RATE):
    """Band-limited resampling by truncating / padding the spectrum of the whole signal."""
    if sr == out_sr:
        return x
    n_out = int(round(len(x) * out_sr / sr))
    spec = np.fft.rfft(x)
    k = n_out // 2 + 1
    if k <= len(spec):
        spec = spec[:k]
    else:
        spec = np.concatenate([spec, np.zeros(k - len(spec), dtype=spec.dtype)])
    return np.fft.irfft(spec, n_out) * (n_out / len(x))


def logmel_of(path):
    x, sr = read_wav(path)
    lm, _ = log_mel_spectrogram(resample(x, sr))
    return lm.astype(np.float32)


def clip_label(name):
    for gi, g in enumerate(GENRES):
        if f"-{g}-" in name or name.startswith(g + "."):
            return gi
    raise ValueError(name)


def cache(data_dir):
    out = os.path.join(CACHE, os.path.abspath(data_dir).strip("/").replace("/", "_") + ".npz")
    if os.path.exists(out):
        return out
    man = os.path.join(data_dir, "manifest.json")
    if os.path.exists(man):
        rows = json.load(open(man))["clips"]
        items = [(r["file"], r["split"]) for r in rows]
    elif any(f.startswith("train-") for f in os.listdir(data_dir)):   # a render still running: no manifest yet
        items = sorted((f, f.split("-")[0]) for f in os.listdir(data_dir) if f.endswith(".wav"))
        out = out[:-4] + f"-partial{len(items)}.npz"
    else:   # real clips: DATA_DIR/<genre>/<genre>.NNNNN.wav
        items = sorted((os.path.join(g, f), "real") for g in GENRES if os.path.isdir(os.path.join(data_dir, g))
                       for f in os.listdir(os.path.join(data_dir, g)) if f.endswith(".wav"))
    if os.path.exists(out):
        return out
    os.makedirs(CACHE, exist_ok=True)
    mels, labels, splits, names = [], [], [], []
    t0 = time.time()
    for i, (f, s) in enumerate(items):
        try:
            mels.append(logmel_of(os.path.join(data_dir, f)).astype(np.float16))
        except (EOFError, ValueError, wave.Error) as e:   # a clip cut short when a render was stopped
            print(f"cnn_probe: skipping {f}: {e}")
            continue
        labels.append(clip_label(os.path.basename(f)))
        splits.append(s)
        names.append(f)
        if i % 200 == 0:
            print(f"cnn_probe: {data_dir} {i}/{len(items)} {time.time() - t0:.0f}s", flush=True)
    lengths = np.array([m.shape[0] for m in mels])
    np.savez(out, mel=np.concatenate(mels), lengths=lengths, labels=np.array(labels), splits=np.array(splits),
             names=np.array(names))
    return out


def load(path):
    z = np.load(path)
    off = np.concatenate([[0], np.cumsum(z["lengths"])])
    mel = z["mel"]
    clips = [mel[off[i]:off[i + 1]].astype(np.float32) for i in range(len(off) - 1)]
    return clips, z["labels"], z["splits"], z["names"]


def build(torch, width=(8, 16, 32, 64), emb=96, norm="none", double=False):
    nn = torch.nn

    class Front(nn.Module):
        """Patch [B,1,96,64] -> embedding [B,emb]. norm 'band': each band's mean over the patch is
        subtracted (per-band normalisation, removes any fixed EQ / level within the 0.96 s)."""

        def __init__(self):
            super().__init__()
            layers, c = [], 1
            for w in width:
                layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
                if double:
                    layers += [nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
                layers += [nn.MaxPool2d(2)]
                c = w
            layers += [nn.Conv2d(c, emb, 3, padding=1, bias=False), nn.BatchNorm2d(emb), nn.ReLU(),
                       nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            self.net = nn.Sequential(*layers)
            self.norm = norm
            # x - mean over the patch's 96 frames, per band, as one fixed convolution (kernel 191 x 1,
            # zero padding 95: every output frame sees all 96 input frames), because OpenCV DNN 4.6
            # cannot run ReduceMean over the frame axis followed by a broadcast Sub
            k = torch.full((1, 1, 2 * PATCH - 1, 1), -1.0 / PATCH)
            k[0, 0, PATCH - 1, 0] += 1.0
            self.register_buffer("band_kernel", k)

        def forward(self, x):
            if self.norm == "band":
                x = torch.nn.functional.conv2d(x, self.band_kernel, padding=(PATCH - 1, 0))
            return self.net(x)

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.front = Front()
            self.drop = nn.Dropout(0.3)
            self.head = nn.Linear(emb, len(GENRES))

        def forward(self, x):
            return self.head(self.drop(self.front(x)))

    return Probe()


class Augment:
    def __init__(self, rng, strength=1.0):
        self.rng, self.s = rng, strength

    def eq_curve(self, n):
        r, b = self.rng, np.linspace(-1, 1, 64)
        curve = r.uniform(-1, 1, (n, 1)) * b * 1.2 * self.s           # tilt up to +-1.2 ln (~ +-10 dB)
        for _ in range(3):
            c, w, g = r.uniform(-1, 1, (n, 1)), r.uniform(0.05, 0.4, (n, 1)), r.uniform(-0.9, 0.9, (n, 1)) * self.s
            curve = curve + g * np.exp(-0.5 * ((b - c) / w) ** 2)
        return curve.astype(np.float32)                                   # [n,64], ln units of magnitude

    def __call__(self, x):
        """x: [B,96,64] log-mel (numpy, ln(mel+0.01)). Returns augmented copy."""
        r, B = self.rng, x.shape[0]
        x = x + self.eq_curve(B)[:, None, :] + r.uniform(-2.0, 1.0, (B, 1, 1)).astype(np.float32) * self.s
        # dynamics: compress/expand around each band's mean over the patch
        c = r.uniform(0.6, 1.15, (B, 1, 1)).astype(np.float32)
        m = x.mean(axis=1, keepdims=True)
        x = m + (x - m) * np.where(r.random((B, 1, 1)) < 0.5, c, 1.0)
        # frequency shift of up to 2 bands (edge bands repeated)
        for i in np.nonzero(r.random(B) < 0.3)[0]:
            k = int(r.integers(-2, 3))
            if k:
                x[i] = np.roll(x[i], k, axis=1)
                if k > 0:
                    x[i, :, :k] = x[i, :, k:k + 1]
                else:
                    x[i, :, k:] = x[i, :, k - 1:k]
        # coloured noise floor (added in the linear domain)
        sel = r.random(B) < 0.4
        if sel.any():
            lvl = (m.mean(axis=(1, 2)) + r.uniform(-6.0, -2.0, B))[:, None, None]
            tilt = r.uniform(-1.5, 0.5, (B, 1, 1)) * np.linspace(0, 1, 64)[None, None, :]
            noise = np.exp(lvl + tilt + 0.5 * r.standard_normal(x.shape))
            xn = np.log(np.exp(x) + noise).astype(np.float32)
            x = np.where(sel[:, None, None], xn, x)
        # SpecAugment
        fill = x.mean(axis=(1, 2))
        for i in range(B):
            for _ in range(2):
                if r.random() < 0.6:
                    w = int(r.integers(1, 16)); t = int(r.integers(0, PATCH - w)); x[i, t:t + w, :] = fill[i]
                if r.random() < 0.6:
                    w = int(r.integers(1, 9)); f = int(r.integers(0, 64 - w)); x[i, :, f:f + w] = fill[i]
        return x.astype(np.float32)


def patches(clip):
    starts = range(0, clip.shape[0] - PATCH + 1, HOP)
    return np.stack([clip[s:s + PATCH] for s in starts])


def score(torch, model, clips, labels, bs=256):
    model.eval()
    probs, steps_right, steps = [], 0, 0
    with torch.no_grad():
        for c, y in zip(clips, labels):
            p = patches(c)
            out = []
            for b in range(0, len(p), bs):
                out.append(torch.softmax(model(torch.from_numpy(p[b:b + bs])[:, None]), dim=1).numpy())
            out = np.concatenate(out)
            steps_right += int((out.argmax(1) == y).sum())
            steps += len(out)
            probs.append(out.mean(0))
    model.train()
    pred = np.array([p.argmax() for p in probs])
    conf = np.zeros((len(GENRES), len(GENRES)), dtype=int)
    for y, p in zip(labels, pred):
        conf[y, p] += 1
    return int((pred == labels).sum()), steps_right / max(steps, 1), conf


def train(a):
    import torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    tr, ytr, ho, yho = [], [], [], []
    for d in a.data:
        clips, labels, splits, _ = load(cache(d))
        for c, y, s in zip(clips, labels, splits):
            if s == "train":
                tr.append(c); ytr.append(y)
            elif s == "heldout":
                ho.append(c); yho.append(y)
    ytr, yho = np.array(ytr), np.array(yho)
    real, yreal, _, _ = load(cache(a.real))
    print(f"cnn_probe: {len(tr)} training clips, {len(ho)} held-out, {len(real)} real", flush=True)
    model = build(torch, width=tuple(int(v) for v in a.width.split(",")), emb=a.emb, norm=a.norm, double=a.double)
    nparam = sum(p.numel() for p in model.front.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.steps, pct_start=0.1)
    aug = Augment(rng, a.aug)
    t0 = time.time()
    by_genre = [np.nonzero(ytr == g)[0] for g in range(len(GENRES))]
    present = [g for g in range(len(GENRES)) if len(by_genre[g])]
    for step in range(a.steps):
        gi = rng.choice(present, a.batch)                           # class-balanced
        idx = np.array([rng.choice(by_genre[g]) for g in gi])
        x = np.empty((a.batch, PATCH, 64), np.float32)
        for i, k in enumerate(idx):
            c = tr[k]; s = int(rng.integers(0, c.shape[0] - PATCH + 1)); x[i] = c[s:s + PATCH]
        y = np.zeros((a.batch, len(GENRES)), np.float32)
        y[np.arange(a.batch), ytr[idx]] = 1.0
        if a.mixup > 0:   # power-domain mix with another patch of the batch
            perm = rng.permutation(a.batch)
            lam = rng.beta(a.mixup, a.mixup, a.batch).astype(np.float32)
            lam = np.maximum(lam, 1 - lam)                            # the first clip dominates
            sel = rng.random(a.batch) < 0.5
            lam = np.where(sel, lam, 1.0).astype(np.float32)
            g = rng.uniform(-1.5, 1.5, a.batch).astype(np.float32)   # relative level of the second
            x = np.log(lam[:, None, None] * np.exp(x) + (1 - lam[:, None, None]) * np.exp(x[perm] + g[:, None, None]))
            y = lam[:, None] * y + (1 - lam[:, None]) * y[perm]
        x = aug(x.astype(np.float32))
        out = model(torch.from_numpy(x)[:, None])
        loss = -(torch.log_softmax(out, 1) * torch.from_numpy(y * (1 - a.smooth) + a.smooth / len(GENRES))).sum(1).mean()
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if step % 200 == 0 or step == a.steps - 1:
            print(f"cnn_probe: step {step} loss {loss.item():.3f} {time.time() - t0:.0f}s", flush=True)
    hc, hs, _ = score(torch, model, ho, yho)
    rc, rs, conf = score(torch, model, real, yreal)
    res = {"seed": a.seed, "norm": a.norm, "steps": a.steps, "data": a.data, "front_params": nparam, "width": a.width, "double": a.double, "mixup": a.mixup, "aug": a.aug,
           "heldout_clips": f"{hc}/{len(ho)}", "heldout_steps": round(hs, 4),
           "real_clips": rc, "real_steps": round(rs, 4), "per_genre": conf.diagonal().tolist(),
           "confusion": conf.tolist(), "train_s": round(time.time() - t0)}
    print("RESULT " + json.dumps(res), flush=True)
    for g, row in zip(GENRES, conf):
        print(f"  {g:10s} " + " ".join(str(v) for v in row))
    if a.out:
        torch.save(model.state_dict(), a.out)
    if a.export:
        export(torch, model, a.export)


def drop_identities(path):
    """torch.onnx folds BatchNorm into Conv and may emit Identity nodes for initializers that came out
    equal; OpenCV DNN 4.6 cannot import an Identity on an initializer, so give each its own copy."""
    import onnx
    m = onnx.load(path)
    inits = {t.name: t for t in m.graph.initializer}
    keep = []
    for n in m.graph.node:
        if n.op_type == "Identity" and n.input[0] in inits:
            t = onnx.TensorProto()
            t.CopyFrom(inits[n.input[0]])
            t.name = n.output[0]
            m.graph.initializer.append(t)
        else:
            keep.append(n)
    del m.graph.node[:]
    m.graph.node.extend(keep)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def export(torch, model, path):
    model.eval()
    torch.onnx.export(model.front, torch.zeros(1, 1, PATCH, 64), path, opset_version=12,
                      input_names=["input"], output_names=["embedding"], do_constant_folding=True)
    drop_identities(path)
    print(f"cnn_probe: wrote {path}")


def embed(a):
    """tokens.npz (extract.py's layout) of a trained front-end's embeddings, computed here from the
    cached log-mel instead of colive-extract --backbone (same patches and token times; the C++ path
    differs only by its resampler, ~0.2 % of the embedding scale on a real clip)."""
    import torch
    torch.set_num_threads(a.threads)
    ck = torch.load(a.model)
    model = build(torch, width=tuple(int(v) for v in a.width.split(",")), emb=a.emb, norm=a.norm, double=a.double)
    model.load_state_dict(ck)
    model.eval()
    Xs, ys, times, since, offsets, splits, names = [], [], [], [], [0], [], []
    for d in a.data:
        clips, labels, spl, nm = load(cache(d))
        for c, y, s, n in zip(clips, labels, spl, nm):
            with torch.no_grad():
                e = model.front(torch.from_numpy(patches(c))[:, None]).numpy()
            t = (PATCH - 1) * 0.01 + 0.025 + HOP * 0.01 * np.arange(len(e))
            Xs.append(e); ys.append(np.full(len(e), y)); times.append(t); since.append(t.astype(np.float32))
            offsets.append(offsets[-1] + len(e)); splits.append(s); names.append(f"{os.path.basename(d)}-{n}")
    np.savez(a.out_tokens, X=np.concatenate(Xs).astype(np.float32), y=np.concatenate(ys).astype(np.int64),
             since=np.concatenate(since), times=np.concatenate(times), offsets=np.array(offsets, np.int64),
             split=np.array(splits), names=np.array(names), classes=np.array(GENRES), feature_id=np.array(f"onnx:{a.name}"))
    print(f"cnn_probe: {len(names)} clips, {offsets[-1]} tokens -> {a.out_tokens}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cache")
    c.add_argument("dirs", nargs="+")
    t = sub.add_parser("train")
    t.add_argument("--data", nargs="+", required=True)
    t.add_argument("--real", required=True)
    t.add_argument("--seed", type=int, default=7)
    t.add_argument("--steps", type=int, default=3000)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--lr", type=float, default=3e-3)
    t.add_argument("--mixup", type=float, default=0.4)
    t.add_argument("--aug", type=float, default=1.0)
    t.add_argument("--smooth", type=float, default=0.1)
    t.add_argument("--norm", default="none", choices=["none", "band"])
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--width", default="8,16,32,64")
    t.add_argument("--emb", type=int, default=96)
    t.add_argument("--double", action="store_true", help="two convolutions per block")
    t.add_argument("--out")
    t.add_argument("--export")
    e = sub.add_parser("embed")
    e.add_argument("--data", nargs="+", required=True)
    e.add_argument("--model", required=True)
    e.add_argument("--out-tokens", required=True)
    e.add_argument("--name", required=True, help="backbone name (feature id onnx:NAME)")
    for p in (e,):
        p.add_argument("--norm", default="none", choices=["none", "band"])
        p.add_argument("--width", default="8,16,32,64")
        p.add_argument("--emb", type=int, default=96)
        p.add_argument("--double", action="store_true")
        p.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    if a.cmd == "embed":
        embed(a)
    elif a.cmd == "cache":
        for d in a.dirs:
            print(cache(d))
    else:
        train(a)


if __name__ == "__main__":
    main()
