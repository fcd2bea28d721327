#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Times PyTorch's regular nn.TransformerEncoder on the bench presets (what colive-bench --torch runs).

For each preset and depth: a (1, n, d) window is pushed through nn.TransformerEncoder (eval,
no_grad, dropout 0, GELU, batch_first) once per "step", as a regular transformer does for every
new token. Prints CSV lines:  preset,depth,median_ms,p95_ms,steps
Run:  /usr/bin/python3 scripts/bench_torch.py [--threads 1] [--presets tiny,gtzan,oadtr] [--depths 1,2]
"""

import argparse
import sys
import time

import numpy as np
import torch
from torch import nn

PRESETS = {  # d, heads, d_ff, n   (same as colive-bench)
    "tiny": (16, 4, 32, 8),
    "gtzan": (192, 16, 192, 120),
    "oadtr": (1024, 8, 1024, 64),
}


def bench(d, h, f, n, depth, budget_s, min_steps, max_steps):
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(d, h, f, dropout=0.0, activation="gelu", batch_first=True)
    enc = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False).eval()
    x = torch.randn(1, n, d)
    times = []
    with torch.no_grad():
        for _ in range(3):
            enc(x)
        start = time.perf_counter()
        while len(times) < max_steps and (len(times) < min_steps or time.perf_counter() - start < budget_s):
            t0 = time.perf_counter()
            enc(x)
            times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times)), float(np.percentile(times, 95)), len(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--presets", default="tiny,gtzan,oadtr")
    ap.add_argument("--depths", default="1,2")
    ap.add_argument("--budget", type=float, default=2.0, help="seconds per preset/depth")
    ap.add_argument("--min-steps", type=int, default=20)
    ap.add_argument("--max-steps", type=int, default=2000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} thread(s)", flush=True)
    for p in a.presets.split(","):
        if p not in PRESETS:
            print(f"unknown preset {p}", file=sys.stderr)
            return 2
        for depth in (int(x) for x in a.depths.split(",")):
            med, p95, steps = bench(*PRESETS[p], depth, a.budget, a.min_steps, a.max_steps)
            print(f"{p},{depth},{med:.4f},{p95:.4f},{steps}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
