#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generates the synthetic camera-facing gesture video data set for the bundled action model.

Each clip is a rendered "webcam" view: a textured background with a person-like silhouette,
camera shake, sensor noise, lighting changes and a slowly moving distractor object, and one or
two hand shapes that perform a sequence of gestures (segments of 2-4 s):

  none, swipe_left, swipe_right, swipe_up, swipe_down, push (hand grows), pull (hand shrinks),
  wave, clap

Swipes cross the frame edge to edge and repeat; push/pull fade a hand in, scale it up/down and
fade it out; wave oscillates one hand; clap brings two hands together repeatedly. "Left"/"right"
are image directions (a swipe_left moves towards the left edge of the frame).

Splits (manifest.json has every clip, its frame rate, size, style and segments):
  train      background textures noise/stripes/room, hand shapes ellipse/palm5/fist with flat or
             shaded skin-like fills, gesture speeds outside the held-out band. 15 % of these clips
             (chosen at random) form the ordinary random split "random-test".
  train-x    optional (--extra-clips N, default 0: the shipped model does not use them) more
             training clips with extra variety: + background "plasma", hand shape "polygon"
             (random convex), fills "spotted"/"noisy" (still disjoint from held-out); 15 % of them
             are random-test too.
  heldout    background textures checker/blobs/rings, hand shapes mitten/star/blobhand with
             patterned (striped/checked) non-skin fills, gesture speeds inside the held-out band
             (never used in training).

Usage: gen_video.py OUT_DIR [--clips N] [--heldout-clips N] [--extra-clips N] [--seconds S] [--seed S]
       gen_video.py --demo OUT.mp4 SEGMENTS.json
