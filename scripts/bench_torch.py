#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Times PyTorch's regular nn.TransformerEncoder on the bench presets (what colive-bench --torch runs).

For each preset and depth: a (1, n, d) window is pushed through nn.TransformerEncoder (eval,
no_grad, dropout 0, GELU, batch_first) once per "step", as a regular transformer does for every
new token. Prints CSV lines:  preset,depth,median_ms,p95_ms,steps,cpu_mean_ms
(cpu = this thread's CPU time per step, which other processes on a busy machine do not inflate)
and, first, '#' lines saying what ran: torch version and threads, the BLAS library actually mapped
into the process (resolved path, OpenBLAS config, core and thread count), and a summary of
torch.__config__.show(). A line '# blas-kind: reference' means netlib's reference BLAS (what
Debian's python3-torch gets through libblas.so.3 when no optimised BLAS is installed): colive-bench
then marks every ratio against it.
Run:  /usr/bin/python3 scripts/bench_torch.py [--threads 1] [--presets tiny,gtzan,oadtr] [--depths 1,2]
"""

import argparse
import ctypes
import os
import sys
import time


def _threads_from_argv(default=1):
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return str(default)


# BLAS thread pools read these when the library loads, i.e. before torch is imported: without them
# a pthread OpenBLAS gives every GEMM all cores even after torch.set_num_threads(1).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = _threads_from_argv()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

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
    cpu = 0.0
    with torch.no_grad():
        for _ in range(3):
            enc(x)
        start = time.perf_counter()
        while len(times) < max_steps and (len(times) < min_steps or time.perf_counter() - start < budget_s):
            c0 = time.thread_time()
            t0 = time.perf_counter()
            enc(x)
            times.append((time.perf_counter() - t0) * 1e3)
            cpu += time.thread_time() - c0
    return float(np.median(times)), float(np.percentile(times, 95)), len(times), cpu * 1e3 / len(times)


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _library_defining(lib, symbol):
    """Resolved path of the library that defines `symbol` as seen from the loaded library `lib`
    (libblas.so.3, which torch's libtorch_cpu is linked against), or None."""
    try:
        addr = ctypes.cast(getattr(ctypes.CDLL(lib), symbol), ctypes.c_void_p).value
        info = _DlInfo()
        dladdr = ctypes.CDLL(None).dladdr
        dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
        if addr and dladdr(addr, ctypes.byref(info)) and info.dli_fname:
            return os.path.realpath(info.dli_fname.decode())
    except (AttributeError, OSError):
        pass
    return None


def blas_report():
    """'#' lines: which BLAS library torch's GEMMs call, and what kind it is."""
    torch.randn(64, 64) @ torch.randn(64, 64)   # make sure the BLAS is loaded and used
    lines = []
    libblas = None
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if os.path.basename(path).startswith("libblas.so"):
                libblas = os.path.realpath(path)
                break
    lines.append(f"# libblas.so.3: {libblas or 'not loaded'}")
    sgemm = _library_defining(libblas, "sgemm_") if libblas else None
    lines.append(f"# sgemm_ from: {sgemm or 'not found (torch uses its own GEMM)'}")
    kind = "unknown"
    low = (sgemm or "").lower()
    if "openblas" in low:
        kind = "openblas"
        try:
            lib = ctypes.CDLL(sgemm)
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lines.append(f"# openblas: {lib.openblas_get_config().decode()}, core {lib.openblas_get_corename().decode()}, "
                         f"{lib.openblas_get_num_threads()} thread(s)")
        except (OSError, AttributeError) as e:
            lines.append(f"# openblas: cannot query ({e})")
    elif "mkl" in low:
        kind = "mkl"
    elif "blis" in low:
        kind = "blis"
    elif "/blas/" in low or os.path.basename(low).startswith("libblas.so"):
        kind = "reference"   # netlib's libblas3 (Debian: /usr/lib/<arch>/blas/libblas.so.3)
    lines.append(f"# blas-kind: {kind}")
    keep = []
    for line in torch.__config__.show().splitlines():
        line = line.strip(" -")
        if line.startswith(("CPU capability", "LAPACK is", "Intel(R) MKL", "OpenMP")):
            keep.append(line)
        if "BLAS_INFO=" in line:
            keep += [x.split(":")[-1].strip() for x in line.split(",") if "BLAS_INFO=" in x or "LAPACK_INFO=" in x]
    lines.append("# torch-config: " + "; ".join(keep))
    return lines


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
    for line in blas_report():
        print(line, flush=True)
    for p in a.presets.split(","):
        if p not in PRESETS:
            print(f"unknown preset {p}", file=sys.stderr)
            return 2
        for depth in (int(x) for x in a.depths.split(",")):
            med, p95, steps, cpu = bench(*PRESETS[p], depth, a.budget, a.min_steps, a.max_steps)
            print(f"{p},{depth},{med:.4f},{p95:.4f},{steps},{cpu:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
