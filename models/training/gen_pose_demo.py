#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Renders the pose demo clip: a synthetic person at a desk, seen by a webcam, doing gestures.

The clip exists so that the README screenshots and the demo can show the pose path (MoveNet
keypoints -> pose-kp tokens -> pose action model) without any real recording. The person is a
simple 3-D skeleton (shoulders, elbows, wrists, neck, head; hips behind the desk) whose joints
follow scripted trajectories; arm poses come from two-bone inverse kinematics; the skeleton is
projected with a pinhole camera and drawn as a cartoon person: head with hair, ears, eyes, brows,
nose and mouth, neck, a T-shirt torso, sleeves, skin-coloured forearms and hands with fingers, in
front of a wall with a shelf and a wooden desk. MoveNet Lightning finds its joints (checked with
`colive-extract`/the app's PoseNet; numbers in models/action-pose.md and docs).

Directions are the USER's own (the convention of the pose model): `swipe_left` = the person moves
the hand to their own left = towards the image RIGHT of this raw, unmirrored frame. The gesturing
hand is the person's right hand (image left), except clap (both hands).

Usage: gen_pose_demo.py OUT.mp4 SEGMENTS.json [--seed S] [--fps F] [--size WxH]
Deterministic for a given seed (the encoder is libx264 through ffmpeg).
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
ORDER = ["none", "swipe_left", "swipe_right", "wave", "none", "push", "pull", "swipe_up", "swipe_down", "clap",
         "none", "swipe_right", "wave", "pull", "push", "clap", "swipe_left"]
SEG_S = 3.5

# Body in metres; camera frame: x to the image right, y down, z away from the camera.
UPPER_ARM, FOREARM = 0.29, 0.26
SHOULDER_HALF = 0.19
BODY_Z = 1.35

SKIN = (150, 185, 225)        # BGR
SKIN_DARK = (120, 150, 195)
HAIR = (35, 45, 60)
SHIRT = (150, 95, 45)          # blue-ish T-shirt (BGR)
SHIRT_DARK = (115, 70, 30)


def smooth(u):
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def lerp(a, b, u):
    return a + (b - a) * u


class Person:
    """Joint positions (3-D) at time t for a labelled segment list."""

    def __init__(self, rng, segments):
        self.segs = segments
        self.rng = rng
        # slow idle drift: sums of sines with random phases
        self.ph = rng.uniform(0, 2 * math.pi, 8)

    def rest_wrist(self, side, t):
        # side = -1 person's right (image left), +1 person's left; forearms resting on the desk
        return np.array([side * 0.16 + 0.01 * math.sin(0.7 * t + self.ph[0] + side), 0.40, 1.05])

    def trunk(self, t):
        sway = 0.012 * math.sin(0.5 * t + self.ph[1])
        breath = 0.004 * math.sin(2 * math.pi * 0.25 * t)
        return np.array([sway, breath, BODY_Z])

    def wrists(self, t):
        """(right wrist, left wrist, head yaw) at time t."""
        seg = next((s for s in self.segs if s["start"] <= t < s["end"]), self.segs[-1])
        lab, u0 = seg["label"], t - seg["start"]
        R = self.rest_wrist(-1, t)
        L = self.rest_wrist(+1, t)
        yaw = 0.15 * math.sin(0.4 * t + self.ph[2])
        dur = seg["end"] - seg["start"]
        # two repetitions of 1.6 s after 0.15 s, each: raise 0.35, act 0.55, hold 0.15, lower 0.35
        def cycle(u):
            k = u - 0.15
            if k < 0 or k >= 3.2:
                return None
            return k % 1.6
        c = cycle(u0)
        def stroke(a, b):   # from rest to a, a -> b, back to rest
            if c is None:
                return R
            if c < 0.35:
                return lerp(R, a, smooth(c / 0.35))
            if c < 0.9:
                return lerp(a, b, smooth((c - 0.35) / 0.55))
            if c < 1.05:
                return b
            if c < 1.4:
                return lerp(b, R, smooth((c - 1.05) / 0.35))
            return R
        if lab == "swipe_left":       # to the person's own left = +x (image right)
            R = stroke(np.array([-0.38, 0.05, 1.05]), np.array([0.22, 0.05, 1.05]))
        elif lab == "swipe_right":
            R = stroke(np.array([0.18, 0.05, 1.05]), np.array([-0.42, 0.05, 1.05]))
        elif lab == "swipe_up":
            R = stroke(np.array([-0.22, 0.22, 1.0]), np.array([-0.22, -0.42, 1.15]))
        elif lab == "swipe_down":
            R = stroke(np.array([-0.22, -0.40, 1.15]), np.array([-0.22, 0.24, 1.0]))
        elif lab == "push":           # towards the camera
            R = stroke(np.array([-0.14, 0.02, 1.18]), np.array([-0.10, 0.0, 0.86]))
        elif lab == "pull":
            R = stroke(np.array([-0.10, 0.0, 0.86]), np.array([-0.14, 0.02, 1.18]))
        elif lab == "wave":
            a = smooth(u0 / 0.4) * smooth((dur - u0) / 0.4)
            up = np.array([-0.33, -0.22, 1.22]) + np.array([0.09 * math.sin(2 * math.pi * 2.0 * u0), 0, 0])
            R = lerp(R, up, a)
        elif lab == "clap":
            a = smooth(u0 / 0.4) * smooth((dur - u0) / 0.4)
            sep = 0.02 + 0.13 * (0.5 + 0.5 * math.cos(2 * math.pi * 2.0 * u0))
            R = lerp(R, np.array([-sep, 0.08, 1.02]), a)
            L = lerp(L, np.array([sep, 0.08, 1.02]), a)
        else:
            # idle: a look to the side now and then
            yaw += 0.35 * smooth(min(u0, dur - u0) / 0.6) * math.sin(self.ph[3] + seg["start"])
        return R, L, yaw

    def joints(self, t):
        c = self.trunk(t)
        j = {}
        j["neck"] = c + np.array([0, -0.02, 0])
        j["head"] = c + np.array([0, -0.205, 0.0])
        j["r_sh"] = c + np.array([-SHOULDER_HALF, 0.02, 0])
        j["l_sh"] = c + np.array([SHOULDER_HALF, 0.02, 0])
        R, L, yaw = self.wrists(t)
        j["r_wr"], j["l_wr"] = R, L
        j["r_el"] = ik(j["r_sh"], R, -1)
        j["l_el"] = ik(j["l_sh"], L, +1)
        j["yaw"] = yaw
        return j


def ik(S, W, side):
    d_vec = W - S
    d = float(np.linalg.norm(d_vec))
    d = min(max(d, 1e-3), UPPER_ARM + FOREARM - 1e-3)
    n = d_vec / max(float(np.linalg.norm(d_vec)), 1e-6)
    a = (UPPER_ARM ** 2 - FOREARM ** 2 + d * d) / (2 * d)
    h = math.sqrt(max(UPPER_ARM ** 2 - a * a, 0.0))
    pole = np.array([side * 0.6, 1.0, 0.35])
    pole = pole - n * float(pole @ n)
    pole /= max(float(np.linalg.norm(pole)), 1e-6)
    return S + n * a + pole * h


class Camera:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.f = 0.92 * w
        self.cx, self.cy = w / 2, 0.47 * h

    def p(self, X):
        return np.array([self.cx + self.f * X[0] / X[2], self.cy + self.f * X[1] / X[2]])

    def px(self, metres, z):
        return self.f * metres / z


def make_background(w, h, rng):
    img = np.zeros((h, w, 3), np.float32)
    yy = np.linspace(0, 1, h)[:, None]
    wall = np.array([200, 210, 215], np.float32)   # warm light wall (BGR)
    img[:] = wall * (0.92 + 0.08 * (1 - yy))[:, :, None]
    # window (right) and a shelf with books (left)
    cv2.rectangle(img, (int(0.70 * w), int(0.06 * h)), (int(0.95 * w), int(0.45 * h)), (235, 225, 205), -1)
    cv2.rectangle(img, (int(0.70 * w), int(0.06 * h)), (int(0.95 * w), int(0.45 * h)), (150, 150, 150), 4)
    cv2.line(img, (int(0.825 * w), int(0.06 * h)), (int(0.825 * w), int(0.45 * h)), (150, 150, 150), 3)
    sy = int(0.30 * h)
    cv2.rectangle(img, (int(0.03 * w), sy), (int(0.25 * w), sy + 8), (70, 100, 130), -1)
    x = int(0.04 * w)
    while x < int(0.23 * w):
        bw = int(rng.integers(8, 16))
        bh = int(rng.integers(int(0.07 * h), int(0.12 * h)))
        col = tuple(float(v) for v in rng.integers(40, 200, 3))
        cv2.rectangle(img, (x, sy - bh), (x + bw, sy - 1), col, -1)
        x += bw + 2
    return img


def draw_limb(img, a, b, r, color):
    a, b = tuple(int(round(v)) for v in a), tuple(int(round(v)) for v in b)
    cv2.line(img, a, b, color, max(2, int(round(2 * r))), cv2.LINE_AA)
    cv2.circle(img, a, max(1, int(round(r))), color, -1, cv2.LINE_AA)
    cv2.circle(img, b, max(1, int(round(r))), color, -1, cv2.LINE_AA)


def draw_hand(img, cam, el, wr, z, up_hint=None):
    e, w_ = cam.p(el), cam.p(wr)
    d = w_ - e
    if up_hint is not None:
        d = up_hint
    n = float(np.linalg.norm(d))
    d = d / n if n > 1e-6 else np.array([0.0, -1.0])
    q = np.array([-d[1], d[0]])
    s = cam.px(0.095, z)                      # palm length in pixels
    c = w_ + d * 0.45 * s
    cv2.ellipse(img, tuple(int(v) for v in c), (max(2, int(0.5 * s)), max(2, int(0.42 * s))),
                math.degrees(math.atan2(d[1], d[0])), 0, 360, SKIN, -1, cv2.LINE_AA)
    for k, (off, ln) in enumerate([(-0.30, 0.75), (-0.10, 0.85), (0.10, 0.8), (0.28, 0.65)]):
        base = c + d * 0.35 * s + q * off * s
        tip = base + d * ln * s * 0.8
        draw_limb(img, base, tip, 0.075 * s, SKIN if k % 2 == 0 else SKIN_DARK)
    th_base = c + q * 0.38 * s
    draw_limb(img, th_base, th_base + (q * 0.5 + d * 0.25) * s, 0.08 * s, SKIN)


def render(cam, bg, j, desk_y):
    img = bg.copy()
    h, w = img.shape[:2]
    sh_r, sh_l = cam.p(j["r_sh"]), cam.p(j["l_sh"])
    z = j["neck"][2]
    # torso (T-shirt) down behind the desk
    waist_r = sh_r + np.array([cam.px(0.03, z), h])
    waist_l = sh_l + np.array([-cam.px(0.03, z), h])
    poly = np.array([sh_r + [-cam.px(0.02, z), cam.px(0.01, z)], sh_r + [cam.px(0.05, z), -cam.px(0.03, z)],
                     sh_l + [-cam.px(0.05, z), -cam.px(0.03, z)], sh_l + [cam.px(0.02, z), cam.px(0.01, z)],
                     waist_l, waist_r], np.int32)
    cv2.fillPoly(img, [poly], SHIRT, cv2.LINE_AA)
    # neck and collar
    nk = cam.p(j["neck"])
    hd = cam.p(j["head"])
    nw = cam.px(0.055, z)
    cv2.rectangle(img, (int(nk[0] - nw), int(hd[1] + cam.px(0.08, z))), (int(nk[0] + nw), int(nk[1])), SKIN_DARK, -1)
    cv2.ellipse(img, (int(nk[0]), int(nk[1] - cam.px(0.01, z))), (int(1.4 * nw), int(0.7 * nw)), 0, 0, 180, SKIN_DARK, -1, cv2.LINE_AA)
    # head
    yaw = j["yaw"]
    hr_x, hr_y = cam.px(0.085, z), cam.px(0.115, z)
    hc = (int(hd[0]), int(hd[1]))
    for side in (-1, 1):   # ears
        ex = hd[0] + side * hr_x * (0.95 - 0.25 * side * yaw)
        cv2.ellipse(img, (int(ex), int(hd[1] + 0.05 * hr_y)), (int(0.2 * hr_x), int(0.3 * hr_y)), 0, 0, 360, SKIN_DARK, -1, cv2.LINE_AA)
    cv2.ellipse(img, hc, (int(hr_x), int(hr_y)), 0, 0, 360, SKIN, -1, cv2.LINE_AA)
    cv2.ellipse(img, (hc[0], int(hd[1] - 0.2 * hr_y)), (int(1.05 * hr_x), int(0.88 * hr_y)), 0, 180, 360, HAIR, -1, cv2.LINE_AA)
    fx = hd[0] + 0.55 * hr_x * math.sin(yaw)          # face centre shifts with the head's yaw
    for side in (-1, 1):   # eyes and brows
        ex, ey = fx + side * 0.38 * hr_x * math.cos(yaw), hd[1] - 0.05 * hr_y
        cv2.ellipse(img, (int(ex), int(ey)), (max(2, int(0.2 * hr_x)), max(1, int(0.1 * hr_y))), 0, 0, 360, (240, 240, 240), -1, cv2.LINE_AA)
        cv2.circle(img, (int(ex), int(ey)), max(1, int(0.09 * hr_x)), (50, 40, 30), -1, cv2.LINE_AA)
        cv2.line(img, (int(ex - 0.22 * hr_x), int(ey - 0.22 * hr_y)), (int(ex + 0.22 * hr_x), int(ey - 0.24 * hr_y)), HAIR, max(1, int(0.06 * hr_x)), cv2.LINE_AA)
    cv2.line(img, (int(fx), int(hd[1])), (int(fx - 0.05 * hr_x), int(hd[1] + 0.28 * hr_y)), SKIN_DARK, max(1, int(0.1 * hr_x)), cv2.LINE_AA)
    cv2.ellipse(img, (int(fx), int(hd[1] + 0.52 * hr_y)), (int(0.28 * hr_x), int(0.08 * hr_y)), 0, 0, 180, (90, 90, 170), max(1, int(0.07 * hr_x)), cv2.LINE_AA)
    # desk in front of the body
    cv2.rectangle(img, (0, desk_y), (w, h), (70, 110, 150), -1)
    cv2.rectangle(img, (0, desk_y), (w, desk_y + 5), (55, 90, 125), -1)
    for k in range(6):
        yk = desk_y + 12 + k * (h - desk_y) // 6
        cv2.line(img, (0, yk), (w, yk + 3), (62, 100, 140), 1, cv2.LINE_AA)
    # arms, farther first
    arms = []
    for s in ("r", "l"):
        arms.append((float(j[s + "_wr"][2] + j[s + "_el"][2]), s))
    for _, s in sorted(arms, reverse=True):
        sh, el, wr = j[s + "_sh"], j[s + "_el"], j[s + "_wr"]
        P_sh, P_el, P_wr = cam.p(sh), cam.p(el), cam.p(wr)
        mid = lerp(P_sh, P_el, 0.45)
        draw_limb(img, P_el, P_wr, cam.px(0.036, wr[2]), SKIN)
        draw_limb(img, mid, P_el, cam.px(0.043, el[2]), SKIN)
        draw_limb(img, P_sh, mid, cam.px(0.058, sh[2]), SHIRT_DARK)
        draw_hand(img, cam, el, wr, wr[2])
    return img


def render_clip(out_path, segs, fps, w, h, seed):
    rng = np.random.default_rng(seed)
    person = Person(rng, segs)
    cam = Camera(w, h)
    bg = make_background(w, h, rng)
    desk_y = int(0.84 * h)
    n = int(round(segs[-1]["end"] * fps))
    nrng = np.random.default_rng(seed + 1)
    with tempfile.TemporaryDirectory() as td:
        tmp = os.path.join(td, "pose.avi")
        vw = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
        if not vw.isOpened():
            raise SystemExit("gen_pose_demo: cannot write " + tmp)
        for i in range(n):
            img = render(cam, bg, person.joints(i / fps), desk_y)
            img = cv2.GaussianBlur(img, (3, 3), 0.7)
            img += nrng.normal(0, 2.0, img.shape).astype(np.float32)
            vw.write(np.clip(img, 0, 255).astype(np.uint8))
        vw.release()
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", tmp, "-c:v", "libx264", "-preset", "slow", "-crf", "27",
                        "-pix_fmt", "yuv420p", "-an", "-r", str(fps), out_path], check=True)