"""
import argparse
import json
import math
import os
import subprocess
import tempfile

import cv2
import numpy as np

CLASSES = ["none", "swipe_left", "swipe_right", "swipe_up", "swipe_down", "push", "pull", "wave", "clap"]

STYLE = {
    "train": {"backgrounds": ["noise", "stripes", "room"], "hands": ["ellipse", "palm5", "fist"], "fills": ["flat", "shaded"]},
    # extra training clips: more background, shape and fill variety (still disjoint from held-out)
    "train-x": {"backgrounds": ["noise", "stripes", "room", "plasma"], "hands": ["ellipse", "palm5", "fist", "polygon"],
                "fills": ["flat", "shaded", "spotted", "noisy"]},
    "heldout": {"backgrounds": ["checker", "blobs", "rings"], "hands": ["mitten", "star", "blobhand"], "fills": ["striped", "checked"]},
}
# Gesture duration (s) for swipes/push/pull and frequency (Hz) for wave/clap. Held-out: the middle band.
DUR_RANGE, DUR_HELD = (0.3, 1.1), (0.55, 0.75)
FREQ_RANGE, FREQ_HELD = (1.2, 3.4), (1.9, 2.5)


def band_sample(rng, full, held, split):
    if split == "heldout":
        return float(rng.uniform(*held))
    w1, w2 = held[0] - full[0], full[1] - held[1]
    u = rng.uniform(0, w1 + w2)
    return float(full[0] + u if u < w1 else held[1] + (u - w1))


# ------------------------------------------------------------------------------------------
# Textures
def smooth_noise(rng, h, w, scale):
    small = rng.random((max(2, h // scale), max(2, w // scale), 3)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def rand_color(rng, lo=0, hi=255):
    return rng.uniform(lo, hi, 3).astype(np.float32)


def background(kind, rng, h, w):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c1, c2 = rand_color(rng, 30, 230), rand_color(rng, 30, 230)
    if kind == "noise":
        n = 0.6 * smooth_noise(rng, h, w, int(rng.integers(8, 40))) + 0.4 * smooth_noise(rng, h, w, 4)
        img = c1 * n + c2 * (1 - n)
    elif kind == "stripes":
        ang = rng.uniform(0, math.pi)
        per = rng.uniform(10, 60)
        s = 0.5 + 0.5 * np.sin((xx * math.cos(ang) + yy * math.sin(ang)) * 2 * math.pi / per)
        img = c1 * s[..., None] + c2 * (1 - s[..., None])
    elif kind == "room":
        g = (yy / h)[..., None]
        img = c1 * (1 - g) + c2 * g
        for _ in range(int(rng.integers(3, 8))):
            x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
            cv2.rectangle(img, (x0, y0), (x0 + int(rng.integers(20, w // 2)), y0 + int(rng.integers(20, h // 2))),
                          rand_color(rng).tolist(), -1)
        img += 20 * (smooth_noise(rng, h, w, 6) - 0.5)
    elif kind == "plasma":
        n1, n2 = smooth_noise(rng, h, w, int(rng.integers(20, 60))), smooth_noise(rng, h, w, int(rng.integers(5, 15)))
        img = 128 + rng.uniform(40, 90) * np.sin(3 * n1 + 0.8 * n2 + rng.uniform(0, 6, 3))
    elif kind == "checker":
        per = rng.uniform(12, 50)
        ang = rng.uniform(0, math.pi / 2)
        u = xx * math.cos(ang) + yy * math.sin(ang)
        v = -xx * math.sin(ang) + yy * math.cos(ang)
        s = ((np.floor(u / per) + np.floor(v / per)) % 2)[..., None]
        img = c1 * s + c2 * (1 - s)
    elif kind == "blobs":
        img = np.ones((h, w, 3), np.float32) * c1
        for _ in range(int(rng.integers(15, 40))):
            cv2.circle(img, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(4, h // 5)),
                       rand_color(rng).tolist(), -1, cv2.LINE_AA)
    elif kind == "rings":
        cx, cy = rng.uniform(-w, 2 * w), rng.uniform(-h, 2 * h)
        r = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
        s = (0.5 + 0.5 * np.sin(r / rng.uniform(3, 12)))[..., None]
        img = c1 * s + c2 * (1 - s)
    else:
        raise ValueError(kind)
    return np.clip(img, 0, 255).astype(np.float32)


def fill_patch(kind, rng, size):
    """Returns a function (h, w) -> float32 HxWx3 fill for a hand."""
    if kind in ("flat", "shaded"):
        # skin-like or glove-like colours
        base = np.array([rng.uniform(60, 200), rng.uniform(90, 210), rng.uniform(140, 250)], np.float32)  # BGR
        if rng.random() < 0.3:
            base = rand_color(rng, 40, 240)
        shaded = kind == "shaded"

        def f(h, w):
            img = np.ones((h, w, 3), np.float32) * base
            if shaded:
                g = np.linspace(1.15, 0.75, h, dtype=np.float32)[:, None, None]
                img = img * g
            return img
        return f
    c1, c2 = rand_color(rng, 0, 255), rand_color(rng, 0, 255)
    per = rng.uniform(3, 9)
    if kind in ("spotted", "noisy"):
        seed = int(rng.integers(2**31))

        def t(h, w):
            r = np.random.default_rng(seed)
            if kind == "noisy":
                s = smooth_noise(r, h, w, 3)[..., :1]
            else:
                s = (r.random((h, w, 1)) < 0.15).astype(np.float32)
                s = cv2.GaussianBlur(s, (3, 3), 0)[..., None]
            return (c1 * s + c2 * (1 - s)).astype(np.float32)
        return t

    def g(h, w):
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        if kind == "striped":
            s = (np.sin((xx + yy * 0.5) * 2 * math.pi / per) > 0)[..., None]
        else:
            s = (((xx // per) + (yy // per)) % 2 > 0)[..., None]
        return np.where(s, c1, c2).astype(np.float32)
    return g


# ------------------------------------------------------------------------------------------
# Hand shapes: drawn into a mask at (cx, cy) with size r (pixels) and rotation ang (radians).
def draw_hand_mask(mask, shape, cx, cy, r, ang, params):
    def rot(px, py):
        ca, sa = math.cos(ang), math.sin(ang)
        return cx + px * ca - py * sa, cy + px * sa + py * ca

    def poly(pts):
        p = np.array([rot(x, y) for x, y in pts], np.float32)
        cv2.fillPoly(mask, [np.round(p * 16).astype(np.int32)], 255, cv2.LINE_AA, 4)

    def capsule(x0, y0, x1, y1, width):
        a, b = rot(x0, y0), rot(x1, y1)
        cv2.line(mask, (int(a[0] * 16), int(a[1] * 16)), (int(b[0] * 16), int(b[1] * 16)), 255,
                 max(1, int(width)), cv2.LINE_AA, 4)

    def ellipse(x, y, ax, ay, extra=0.0):
        c = rot(x, y)
        cv2.ellipse(mask, (int(c[0] * 16), int(c[1] * 16)), (int(ax * 16), int(ay * 16)), math.degrees(ang + extra),
                    0, 360, 255, -1, cv2.LINE_AA, 4)

    if shape == "ellipse":
        ellipse(0, 0, r * 0.7, r * params["aspect"])
    elif shape == "fist":
        ellipse(0, 0, r * 0.75, r * 0.65)
        for k in range(4):
            ellipse(-r * 0.45 + k * r * 0.3, -r * 0.55, r * 0.16, r * 0.14)
    elif shape == "palm5":
        ellipse(0, r * 0.2, r * 0.55, r * 0.6)
        for k in range(4):
            x = -r * 0.4 + k * r * 0.27
            capsule(x, -r * 0.1, x * params["spread"], -r * (0.85 + 0.15 * (k in (1, 2))), r * 0.2)
        capsule(r * 0.45, r * 0.3, r * 0.85, -r * 0.05, r * 0.22)
    elif shape == "polygon":
        poly([(params["poly_r"][i] * r * math.cos(a), params["poly_r"][i] * r * math.sin(a))
              for i, a in enumerate(params["poly_a"])])
    elif shape == "mitten":
        ellipse(0, 0, r * 0.55, r * 0.85)
        capsule(r * 0.45, r * 0.35, r * 0.85, -r * 0.05, r * 0.3)
    elif shape == "star":
        k = params["points"]
        pts = []
        for i in range(2 * k):
            rr = r * (1.0 if i % 2 == 0 else 0.5)
            a = i * math.pi / k
            pts.append((rr * math.sin(a), -rr * math.cos(a)))
        poly(pts)
    elif shape == "blobhand":
        for (x, y, s) in params["blobs"]:
            ellipse(x * r, y * r, s * r, s * r * 0.8)
    else:
        raise ValueError(shape)


def hand_params(shape, rng):
    p = {"aspect": float(rng.uniform(0.8, 1.1)), "spread": float(rng.uniform(0.9, 1.5)),
         "points": int(rng.integers(5, 8)),
         "blobs": [(float(rng.uniform(-0.5, 0.5)), float(rng.uniform(-0.6, 0.5)), float(rng.uniform(0.25, 0.45)))
                   for _ in range(int(rng.integers(4, 7)))]}
    if shape == "polygon":   # drawn only for this shape, so the other clips' random streams do not change
        p["poly_a"] = sorted(float(a) for a in rng.uniform(0, 2 * math.pi, int(rng.integers(5, 9))))
        p["poly_r"] = [float(v) for v in rng.uniform(0.7, 1.0, 8)]
    return p


# ------------------------------------------------------------------------------------------
def make_segments(rng, seconds, labels=None, min_s=2.0, max_s=4.0):
    segs, t = [], 0.0
    i = 0
    while t < seconds - 0.5:
        lab = labels[i % len(labels)] if labels is not None else CLASSES[int(rng.integers(len(CLASSES)))]
        d = float(rng.uniform(min_s, max_s))
        e = min(seconds, t + d)
        if seconds - e < min_s * 0.6:
            e = seconds
        segs.append({"start": round(t, 3), "end": round(e, 3), "label": lab})
        t = e
        i += 1
    return segs


class Scene:
    """Renders one clip: background, person silhouette, distractor, hands and camera effects."""

    def __init__(self, rng, split, w, h, fps, segments):
        self.rng, self.split, self.w, self.h, self.fps = rng, split, w, h, fps
        st = STYLE[split]
        self.pad = 12
        self.bg = background(str(rng.choice(st["backgrounds"])), rng, h + 2 * self.pad, w + 2 * self.pad)
        self.shape = str(rng.choice(st["hands"]))
        self.hp = hand_params(self.shape, rng)
        self.fill = fill_patch(str(rng.choice(st["fills"])), rng, 64)
        self.r0 = float(rng.uniform(0.12, 0.2)) * h          # hand "radius" in pixels
        self.person = rng.random() < 0.7
        self.person_color = rand_color(rng, 20, 200)
        self.person_x = float(rng.uniform(0.35, 0.65)) * w
        self.distractor = rng.random() < 0.6
        self.dis_color = rand_color(rng)
        self.dis_r = float(rng.uniform(0.04, 0.1)) * h
        self.dis_v = (float(rng.uniform(-0.08, 0.08)) * w, float(rng.uniform(-0.05, 0.05)) * h)   # px/s, slow
        self.dis_p = (float(rng.uniform(0, w)), float(rng.uniform(0, h)))
        self.noise = float(rng.uniform(1, 9))
        self.shake = float(rng.uniform(0, 2.0))
        self.light_f = float(rng.uniform(0.02, 0.3))
        self.light_a = float(rng.uniform(0, 0.25))
        self.flicker = rng.random() < 0.2
        self.blur = rng.random() < 0.3
        self.segments = segments
        # per-segment gesture parameters
        self.gest = []
        for s in segments:
            g = {"dur": band_sample(rng, DUR_RANGE, DUR_HELD, split), "freq": band_sample(rng, FREQ_RANGE, FREQ_HELD, split),
                 "pause": float(rng.uniform(0.05, 0.35)), "y": float(rng.uniform(0.3, 0.7)), "x": float(rng.uniform(0.3, 0.7)),
                 "amp": float(rng.uniform(0.1, 0.2)), "grow": float(rng.uniform(1.8, 3.0)), "tilt": float(rng.uniform(-0.3, 0.3)),
                 "drift": (float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1))), "present": rng.random() < 0.6,
                 "phase": float(rng.uniform(0, 1))}
            self.gest.append(g)

    def hands_at(self, t):
        """List of (cx, cy, r, angle, alpha) for the hands at time t."""
        for s, g in zip(self.segments, self.gest):
            if s["start"] <= t < s["end"] or (s is self.segments[-1] and t >= s["start"]):
                return self._gesture(s["label"], t - s["start"], g)
        return []

    def _gesture(self, lab, tt, g):
        w, h, r0 = self.w, self.h, self.r0
        if lab == "none":
            if not g["present"]:
                return []
            # resting hand with a slow drift
            return [(g["x"] * w + 6 * math.sin(0.7 * tt + g["drift"][0] * 3), g["y"] * h + 5 * math.sin(0.5 * tt + g["drift"][1] * 3),
                     r0, g["tilt"] + 0.05 * math.sin(tt), 1.0)]
        if lab.startswith("swipe") or lab in ("push", "pull"):
            period = g["dur"] + g["pause"]
            k = (tt + g["phase"] * period) / period
            u = (k - math.floor(k)) * period / g["dur"]          # 0..1 during the motion, >1 in the pause
            if u > 1.0:
                return []
            e = 0.5 - 0.5 * math.cos(math.pi * u)               # ease in/out
            span = r0 * 2.2
            if lab == "swipe_left":
                return [(w + span - e * (w + 2 * span), g["y"] * h, r0, g["tilt"], 1.0)]
            if lab == "swipe_right":
                return [(-span + e * (w + 2 * span), g["y"] * h, r0, g["tilt"], 1.0)]
            if lab == "swipe_up":
                return [(g["x"] * w, h + span - e * (h + 2 * span), r0, g["tilt"], 1.0)]
            if lab == "swipe_down":
                return [(g["x"] * w, -span + e * (h + 2 * span), r0, g["tilt"], 1.0)]
            a = min(1.0, u / 0.15, (1.0 - u) / 0.15)             # fade in / out
            small, big = r0 * 0.7, r0 * 0.7 * g["grow"]
            rr = small + (big - small) * e if lab == "push" else big - (big - small) * e
            return [(g["x"] * w, g["y"] * h, rr, g["tilt"], max(0.0, a))]
        if lab == "wave":
            ph = 2 * math.pi * g["freq"] * tt + g["phase"] * 6.28
            return [(g["x"] * w + g["amp"] * w * math.sin(ph), min(g["y"], 0.5) * h + 0.02 * h * math.cos(2 * ph),
                     r0, g["tilt"] + 0.35 * math.sin(ph), 1.0)]
        if lab == "clap":
            ph = 2 * math.pi * g["freq"] * tt + g["phase"] * 6.28
            sep = r0 * 0.9 + g["amp"] * w * (0.5 + 0.5 * math.cos(ph))
            cx, cy = g["x"] * w, g["y"] * h
            return [(cx - sep, cy, r0, 0.5 * math.pi + g["tilt"], 1.0), (cx + sep, cy, r0, -0.5 * math.pi + g["tilt"], 1.0)]
        raise ValueError(lab)

    def frame(self, i):
        t = i / self.fps
        rng = self.rng
        w, h, p = self.w, self.h, self.pad
        dx, dy = int(round(rng.normal(0, self.shake))), int(round(rng.normal(0, self.shake)))
        img = self.bg[p + dy:p + dy + h, p + dx:p + dx + w].copy()
        if self.person:   # torso and head, swaying slowly
            sx = self.person_x + 4 * math.sin(0.4 * t)
            cv2.ellipse(img, (int(sx), int(h * 1.05)), (int(w * 0.22), int(h * 0.45)), 0, 0, 360, self.person_color.tolist(), -1, cv2.LINE_AA)
            cv2.circle(img, (int(sx), int(h * 0.42)), int(h * 0.14), (self.person_color * 0.8 + 40).tolist(), -1, cv2.LINE_AA)
        if self.distractor:
            x = (self.dis_p[0] + self.dis_v[0] * t) % (w + 2 * self.dis_r) - self.dis_r
            y = (self.dis_p[1] + self.dis_v[1] * t) % (h + 2 * self.dis_r) - self.dis_r
            cv2.circle(img, (int(x), int(y)), int(self.dis_r), self.dis_color.tolist(), -1, cv2.LINE_AA)
        for (cx, cy, r, ang, alpha) in self.hands_at(t):
            if alpha <= 0.01:
                continue
            x0, y0 = int(max(0, cx - 1.6 * r)), int(max(0, cy - 1.6 * r))
            x1, y1 = int(min(w, cx + 1.6 * r + 1)), int(min(h, cy + 1.6 * r + 1))
            if x1 <= x0 or y1 <= y0:
                continue
            m = np.zeros((y1 - y0, x1 - x0), np.uint8)
            draw_hand_mask(m, self.shape, cx - x0, cy - y0, r, ang, self.hp)
            a = (m.astype(np.float32) / 255.0 * alpha)[..., None]
            img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * (1 - a) + self.fill(y1 - y0, x1 - x0) * a
        gain = 1.0 + self.light_a * math.sin(2 * math.pi * self.light_f * t)
        if self.flicker:
            gain *= 1.0 + 0.04 * rng.standard_normal()
        img = img * gain
        if self.blur:
            img = cv2.GaussianBlur(img, (3, 3), 0)
        img += rng.normal(0, self.noise, img.shape).astype(np.float32)
        return np.clip(img, 0, 255).astype(np.uint8)


def write_clip(path, scene, n_frames, fourcc="MJPG"):
    vw = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), scene.fps, (scene.w, scene.h))
    if not vw.isOpened():
        raise SystemExit(f"gen_video: cannot open video writer for {path}")
    for i in range(n_frames):
        vw.write(scene.frame(i))
    vw.release()


def generate(out_dir, clips, heldout_clips, seconds, seed, extra_clips=0, skip_existing=False):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    rng_x = np.random.default_rng(seed + 99)     # extra clips: own stream, the others do not change
    rows = []
    plan = [("train", i) for i in range(clips)] + [("heldout", i) for i in range(heldout_clips)] + \
        [("train-x", i) for i in range(extra_clips)]
    random_test = set(rng.choice(clips, size=int(round(0.15 * clips)), replace=False).tolist())
    random_test_x = set(rng_x.choice(max(extra_clips, 1), size=int(round(0.15 * extra_clips)), replace=False).tolist())
    for split, i in plan:
        crng = np.random.default_rng(int((rng_x if split == "train-x" else rng).integers(2**31)))
        w, h = [(320, 240), (320, 180), (256, 192), (352, 240)][int(crng.integers(4))]
        fps = float(crng.choice([15.0, 20.0, 25.0, 30.0]))
        # balanced labels: a shuffled run through the classes
        labels = [CLASSES[k] for k in crng.permutation(len(CLASSES))]
        segs = make_segments(crng, seconds, labels)
        scene = Scene(crng, split, w, h, fps, segs)
        name = f"{split}-{i:04d}.avi"
        if not (skip_existing and os.path.exists(os.path.join(out_dir, name))):
            write_clip(os.path.join(out_dir, name), scene, int(round(seconds * fps)))
        if split == "train-x":
            sp = "random-test" if i in random_test_x else "train"
        else:
            sp = "random-test" if split == "train" and i in random_test else split
        rows.append({"file": name, "split": sp, "fps": fps, "size": [w, h], "shape": scene.shape,
                     "segments": segs})
        if (len(rows)) % 20 == 0:
            print(f"gen_video: {len(rows)}/{len(plan)}", flush=True)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump({"classes": CLASSES, "seconds": seconds, "clips": rows}, f, indent=1)
    print(f"gen_video: wrote {len(rows)} clips to {out_dir}")


def demo(out_path, out_json, seed=77):
    order = ["none", "swipe_left", "swipe_right", "wave", "none", "push", "pull", "swipe_up", "swipe_down", "clap",
             "none", "swipe_right", "wave", "pull", "push", "clap", "swipe_left"]
    rng = np.random.default_rng(seed)
    segs, t = [], 0.0
    for lab in order:
        segs.append({"start": round(t, 3), "end": round(t + 3.5, 3), "label": lab})
        t += 3.5
    w, h, fps = 480, 360, 25.0
    scene = Scene(rng, "heldout", w, h, fps, segs)
    scene.distractor, scene.noise, scene.shake, scene.person = True, 3.0, 0.8, True
    scene.r0 = 0.17 * h
    with tempfile.TemporaryDirectory() as td:
        tmp = os.path.join(td, "demo.avi")
        write_clip(tmp, scene, int(round(t * fps)))
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", tmp, "-c:v", "libx264", "-preset", "slow", "-crf", "26",
                        "-pix_fmt", "yuv420p", "-an", out_path], check=True)
    with open(out_json, "w") as f:
        json.dump({"media": os.path.basename(out_path), "kind": "video", "classes": CLASSES,
                   "made_by": "models/training/gen_video.py --demo (rendered, held-out backgrounds, hand shapes and speeds)",
                   "segments": segs}, f, indent=1)
    print(f"gen_video: demo {out_path} ({t:.1f} s, {len(segs)} segments)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?")
    ap.add_argument("--clips", type=int, default=120)
    ap.add_argument("--heldout-clips", type=int, default=36)
    ap.add_argument("--seconds", type=float, default=27.0)
    ap.add_argument("--extra-clips", type=int, default=0)
    ap.add_argument("--skip-existing", action="store_true", help="do not re-render clips whose file exists")
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--demo", nargs=2, metavar=("VIDEO", "JSON"))
    a = ap.parse_args()
    cv2.setNumThreads(1)
    if a.demo:
        demo(*a.demo)
    elif a.out:
        generate(a.out, a.clips, a.heldout_clips, a.seconds, a.seed, a.extra_clips, a.skip_existing)
    else:
        ap.error("give OUT_DIR or --demo")


if __name__ == "__main__":
    main()
