#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Golden data for the engine tests (tests/golden/engine/), computed by plain PyTorch.

Run:  /usr/bin/python3 scripts/make_golden.py [--out tests/golden/engine]

For every case, the expected outputs come from torch.nn.TransformerEncoder (float64) applied to
every full window of the token stream (input Linear + recycling PE phase of each token, then the
encoder, final LayerNorm, head Linear, softmax), stored as float32 .npy. Warm-up rows are NaN.

Two kinds of model:
  - tiny models: real torch modules (random init, fixed seeds) written with export_model.py as
    committed .safetensors files (exercising nn.TransformerEncoder with batch_first True/False and
    a state_dict with the `co` library's key names);
  - larger presets (GTZAN-like d=192/16 heads/n=120, OadTR-like d=1024/8 heads/n=64) would be
    megabytes of weights, so they are committed as a *recipe*: every weight is
    offset + scale * u(seed, i), u from splitmix64 (24-bit uniform in [-1, 1)), scale a power of
    two, so that C++ regenerates the identical float32 file bit for bit (tests/core/golden_util.cpp).

Pre-norm cases (prefix "pre_", nn.TransformerEncoderLayer(norm_first=True) with the encoder's own
final LayerNorm): tiny real modules at odd sizes (d = 21, 3 heads of width 7, d_ff 34, n = 7) for
1, 2 and 3 blocks, ReLU and GELU, tokens x1/x10/x50, and recipes at d = 140 (20 heads of width 7).
`--only prenorm` regenerates just those (keeping the others in index.json).

index.json lists every case: model, tokens, outputs, and torch's own float32 error for reference.
"""

import argparse
import json
import os
import sys
import tempfile

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_model import LAYER_KEYS, export_model, reference_outputs, save_safetensors  # noqa: E402

MASK64 = (1 << 64) - 1


def splitmix64(x):
    """Vectorised splitmix64 over a uint64 numpy array."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def uniform(seed, count):
    idx = (np.uint64(seed) << np.uint64(32)) + np.arange(count, dtype=np.uint64)
    k = (splitmix64(idx) >> np.uint64(40)).astype(np.int64)  # 24 bits
    return (k.astype(np.float32) / np.float32(1 << 23)) - np.float32(1.0)  # exact in float32


def pow2_scale(x):
    return float(2.0 ** round(np.log2(x)))


def recipe_tensors(cfg, seed):
    """(name, shape, scale, offset) for every tensor, in file order."""
    d, f, din, C = cfg["d_model"], cfg["d_ff"], cfg["d_in"], len(cfg["classes"])
    t = []
    lin = lambda fan_in: pow2_scale((3.0 / fan_in) ** 0.5)  # noqa: E731
    if cfg["input_proj"]:
        t += [("input_proj.weight", [d, din], lin(din), 0.0), ("input_proj.bias", [d], 1 / 16, 0.0)]
    if cfg["pe_rows"]:
        t += [("pe.weight", [cfg["pe_rows"], d], 1 / 8, 0.0)]
    for i in range(cfg["blocks"]):
        p = f"layers.{i}."
        t += [(p + "self_attn.in_proj_weight", [3 * d, d], lin(d), 0.0)]
        if cfg["in_proj_bias"]:
            t += [(p + "self_attn.in_proj_bias", [3 * d], 1 / 16, 0.0)]
        t += [(p + "self_attn.out_proj.weight", [d, d], lin(d), 0.0)]
        if cfg["in_proj_bias"]:
            t += [(p + "self_attn.out_proj.bias", [d], 1 / 16, 0.0)]
        t += [(p + "linear1.weight", [f, d], lin(d), 0.0), (p + "linear1.bias", [f], 1 / 16, 0.0),
              (p + "linear2.weight", [d, f], lin(f), 0.0), (p + "linear2.bias", [d], 1 / 16, 0.0),
              (p + "norm1.weight", [d], 1 / 8, 1.0), (p + "norm1.bias", [d], 1 / 16, 0.0),
              (p + "norm2.weight", [d], 1 / 8, 1.0), (p + "norm2.bias", [d], 1 / 16, 0.0)]
    if cfg["final_norm"]:
        t += [("norm.weight", [d], 1 / 8, 1.0), ("norm.bias", [d], 1 / 16, 0.0)]
    if C:
        t += [("head.weight", [C, d], lin(d), 0.0), ("head.bias", [C], 1 / 16, 0.0)]
    return [{"name": n, "shape": s, "scale": sc, "offset": o, "seed": seed * 1000 + k}
            for k, (n, s, sc, o) in enumerate(t)]


def write_recipe_model(path, recipe):
    tensors = {}
    for r in recipe["tensors"]:
        cnt = int(np.prod(r["shape"]))
        v = np.float32(r["offset"]) + np.float32(r["scale"]) * uniform(r["seed"], cnt)
        tensors[r["name"]] = v.astype(np.float32).reshape(r["shape"])
    save_safetensors(path, tensors, {"colive": json.dumps(recipe["config"])})


def recipe_model(out, tmp, cfg, seed):
    """Writes <name>.recipe.json into `out` and the model it describes into `tmp`; returns its path."""
    recipe = {"config": cfg, "tensors": recipe_tensors(cfg, seed)}
    with open(os.path.join(out, cfg["name"] + ".recipe.json"), "w") as fh:
        json.dump(recipe, fh, indent=0)
    mp = os.path.join(tmp, cfg["name"] + ".safetensors")
    write_recipe_model(mp, recipe)
    return mp


def config(name, d_in, d, h, f, n, blocks, act, classes, pe_rows, in_proj_bias=True, norm_first=False):
    c = {"name": name, "modality": "", "features": "", "d_in": d_in, "d_model": d, "heads": h, "d_ff": f,
         "window": n, "blocks": blocks, "pe_rows": pe_rows, "activation": act, "ln_eps": 1e-5,
         "in_proj_bias": in_proj_bias, "final_norm": True, "token_rate_hz": 0.0, "input_proj": True,
         "classes": [f"c{i}" for i in range(classes)]}
    if norm_first:
        c["norm_first"] = True
    return c


def tiny_model(path, blocks, act, seed, style):
    """Real torch modules exported with export_model.py. style: batch_first | seq_first | co_state_dict."""
    torch.manual_seed(seed)
    d, h, f, n, din, C = 16, 4, 32, 8, 10, 5
    layer = nn.TransformerEncoderLayer(d, h, f, dropout=0.0, activation=act, batch_first=(style != "seq_first"))
    enc = nn.TransformerEncoder(layer, blocks, enable_nested_tensor=False)
    for p in enc.parameters():  # non-trivial LayerNorm affine and biases
        if p.dim() == 1:
            with torch.no_grad():
                p.add_(0.1 * torch.randn_like(p))
    inp, norm, head = nn.Linear(din, d), nn.LayerNorm(d), nn.Linear(d, C)
    with torch.no_grad():
        norm.weight.add_(0.1 * torch.randn(d))
    pe = 0.2 * torch.randn(2 * n - 1, d)
    cfg = {"window": n, "classes": [f"c{i}" for i in range(C)], "name": os.path.basename(path)}
    mods = {"encoder": enc, "input_proj": inp, "pe": pe, "norm": norm, "head": head,
            "batch_first": style != "seq_first", "window": n}
    if style == "co_state_dict":
        # Rename to the key layout of a co.TransformerEncoder (as build_from produces).
        sd = {}
        for i in range(blocks):
            for k, v in enc.layers[i].state_dict().items():
                if k.startswith("self_attn."):
                    sd[f"layers.layers.{i}.0.{k}"] = v
                elif k.startswith("norm"):
                    sd[f"layers.layers.{i}.1.fn.{k}"] = v
                else:
                    sd[f"layers.layers.{i}.1.fn._ff_block.fn.{k}"] = v
        cfg.update({"heads": h, "activation": act})
        export_model(path, sd, input_proj=inp, pe_table=pe, final_norm=norm, head=head, config=cfg)
    else:
        export_model(path, enc, input_proj=inp, pe_table=pe, final_norm=norm, head=head, config=cfg)
    return mods


def prenorm_tiny_model(path, blocks, act, seed, batch_first, final_norm=True, sharp=1.0):
    """A pre-norm nn.TransformerEncoder at odd sizes (d = 21, 3 heads of width 7), the final LayerNorm
    inside the encoder (its `norm`), exported with export_model.py. `sharp` scales LN1's gain (and so
    the attention scores) to make the attention nearly one-hot."""
    torch.manual_seed(seed)
    d, h, f, n, din, C = 21, 3, 34, 7, 10, 5
    layer = nn.TransformerEncoderLayer(d, h, f, dropout=0.0, activation=act, batch_first=batch_first, norm_first=True)
    enc = nn.TransformerEncoder(layer, blocks, norm=nn.LayerNorm(d) if final_norm else None,
                                enable_nested_tensor=False)
    with torch.no_grad():
        for p in enc.parameters():  # non-trivial LayerNorm affine and biases
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
        for l in enc.layers:
            l.norm1.weight.mul_(sharp)
    inp, head = nn.Linear(din, d), nn.Linear(d, C)
    pe = 0.2 * torch.randn(2 * n - 1, d)
    cfg = {"window": n, "classes": [f"c{i}" for i in range(C)], "name": os.path.basename(path)}
    export_model(path, enc, input_proj=inp, pe_table=pe, head=head, config=cfg)
    return {"encoder": enc, "input_proj": inp, "pe": pe, "norm": None, "head": head, "batch_first": batch_first,
            "window": n}


@torch.no_grad()
def module_reference(mods, tokens, retro_steps=()):
    """The same outputs as export_model.reference_outputs, but from the original torch modules
    (float64 copies), independent of the exported file. `encoded` is the last layer's output; the
    probabilities come from the whole encoder (with its own norm, if any), then mods["norm"] and the head."""
    import copy
    enc = copy.deepcopy(mods["encoder"]).double().eval()
    inp = copy.deepcopy(mods["input_proj"]).double()
    norm = copy.deepcopy(mods["norm"]).double() if mods["norm"] is not None else (lambda z: z)
    head = copy.deepcopy(mods["head"]).double()
    pe = mods["pe"].double()
    n, bf = mods["window"], mods["batch_first"]
    x = torch.as_tensor(np.asarray(tokens), dtype=torch.float64)
    T = x.shape[0]
    emb = inp(x) + pe[torch.arange(T) % pe.shape[0]]
    C, d = head.out_features, emb.shape[1]
    out = {"probs": np.full((T, C), np.nan), "encoded": np.full((T, d), np.nan)}
    rows = []

    def run(module, win):
        return module(win.unsqueeze(0))[0] if bf else module(win.unsqueeze(1))[:, 0]

    for s in range(n - 1, T):
        win = emb[s - n + 1 : s + 1]
        y = run(enc, win)[-1]
        if enc.norm is not None:
            h = win
            for layer in enc.layers:
                h = run(layer, h)
            out["encoded"][s] = h[-1].numpy()
        else:
            out["encoded"][s] = y.numpy()
        out["probs"][s] = torch.softmax(head(norm(y)), -1).numpy()
        if s in retro_steps:
            rows.append(run(enc.layers[0], win).numpy())
    if retro_steps:
        out["block0"] = np.stack(rows)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "engine"))
    ap.add_argument("--only", choices=["tiny", "prenorm"],
                    help="regenerate only the tiny or the pre-norm cases (keeps the others in index.json)")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    cases = []

    def save(name, arr):
        np.save(os.path.join(out, name), np.asarray(arr, np.float32))
        return name

    def run_case(case, model_path, tokens, scale, retro_steps=(), mods=None):
        ref = reference_outputs(model_path, tokens * scale, torch.float64, retro_rows=False)
        if mods is not None:
            # Golden from the original modules; the exported file must reproduce them (export check).
            direct = module_reference(mods, tokens * scale, retro_steps)
            m = ~np.isnan(direct["encoded"][:, 0])
            fidelity = float(np.abs(direct["encoded"][m] - ref["encoded"][m]).max())
            assert fidelity < 1e-5, f"{case['name']}: exported file differs from the torch modules by {fidelity}"
            case["export_fidelity"] = fidelity
            ref = direct
        ref32 = reference_outputs(model_path, tokens * scale, torch.float32)
        m = ~np.isnan(ref["encoded"][:, 0])
        err32 = float(np.nanmax(np.abs(ref32["encoded"][m] - ref["encoded"][m]))) if m.any() else 0.0
        perr32 = float(np.nanmax(np.abs(ref32["probs"][m] - ref["probs"][m]))) if m.any() else 0.0
        case["scale"] = scale
        case["probs"] = save(case["name"] + ".probs.npy", ref["probs"])
        case["encoded"] = save(case["name"] + ".encoded.npy", ref["encoded"])
        case["torch_f32_err_encoded"] = err32
        case["torch_f32_err_probs"] = perr32
        if retro_steps and "block0" in ref:
            case["block0_steps"] = list(retro_steps)
            case["block0"] = save(case["name"] + ".block0.npy", ref["block0"])
        elif retro_steps:
            rows = []
            from export_model import build_torch_model
            parts = build_torch_model(model_path, torch.float64)
            t = parts["tensors"]
            c = parts["config"]
            x = torch.as_tensor(tokens * scale, dtype=torch.float64)
            emb = x @ t["input_proj.weight"].T + t["input_proj.bias"]
            if c["pe_rows"]:
                emb = emb + t["pe.weight"][torch.arange(x.shape[0]) % c["pe_rows"]]
            n = c["window"]
            with torch.no_grad():
                for s in retro_steps:
                    rows.append(parts["encoder"].layers[0](emb[s - n + 1 : s + 1].unsqueeze(0))[0].numpy())
            case["block0_steps"] = list(retro_steps)
            case["block0"] = save(case["name"] + ".block0.npy", np.stack(rows))
        cases.append(case)
        print(f"{case['name']:28s} torch-f32 err {err32:.2e}", flush=True)

    def keep_others_and_write(prefix, what):
        with open(os.path.join(out, "index.json")) as fh:
            old_cases = json.load(fh)["cases"]
        kept = [c for c in old_cases if not c["name"].startswith(prefix)]
        with open(os.path.join(out, "index.json"), "w") as fh:
            json.dump({"generator": "scripts/make_golden.py", "torch": torch.__version__, "cases": kept + cases}, fh,
                      indent=1)
        print(f"rewrote the {what} cases in {out}")

    if a.only == "prenorm":
        prenorm_cases(out, save, run_case)
        keep_others_and_write("pre_", "pre-norm")
        return

    rng = np.random.default_rng(1234)
    # ---- tiny: exported torch modules ------------------------------------------------------
    tiny_tokens = rng.standard_normal((40, 10)).astype(np.float32)
    save("tiny.tokens.npy", tiny_tokens)
    styles = {1: "batch_first", 2: "seq_first", 3: "co_state_dict"}
    for blocks in (1, 2, 3):
        for act in ("gelu", "relu"):
            name = f"tiny_b{blocks}_{act}"
            mp = os.path.join(out, name + ".safetensors")
            mods = tiny_model(mp, blocks, act, seed=10 * blocks + (act == "relu"), style=styles[blocks])
            for scale, suffix in ((1.0, ""), (10.0, "_x10"), (50.0, "_x50")):
                if scale != 1.0 and act == "relu" and blocks != 2:
                    continue
                run_case({"name": name + suffix, "model": name + ".safetensors", "tokens": "tiny.tokens.npy",
                          "window": 8, "blocks": blocks},
                         mp, tiny_tokens, scale, retro_steps=(7, 20, 39) if (blocks >= 2 and scale == 1.0) else (),
                         mods=mods)
    if a.only == "tiny":
        keep_others_and_write("tiny", "tiny")
        return

    # ---- GTZAN-like and OadTR-like: recipes -------------------------------------------------
    tmp = tempfile.mkdtemp()
    gtz_tokens = rng.standard_normal((370, 128)).astype(np.float32)
    save("gtzan.tokens.npy", gtz_tokens)
    for blocks, act, T, scales in ((1, "gelu", 370, (1.0, 10.0, 50.0)), (2, "gelu", 370, (1.0, 10.0, 50.0)),
                                   (3, "relu", 370, (1.0,))):
        name = f"gtzan_b{blocks}_{act}"
        mp = recipe_model(out, tmp, config(name, 128, 192, 16, 192, 120, blocks, act, 10, 192), seed=100 + blocks)
        for scale in scales:
            suffix = "" if scale == 1.0 else f"_x{int(scale)}"
            toks = gtz_tokens[:T] if scale == 1.0 else gtz_tokens[:250]
            run_case({"name": name + suffix, "recipe": name + ".recipe.json", "tokens": "gtzan.tokens.npy",
                      "steps": int(toks.shape[0]), "window": 120, "blocks": blocks},
                     mp, toks, scale, retro_steps=(119, 250, 369) if (blocks >= 2 and scale == 1.0) else ())

    oad_tokens = rng.standard_normal((70, 256)).astype(np.float32)
    save("oadtr.tokens.npy", oad_tokens)
    for blocks in (1, 2):
        name = f"oadtr_b{blocks}_gelu"
        mp = recipe_model(out, tmp, config(name, 256, 1024, 8, 1024, 64, blocks, "gelu", 22, 127, in_proj_bias=False),
                          seed=200 + blocks)
        run_case({"name": name, "recipe": name + ".recipe.json", "tokens": "oadtr.tokens.npy", "steps": 70,
                  "window": 64, "blocks": blocks}, mp, oad_tokens, 1.0,
                 retro_steps=(69,) if blocks >= 2 else ())

    prenorm_cases(out, save, run_case)

    with open(os.path.join(out, "index.json"), "w") as fh:
        json.dump({"generator": "scripts/make_golden.py", "torch": torch.__version__, "cases": cases}, fh, indent=1)
    total = sum(os.path.getsize(os.path.join(out, x)) for x in os.listdir(out))
    print(f"wrote {len(cases)} cases, {total / 1e6:.2f} MB in {out}")


