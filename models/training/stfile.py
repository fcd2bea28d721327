# SPDX-License-Identifier: MIT
"""Reads a CoLive .safetensors model back into PyTorch (independently of the C++ engine), so the
shipped file itself can be evaluated and compared with the engine's output."""
import json
import struct

import numpy as np
import torch
import torch.nn as nn


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hlen])
    meta = header.pop("__metadata__", {})
    cfg = json.loads(meta["colive"]) if "colive" in meta else {}
    data = raw[8 + hlen:]
    tensors = {}
    for name, h in header.items():
        assert h["dtype"] == "F32", name
        a, b = h["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").reshape(h["shape"]).copy())
    return cfg, tensors


class FileModel(nn.Module):
    """The model stored in a CoLive .safetensors file, as plain PyTorch modules."""

    def __init__(self, path):
        super().__init__()
        cfg, t = read_safetensors(path)
        self.cfg = cfg
        d, n = cfg["d_model"], cfg["window"]
        self.n, self.pe_rows = n, cfg["pe_rows"]
        self.input_proj = nn.Linear(cfg["d_in"], d)
        self.input_proj.weight.data, self.input_proj.bias.data = t["input_proj.weight"], t["input_proj.bias"]
        self.pe = t["pe.weight"]
        act = cfg.get("activation", "gelu")
        layer = nn.TransformerEncoderLayer(d, cfg["heads"], cfg["d_ff"], 0.0, activation=act, batch_first=True,
                                           norm_first=bool(cfg.get("norm_first", False)),
                                           layer_norm_eps=cfg.get("ln_eps", 1e-5))
        self.encoder = nn.TransformerEncoder(layer, cfg["blocks"], enable_nested_tensor=False)
        sd = {k[len("layers."):]: v for k, v in t.items() if k.startswith("layers.")}
        self.encoder.layers.load_state_dict(sd, strict=True)
        self.norm = nn.LayerNorm(d, eps=cfg.get("ln_eps", 1e-5))
        self.norm.weight.data, self.norm.bias.data = t["norm.weight"], t["norm.bias"]
        self.head = nn.Linear(d, len(cfg["classes"]))
        self.head.weight.data, self.head.bias.data = t["head.weight"], t["head.bias"]
        self.eval()

    def forward(self, x, phase0):
        h = self.input_proj(x)
        idx = (phase0[:, None] + torch.arange(x.shape[1])[None, :]) % self.pe_rows
        h = h + self.pe[idx]
        return self.head(self.norm(self.encoder(h)[:, -1]))

    @torch.no_grad()
    def stream_logits(self, X):
        """Regular-mode outputs of a stream over tokens X (T, d_in), for steps >= window-1."""
        n, T = self.n, len(X)
        if T < n:
            return np.zeros((0, len(self.cfg["classes"])), np.float32)
        Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
        idx = torch.arange(n - 1, T)[:, None] - (n - 1) + torch.arange(n)[None, :]
        out = []
        for k in range(0, len(idx), 512):
            w = idx[k:k + 512]
            out.append(self(Xt[w], w[:, 0] % self.pe_rows).numpy())
        return np.concatenate(out)
