#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Exports two small PyTorch CNNs to ONNX (torch.onnx.export, opset 12) with CoLive backbone
manifests, plus golden inputs/outputs computed by PyTorch, for tests/features/test_backbone.cpp.

The networks are untrained (fixed seed): they exist to prove that the ONNX backbone path (manifest
parsing, input normalisation, OpenCV DNN 4.6 inference, output layer selection) reproduces PyTorch.

  tiny_audio_cnn.onnx/.json   input [1, 1, 96, 64] log-mel patch -> 32-d embedding ("embedding")
  tiny_frame_cnn.onnx/.json   input [1, 3, 64, 64] RGB frame     -> 24-d embedding ("embedding")
  backbone_audio_input.npy / backbone_audio_output.npy     raw NCHW blob -> torch output
  backbone_audio_patches_output.npy   torch output on the first 3 log-mel patches (hop 25 frames) of
                                      logmel_expected.npy (from scripts/features_reference.py), after
                                      the manifest's normalisation
  backbone_frame_bgr.npy / backbone_frame_output.npy       a 64x64 BGR uint8 frame (stored as float32)
                                      -> torch output after BGR->RGB, /255, mean/std

Usage: /usr/bin/python3 scripts/export_onnx_backbone.py [--out DIR]
(run scripts/features_reference.py first; it writes logmel_expected.npy)
"""
import argparse
import json
import os

import numpy as np
import torch
from torch import nn


class TinyAudioCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(16, 32)

    def forward(self, x):
        return self.fc(self.features(x))


class TinyFrameCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(16, 24)

    def forward(self, x):
        return torch.tanh(self.fc(self.features(x)))


def export(model, shape, path):
    model.eval()
    torch.onnx.export(model, torch.zeros(*shape), path, opset_version=12, input_names=["input"],
                      output_names=["embedding"], do_constant_folding=True)


def randomise_bn(model, g):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "golden", "features"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    torch.manual_seed(1234)

    # Audio backbone on log-mel patches.
    audio = TinyAudioCNN()
    with torch.no_grad():
        randomise_bn(audio, g)
    audio.eval()
    export(audio, (1, 1, 96, 64), os.path.join(a.out, "tiny_audio_cnn.onnx"))
    mean, std = -2.0, 2.5
    with open(os.path.join(a.out, "tiny_audio_cnn.json"), "w") as f:
        json.dump({"name": "tiny-audio-cnn", "onnx": "tiny_audio_cnn.onnx", "input_kind": "logmel",
                   "input_shape": [1, 1, 96, 64], "mean": [mean], "std": [std], "output": "embedding"}, f, indent=2)
    x = torch.randn(1, 1, 96, 64, generator=g)
    with torch.no_grad():
        y = audio(x)
    np.save(os.path.join(a.out, "backbone_audio_input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(a.out, "backbone_audio_output.npy"), y.numpy().astype(np.float32))
    lm = np.load(os.path.join(a.out, "logmel_expected.npy")).astype(np.float32)
    outs = []
    for k in range(3):
        patch = lm[25 * k: 25 * k + 96]
        assert patch.shape == (96, 64)
        inp = torch.from_numpy(((patch - mean) / std).astype(np.float32)).reshape(1, 1, 96, 64)
        with torch.no_grad():
            outs.append(audio(inp).numpy()[0])
    np.save(os.path.join(a.out, "backbone_audio_patches_output.npy"), np.stack(outs).astype(np.float32))

    # Frame backbone.
    frame_net = TinyFrameCNN()
    with torch.no_grad():
        randomise_bn(frame_net, g)
    frame_net.eval()
    export(frame_net, (1, 3, 64, 64), os.path.join(a.out, "tiny_frame_cnn.onnx"))
    fmean, fstd = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    with open(os.path.join(a.out, "tiny_frame_cnn.json"), "w") as f:
        json.dump({"name": "tiny-frame-cnn", "onnx": "tiny_frame_cnn.onnx", "input_kind": "frame",
                   "input_shape": [1, 3, 64, 64], "mean": fmean, "std": fstd, "pixel_scale": 1.0 / 255.0,
                   "color": "rgb", "output": "embedding"}, f, indent=2)
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:64, 0:64]
    bgr = np.stack([(xx * 4) % 256, (yy * 4) % 256, rng.integers(0, 256, (64, 64))], axis=-1).astype(np.uint8)
    rgb = bgr[..., ::-1].astype(np.float32) / 255.0
    inp = (rgb - np.array(fmean, np.float32)) / np.array(fstd, np.float32)
    inp = torch.from_numpy(np.ascontiguousarray(inp.transpose(2, 0, 1))[None].astype(np.float32))
    with torch.no_grad():
        fy = frame_net(inp)
    np.save(os.path.join(a.out, "backbone_frame_bgr.npy"), bgr.astype(np.float32))
    np.save(os.path.join(a.out, "backbone_frame_output.npy"), fy.numpy().astype(np.float32))
    print(f"wrote ONNX backbones and golden outputs to {a.out} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
