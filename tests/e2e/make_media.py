#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generates the small media the e2e tests use when they should not depend on the bundled clips:
clip.avi (MJPG, 8 s, a square moving left/right/up, 25 fps) and segs.wav (12 s: tone, noise, high
tone, square wave; 44.1 kHz mono).   make_media.py OUT_DIR"""
import os
import subprocess
import sys

import cv2
import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
w = cv2.VideoWriter(os.path.join(out, "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 25, (320, 240))
for i in range(200):
    f = np.full((240, 320, 3), 35, np.uint8)
    phase = i // 50
    x = [20 + 5 * (i % 50), 270 - 5 * (i % 50), 150, 150][phase]
    y = [100, 100, 200 - 3 * (i % 50), 100][phase]
    cv2.rectangle(f, (x, y), (x + 30, y + 30), (0, 200, 255), -1)
    w.write(f)
w.release()
segs = []
for j, synth in enumerate([["sine", "300"], ["pinknoise"], ["sine", "2500"], ["square", "150"]]):
    p = os.path.join(out, f"seg{j}.wav")
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "1", p, "synth", "3"] + synth + ["vol", "0.4"], check=True)
    segs.append(p)
subprocess.run(["sox"] + segs + [os.path.join(out, "segs.wav")], check=True)
for p in segs:
    os.remove(p)