def prenorm_cases(out, save, run_case):
    """Pre-norm golden cases (names start with "pre_")."""
    rng = np.random.default_rng(4321)
    tokens = rng.standard_normal((48, 10)).astype(np.float32)
    save("pre.tokens.npy", tokens)
    n = 7
    layouts = {1: True, 2: False, 3: True}  # batch_first per depth (seq-first exercised at 2 blocks)
    for blocks in (1, 2, 3):
        for act in ("gelu", "relu"):
            name = f"pre_b{blocks}_{act}"
            final_norm = not (blocks == 2 and act == "relu")  # one encoder without a final norm
            mp = os.path.join(out, name + ".safetensors")
            mods = prenorm_tiny_model(mp, blocks, act, seed=50 + 10 * blocks + (act == "relu"),
                                      batch_first=layouts[blocks], final_norm=final_norm)
            for scale in (1.0, 10.0, 50.0):
                if scale != 1.0 and act == "relu":
                    continue
                suffix = "" if scale == 1.0 else f"_x{int(scale)}"
                run_case({"name": name + suffix, "model": name + ".safetensors", "tokens": "pre.tokens.npy",
                          "window": n, "blocks": blocks, "expect_recomputes": False},
                         mp, tokens, scale, retro_steps=(n - 1, 20, 47) if (blocks >= 2 and scale == 1.0) else (),
                         mods=mods)
    # Pre-norm attention does not sharpen with the token scale (LN1 removes it), so the x50 streams
    # above need no recomputes. Nearly one-hot attention (LN1 gain x6): the leaving key dominates
    # rows of the retroactive block, whose exact-recompute guard must then fire, at any token scale.
    name = "pre_b2_gelu_sharp"
    mp = os.path.join(out, name + ".safetensors")
    mods = prenorm_tiny_model(mp, 2, "gelu", seed=77, batch_first=True, sharp=6.0)
    for scale in (1.0, 50.0):
        suffix = "" if scale == 1.0 else "_x50"
        case = {"name": name + suffix, "model": name + ".safetensors", "tokens": "pre.tokens.npy", "window": n,
                "blocks": 2, "expect_recomputes": True}
        run_case(case, mp, tokens, scale, retro_steps=(n - 1, 47) if scale == 1.0 else (), mods=mods)

    # Recipes at d = 140 (not a multiple of 8), 20 heads of width 7, n = 40, streams of > 3 windows.
    tmp = tempfile.mkdtemp()
    mid_tokens = rng.standard_normal((130, 64)).astype(np.float32)
    save("pre_mid.tokens.npy", mid_tokens)
    for blocks, act, scales in ((2, "gelu", (1.0, 10.0)), (3, "relu", (1.0,))):
        name = f"pre_mid_b{blocks}_{act}"
        mp = recipe_model(out, tmp, config(name, 64, 140, 20, 150, 40, blocks, act, 6, 79, norm_first=True),
                          seed=300 + blocks)
        for scale in scales:
            suffix = "" if scale == 1.0 else f"_x{int(scale)}"
            run_case({"name": name + suffix, "recipe": name + ".recipe.json", "tokens": "pre_mid.tokens.npy",
                      "steps": 130, "window": 40, "blocks": blocks, "expect_recomputes": False},
                     mp, mid_tokens, scale, retro_steps=(39, 129) if scale == 1.0 else ())


if __name__ == "__main__":
    main()
