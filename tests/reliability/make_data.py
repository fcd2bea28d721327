#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes the small model files the reliability tests use (deterministic; commit the output).
Pipeline tests write their models at run time instead (rel_util.cpp write_model), so that d_in
follows whatever width the feature extractors give.

  data/rel_tiny.safetensors       d_in 6, d 8, 2 heads, 2 blocks, window 5, PE 7 rows, 3 classes
  data/rel_tiny.tensors.txt      its tensor names and shapes, listed from the PyTorch modules
                                  (the oracle for "the error names the tensor"), with the byte
                                  offset of each tensor's data in the file
  data/rel_tiny1.safetensors, data/rel_tiny3.safetensors   the same with 1 and 3 blocks (ReLU)
  data/rel_video.safetensors      d_in 88, d 16, window 8, 4 classes (a wider engine-only model)
  data/rel_window_bomb.safetensors  d 8 but window 65536: a 3 kB file whose regular-mode stream
                                  would need an n x n score matrix (16 GiB)

Usage: /usr/bin/python3 tests/reliability/make_data.py
"""
import json
import os
import struct
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from export_model import export_model  # noqa: E402

DATA = os.path.join(HERE, "data")


def build(path, d_in, d, heads, d_ff, window, blocks, pe_rows, classes, seed, modality="", features="", rate=0.0,
          activation="gelu"):
    torch.manual_seed(seed)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, heads, d_ff, dropout=0.0, activation=activation,
                                                           batch_first=True), blocks)
    proj = nn.Linear(d_in, d)
    pe = torch.randn(pe_rows, d) * 0.1 if pe_rows else None
    norm = nn.LayerNorm(d)
    head = nn.Linear(d, len(classes))
    export_model(path, enc, input_proj=proj, pe_table=pe, final_norm=norm, head=head,
                 config={"window": window, "classes": classes, "name": os.path.basename(path).split(".")[0],
                         "modality": modality, "features": features, "token_rate_hz": rate})
    # Tensor list from the modules themselves (PyTorch naming), not from the written file.
    tensors = [("input_proj." + k, list(v.shape)) for k, v in proj.state_dict().items()]
    if pe is not None:
        tensors.append(("pe.weight", list(pe.shape)))
    for i, layer in enumerate(enc.layers):
        tensors += [("layers.%d.%s" % (i, k), list(v.shape)) for k, v in layer.state_dict().items()]
    tensors += [("norm." + k, list(v.shape)) for k, v in norm.state_dict().items()]
    tensors += [("head." + k, list(v.shape)) for k, v in head.state_dict().items()]
    return tensors


def main():
    os.makedirs(DATA, exist_ok=True)
    t = build(os.path.join(DATA, "rel_tiny.safetensors"), 6, 8, 2, 12, 5, 2, 7, ["a", "b", "c"], 11)
    with open(os.path.join(DATA, "rel_tiny.safetensors"), "rb") as f:
        blob = f.read()
    hlen = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + hlen])
    out = []
    for n, shp in t:
        b, e = header[n]["data_offsets"]
        count = 1
        for x in shp:
            count *= x
        assert e - b == 4 * count, n
        out.append({"name": n, "shape": shp, "file_offset": 8 + hlen + b, "count": count})
    with open(os.path.join(DATA, "rel_tiny.tensors.txt"), "w") as f:
        f.write("# name file_offset count shape (from the PyTorch modules; make_data.py)\n")
        for o in out:
            f.write("%s %d %d %s\n" % (o["name"], o["file_offset"], o["count"], "x".join(map(str, o["shape"]))))
    build(os.path.join(DATA, "rel_tiny1.safetensors"), 6, 8, 2, 12, 4, 1, 5, ["a", "b", "c"], 16, activation="relu")
    build(os.path.join(DATA, "rel_tiny3.safetensors"), 6, 8, 2, 12, 6, 3, 9, ["a", "b", "c", "d"], 17,
          activation="relu")
    build(os.path.join(DATA, "rel_video.safetensors"), 88, 16, 2, 32, 8, 2, 16, ["w", "x", "y", "z"], 12,
          "", "", 10.0)
    build(os.path.join(DATA, "rel_window_bomb.safetensors"), 4, 8, 2, 8, 65536, 1, 0, ["a", "b"], 15)
    for f in sorted(os.listdir(DATA)):
        print("%-34s %7d bytes" % (f, os.path.getsize(os.path.join(DATA, f))))


if __name__ == "__main__":
    main()