def keypoints_truth(segs, fps, w, h, seed):
    """The drawn joints in MoveNet order (x, y px; NaN for joints not drawn), for checking a detector."""
    rng = np.random.default_rng(seed)
    person = Person(rng, segs)
    cam = Camera(w, h)
    n = int(round(segs[-1]["end"] * fps))
    out = np.full((n, 17, 2), np.nan, np.float32)
    names = {5: "l_sh", 6: "r_sh", 7: "l_el", 8: "r_el", 9: "l_wr", 10: "r_wr"}
    for i in range(n):
        j = person.joints(i / fps)
        for k, nm in names.items():
            out[i, k] = cam.p(j[nm])
        out[i, 0] = cam.p(j["head"]) + np.array([cam.px(0.55 * 0.078, j["head"][2]) * math.sin(j["yaw"]), 0.1 * cam.px(0.105, j["head"][2])])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("video")
    ap.add_argument("segments")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--truth", help="also write the drawn joints (N,17,2) as .npy here")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    cv2.setNumThreads(1)
    segs, t = [], 0.0
    for lab in ORDER:
        segs.append({"start": round(t, 3), "end": round(t + SEG_S, 3), "label": lab})
        t += SEG_S
    render_clip(a.video, segs, a.fps, w, h, a.seed)
    if a.truth:
        np.save(a.truth, keypoints_truth(segs, a.fps, w, h, a.seed))
    with open(a.segments, "w") as f:
        json.dump({"media": os.path.basename(a.video), "kind": "video", "classes": CLASSES,
                   "directions": "user's own: swipe_left = the person's hand moves to their own left = image right (raw frame)",
                   "made_by": "models/training/gen_pose_demo.py (rendered synthetic person; no recording)",
                   "segments": segs}, f, indent=1)
    print(f"gen_pose_demo: {a.video} ({t:.1f} s at {a.fps:g} fps, {len(segs)} segments)")


if __name__ == "__main__":
    main()
