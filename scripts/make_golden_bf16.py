#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Golden data for 16-bit model files (tests/golden/bf16/), computed by plain PyTorch.

Run:  /usr/bin/python3 scripts/make_golden_bf16.py [--out tests/golden/bf16]

Each case is a torch model (input Linear, recycling PE, nn.TransformerEncoder, final LayerNorm,
head Linear) whose parameters are rounded to bfloat16 (or float16) in torch, exported with
export_model(..., dtype="BF16"/"F16") -- so the file holds exactly the weights torch computes
with -- and a token stream. The expected outputs are torch's nn.TransformerEncoder in float64
on every full window with those rounded weights (export_model.reference_outputs, which rebuilds
the torch modules from the file). torch's own float32 run with the same weights is recorded as
a scale for the tolerance. Widths are chosen so that the engine's bf16 GEMV kernels see rows of
64..128 columns, with and without a 32-column tail (d_in = 80).

Files per case: <case>.safetensors, <case>.tokens.npy, <case>.probs.npy, <case>.encoded.npy
(warm-up rows NaN), and index.json with the config and torch's float32 error.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_model import export_model, load_safetensors, reference_outputs  # noqa: E402

CASES = [
    # name, dtype, blocks, activation, seed[, pre-norm]
    ("bf16_b1_gelu", "BF16", 1, "gelu", 11),
    ("bf16_b2_relu", "BF16", 2, "relu", 12),
    ("f16_b1_gelu", "F16", 1, "gelu", 13),
    ("bf16_pre_b2_gelu", "BF16", 2, "gelu", 14, True),
]
D_IN, D, HEADS, D_FF, WINDOW, PE_ROWS, CLASSES, STEPS = 80, 64, 4, 128, 10, 13, 5, 40


def rounded_(module, dtype):
    tdt = torch.bfloat16 if dtype == "BF16" else torch.float16
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.to(tdt).to(torch.float32))


def make_case(out_dir, name, dtype, blocks, act, seed, norm_first=False):
    torch.manual_seed(seed)
    layer = nn.TransformerEncoderLayer(D, HEADS, D_FF, dropout=0.0, activation=act, batch_first=True,
                                       norm_first=norm_first)
    enc = nn.TransformerEncoder(layer, blocks, enable_nested_tensor=False)
    inp, norm, head = nn.Linear(D_IN, D), nn.LayerNorm(D), nn.Linear(D, CLASSES)
    pe = nn.Embedding(PE_ROWS, D)
    with torch.no_grad():
        pe.weight.mul_(0.1)
        norm.weight.add_(torch.randn(D) * 0.1)   # not the trivial init
        norm.bias.add_(torch.randn(D) * 0.1)
    mods = [enc, inp, norm, head, pe]
    for m in mods:
        rounded_(m, dtype)
    path = os.path.join(out_dir, name + ".safetensors")
    cfg = export_model(path, enc, input_proj=inp, pe_table=pe, final_norm=norm, head=head,
                       config={"window": WINDOW, "name": name, "classes": [f"c{i}" for i in range(CLASSES)]},
                       dtype=dtype)
    # The file must hold exactly the rounded weights torch computes with.
    t, _ = load_safetensors(path)
    sd = dict(enc.state_dict())
    for k, v in sd.items():
        if k in t:
            assert np.array_equal(t[k], v.numpy()), k
    assert np.array_equal(t["input_proj.weight"], inp.weight.detach().numpy())
    assert np.array_equal(t["head.weight"], head.weight.detach().numpy())
    assert np.array_equal(t["pe.weight"], pe.weight.detach().numpy())

    g = torch.Generator().manual_seed(seed + 100)
    tokens = (torch.randn(STEPS, D_IN, generator=g) * 1.5).to(torch.float32).numpy()
    ref64 = reference_outputs(path, tokens, dtype=torch.float64)
    ref32 = reference_outputs(path, tokens, dtype=torch.float32)
    m = ~np.isnan(ref64["encoded"][:, 0])
    err_enc = float(np.abs(ref32["encoded"][m] - ref64["encoded"][m]).max())
    err_prob = float(np.abs(ref32["probs"][m] - ref64["probs"][m]).max())
    np.save(os.path.join(out_dir, name + ".tokens.npy"), tokens.astype(np.float32))
    np.save(os.path.join(out_dir, name + ".probs.npy"), ref64["probs"].astype(np.float32))
    np.save(os.path.join(out_dir, name + ".encoded.npy"), ref64["encoded"].astype(np.float32))
    print(f"{name}: {dtype}, {blocks} block(s), torch float32 vs float64: encoded {err_enc:.2e}, probs {err_prob:.2e}")
    return {"name": name, "dtype": dtype, "blocks": blocks, "activation": act, "window": WINDOW, "d_in": D_IN,
            "d_model": D, "heads": HEADS, "d_ff": D_FF, "classes": CLASSES, "steps": STEPS,
            "torch_f32_err_encoded": err_enc, "torch_f32_err_probs": err_prob, "config": cfg}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "golden", "bf16"))
    ap.add_argument("--only", metavar="CASE", action="append",
                    help="regenerate only this case (repeatable; the others stay as they are in index.json)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    if a.only:
        with open(os.path.join(a.out, "index.json")) as f:
            old = {c["name"]: c for c in json.load(f)["cases"]}
        index = [make_case(a.out, *c) if c[0] in a.only else old[c[0]] for c in CASES]
    else:
        index = [make_case(a.out, *c) for c in CASES]
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump({"generator": "scripts/make_golden_bf16.py", "torch": torch.__version__, "cases": index}, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
