#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes the tiny random models the app/ui/e2e tests use (independent of the bundled models).

    /usr/bin/python3 tests/app/make_test_models.py [--video-d-in 88] [--audio-d-in 324]

Weights are seeded random (torch.manual_seed); widths must equal the feature extractors' dim():
video-motion-v1 = 88, audio-logmel-v1 = 324. The classes are made up; the tests only check plumbing
(shapes, regular == continual, exports), never what the model predicts.
"""
import argparse
import os
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from export_model import export_model  # noqa: E402


def make(path, d_in, classes, modality, features, rate, window, seed):
    torch.manual_seed(seed)
    d, heads, d_ff, M = 16, 2, 32, 2 * window
    layers = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(d, heads, d_ff, dropout=0.0, activation="gelu", batch_first=True), 2)
    proj = nn.Linear(d_in, d)
    pe = torch.randn(M, d) * 0.1
    norm = nn.LayerNorm(d)
    head = nn.Linear(d, len(classes))
    export_model(path, layers, input_proj=proj, pe_table=pe, final_norm=norm, head=head,
                 config={"window": window, "classes": classes, "name": os.path.basename(path).split(".")[0],
                         "modality": modality, "features": features, "token_rate_hz": rate,
                         "heads": heads, "activation": "gelu"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--video-d-in", type=int, default=88)
    ap.add_argument("--audio-d-in", type=int, default=324)
    ap.add_argument("--out", default=os.path.join(HERE, "data"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    make(os.path.join(a.out, "tiny_video.safetensors"), a.video_d_in, ["still", "left", "right", "wave"],
         "video", "video-motion-v1", 10.0, 8, 1)
    make(os.path.join(a.out, "tiny_audio.safetensors"), a.audio_d_in, ["quiet", "tone", "noise"],
         "audio", "audio-logmel-v1", 4.0, 6, 2)
    # A video model whose input width matches no feature extractor (error-path tests).
    make(os.path.join(a.out, "tiny_video_d50.safetensors"), 50, ["a", "b"], "video", "video-motion-v1", 10.0, 4, 3)


if __name__ == "__main__":
    main()
