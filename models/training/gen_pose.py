#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Simulated upper-body keypoint streams (what MoveNet reports for a person at a desk webcam) for the
pose action model, in image pixels, as (T, 17, 3) .npy files (x px, y px, score; MoveNet/COCO order;
a row of zero scores = nobody in view). models/training/extract.py --kind pose turns them into
pose-kp-v4 tokens with the C++ PoseTokenizer (colive-extract --keypoints --hands --features pose-kp-v4), the code
the app runs live.

The person: a 3-D upper body (shoulders, head with nose/eyes/ears, arms by two-bone inverse
kinematics from a wrist path, hips) in units of the shoulder width, with anthropometric variation
(upper arm 0.68-0.86, forearm 0.62-0.78 shoulder widths, head height, hip drop), projected by a
perspective camera (distance 3.5-8 shoulder widths, so a hand moving towards the camera grows and its
forearm foreshortens) into frames of 320x240 .. 1280x720 at 15-60 fps. Framing at a desk: shoulders at
45-92 % of the frame height, shoulder width 12-45 % of the frame width, so hips, and at rest the
hands, are often out of view or hidden by the desk (low scores). Camera roll, body sway, breathing,
torso yaw, leaning in/back.

Directions are the USER's: X = the person's own left, which is the IMAGE RIGHT of a raw, unmirrored
frame. swipe_left moves the hand to +X (image right), swipe_right to -X (image left).

Classes (as the motion model): none, swipe_left/right/up/down (a fast stroke, 0.2-0.7 s; 60 % "stroke
and return": from the resting hand straight to the stroke's end (rising to its height on the way) or
from a raised hand (swipe_down always) the gesture's way, sometimes a hold of 0.1-1.2 s, and back at
0.6-2.0x the stroke's duration, 15 % without return, so the direction is the first stroke's
displacement from where the hand rested, not the faster movement; otherwise lifted to its start and
repeated 1-3 times, or out against the stroke's direction, the stroke and back), push (hand from the
chest, or 40 % straight from rest, towards the camera, back at 0.6-2.0x; a hand close to the camera
loses its wrist score and jumps), pull (the reverse), wave (raised hand oscillating sideways, 1.4-3.6
Hz, "shaking" in front of the chest, or 25 % held out to the side and shaken fast and small, as MoveNet
sees nvGesture's "shaking hand"), clap (both hands meet and part, 1.4-3.2 Hz). Swipes and pushes are
labelled until the hand is back (+0.8 s). Hands rest anywhere in front of the body (half the people
with a sideways shift of up to 0.55 shoulder widths), a third of the people turned up to 35 deg to the
camera. Either hand (right 70 %). `none` is rich: still,
breathing, talking with head motion and small hand movements, head turns, scratching the head or
face, typing, hands on a steering wheel with steering, drinking, reaching slowly for something,
leaning back and forward, crossing arms, chin on hand, stretching; and nobody in view.

Detector model (statistics measured on real clips with MoveNet Lightning, see the model card and
measure_pose_noise.py): per-keypoint jitter (AR(1), a fraction of the shoulder width), extra jitter and
lower scores for fast hands (blur), score distributions of visible keypoints, out-of-frame and hidden
keypoints with low scores, short drop-outs, wrist/elbow swaps and outliers, whole frames without a
person.

Continuous streams: each clip is a sequence of segments (none, gesture, none, gesture, ...), so
windows straddle boundaries as in a live stream. Splits: "train", "random-test" (15 % of the
training-distribution clips), "heldout" (subjects, cameras and behaviour mixtures from a separate
seed, never trained on). Seeded and deterministic.

Hand landmarks (pose-kp-v3/-v4): per clip also KP.hands.npy (T, 2, 3), what the hand landmark network would
report on a crop around each wrist (hand_observations()): looked / found / apparent size, with the
found rate measured on the real clips as a function of the wrist and elbow scores, the size from the
hand's 3-D depth; with --hand-route finder (pose-kp-v4) also the hands the app's HandFinder finds where
the wrist crop does not (hands away from rest, near the camera).

Live frame drops (--drop-frames SHARE): that share of the clips is analysed as the live app does when the
pose network cannot keep up (live_analysed(): frames dropped before the network, NaN rows).

Usage: gen_pose.py OUT_DIR [--clips 300] [--heldout-clips 48] [--seconds 30] [--seed 9001] [--drop-frames SHARE]
"""
import argparse
import json
import math
import os

import numpy as np

CLASSES = ["none", "swipe_left", "swipe_right", "swipe_up", "swipe_down", "push", "pull", "wave", "clap"]
GESTURES = CLASSES[1:]

# Detector statistics (MoveNet Lightning through OpenCV DNN on the real idle clips; measured by
# models/training/measure_pose_noise.py, numbers in models/action-pose.md). Jitter: std of the
# frame-to-frame residual after removing a 0.3 s moving average, in shoulder widths.
NOISE = {
    # Measured by measure_pose_noise.py on the real clips with the app's PoseNet (MoveNet Lightning via
    # OpenCV DNN, crop tracking; numbers in models/action-pose.md). Jitter: white-ish frame-to-frame noise,
    # std in shoulder widths (residual of a centred 5-frame moving average / sqrt(0.8) on the idle clips;
    # its lag-1 autocorrelation is -0.25..-0.31, as for white noise).
    "jitter": {"head": 0.010, "shoulder": 0.027, "elbow": 0.068, "wrist": 0.081, "hip": 0.093},
    "ar": 0.1,                       # AR(1) coefficient of the jitter at 30 fps
    # scores of in-view keypoints: mean, std (all 18 clips)
    "score_visible": {"head": [0.54, 0.13], "shoulder": [0.54, 0.18], "elbow": [0.31, 0.17],
                      "wrist": [0.25, 0.15], "hip": [0.38, 0.15]},
    "score_hidden": [0.10, 0.07],
    # per frame at 30 fps: a keypoint jumps elsewhere for one frame, or wanders to a wrong place for
    # 3-20 frames (either makes two steps over 0.5 shoulder widths; measured on idle clips: elbows 1.6 %,
    # wrists 1.8 %, hips 4.6 % of frame-to-frame steps)
    "outlier_rate": {"head": 0.0, "shoulder": 0.0, "elbow": 0.005, "wrist": 0.006, "hip": 0.015},
    "wander_rate": {"head": 0.0, "shoulder": 0.001, "elbow": 0.003, "wrist": 0.004, "hip": 0.006},
    "dropout_rate": {"head": 0.01, "shoulder": 0.01, "elbow": 0.03, "wrist": 0.05, "hip": 0.05},
    "swap_rate": 0.004, "frame_miss_rate": 0.003,
}
# Hand landmark network statistics (pose-kp-v3), measured on the real clips with the app's crop rule
# (colive-extract --dump-keypoints --dump-hands; numbers in models/action-pose.md).
HAND = {
    "presence_logit": [-7.41, 8.38, 7.24],   # P(found) = sigmoid(a + b * wrist score + c * elbow score)
    "size": 0.43,                            # wrist -> middle-finger MCP in shoulder widths at the shoulders'
                                             # depth (x the hands' perspective scale: median 0.48 as on the real clips, 0.47)
    "size_person_sd": 0.12, "size_noise_sd": 0.10,
    # --hand-route finder (pose-kp-v4, the app's HandFinder: wrist crop, tracking, hand detector boxes): a hand
    # the wrist crop missed is found with these rates per token slot, by whether the hand is away from where it
    # rests (> 0.3 shoulder widths) or at rest. Not measurable per observation on the real clips (their hand
    # states are unknown); chosen so that the found rates are of the order of the real clips' through
    # HandFinder (per token slot, either arm: idle 21 %, swipes 28-65 %, push 70 %, wave 91 %; see the card)
    "finder_p_away": 0.65, "finder_p_rest": 0.02,
}
HAND_ROUTE = "wrist"
# --drop-frames: the share of clips whose frames are analysed as the live app does when MoveNet falls
# behind the camera (frames dropped before the network: NaN rows, skipped by the tokenizer; see
# live_analysed()). 0 = every frame analysed (the key points of every clip then stay byte-identical).
DROP_SHARE = 0.0
GROUP = ["head"] * 5 + ["shoulder"] * 2 + ["elbow"] * 2 + ["wrist"] * 2 + ["hip"] * 2 + ["hip"] * 4


def minjerk(s):
    s = np.clip(s, 0, 1)
    return s * s * s * (10 - 15 * s + 6 * s * s)


class Path:
    """Keyframed 3-D path (min-jerk between keyframes) plus additive offsets."""

    def __init__(self, t, p0):
        self.t = t
        self.keys = [(0.0, np.asarray(p0, float))]
        self.off = np.zeros((len(t), 3))

    def to(self, t_end, p, dur):
        """Hold the last keyframe until t_end - dur, then move to p, arriving at t_end."""
        t_last, p_last = self.keys[-1]
        start = max(t_last, t_end - dur)
        if start > t_last:
            self.keys.append((start, p_last))
        self.keys.append((max(t_end, start + 1e-3), np.asarray(p, float)))

    def last(self):
        return self.keys[-1]

    def eval(self):
        out = np.empty((len(self.t), 3))
        kt = np.array([k[0] for k in self.keys])
        kp = np.array([k[1] for k in self.keys])
        i = np.clip(np.searchsorted(kt, self.t, side="right") - 1, 0, len(kt) - 1)
        j = np.minimum(i + 1, len(kt) - 1)
        span = np.maximum(kt[j] - kt[i], 1e-9)
        s = minjerk(np.where(j > i, (self.t - kt[i]) / span, 0.0))[:, None]
        out[:] = kp[i] * (1 - s) + kp[j] * s
        return out + self.off


def smooth_noise(rng, n, fps, tau, std):
    """AR(1) noise with time constant tau (s), stationary std."""
    a = math.exp(-1.0 / (fps * tau))
    e = rng.normal(0, std * math.sqrt(1 - a * a), n)
    x = np.empty(n)
    acc = rng.normal(0, std)
    for k in range(n):
        acc = a * acc + e[k]
        x[k] = acc
    return x


def window(t, a, b, ramp=0.15):
    """Smooth 0..1 envelope that is 1 inside [a, b]."""
    return minjerk((t - a + ramp) / ramp) * minjerk((b + ramp - t) / ramp)


class Person:
    def __init__(self, rng, heldout):
        self.ua = rng.uniform(0.68, 0.86)
        self.fa = rng.uniform(0.62, 0.78)
        self.head_h = rng.uniform(0.55, 0.85)
        self.hip_y = -rng.uniform(1.3, 1.75)
        self.hip_x = rng.uniform(0.28, 0.38)
        self.right_handed = rng.random() < 0.7
        self.desk_y = -rng.uniform(0.95, 1.5)         # below this the hands are hidden by the desk
        self.rest = rng.choice(["desk", "desk", "lap", "wheel", "typing", "crossed"])
        self.tempo = math.exp(rng.uniform(-0.35, 0.35))  # this person's speed factor (>1 faster)
        self.amp = math.exp(rng.uniform(-0.25, 0.25))    # this person's gesture size factor
        # where the hands rest is not always in front of the shoulders' middle: a wheel or desk off to one
        # side, or a camera to the front-left/right (real nvGesture drivers: both wrists at u = +0.3..+0.6)
        self.rest_shift = rng.uniform(-0.55, 0.55) if rng.random() < 0.5 else 0.0
        # a camera to one side sees the body turned (constant torso yaw, on top of the moving yaw)
        self.turn = rng.uniform(-35, 35) if rng.random() < 0.35 else rng.uniform(-12, 12)

    def rest_pose(self, h, style=None):
        side = 1 if h == 0 else -1                     # h = 0: left hand (+X), 1: right hand (-X)
        style = style or self.rest
        shift = np.array([self.rest_shift, 0.0, 0.0])
        if style == "desk":
            return np.array([side * 0.38, -1.25, 0.45]) + shift
        if style == "lap":
            return np.array([side * 0.25, -1.65, 0.25]) + shift
        if style == "wheel":
            return np.array([side * 0.45, -0.65, 0.75]) + shift
        if style == "typing":
            return np.array([side * 0.22, -1.05, 0.6]) + shift
        return np.array([-side * 0.25, -0.65, 0.3])    # crossed arms


class Camera:
    def __init__(self, rng, heldout):
        self.W, self.H = [(320, 240), (640, 480), (640, 480), (1280, 720), (640, 360), (960, 540)][rng.integers(6)]
        self.fps = float(rng.choice([15, 20, 24, 30, 30, 30, 30, 60]))
        self.sw = rng.uniform(0.12, 0.45) * self.W     # shoulder width in pixels
        self.cx = self.W * (0.5 + rng.uniform(-0.15, 0.15))
        self.cy = self.H * rng.uniform(0.45, 0.92)
        self.Z0 = rng.uniform(3.5, 8.0)               # camera distance in shoulder widths
        self.roll = math.radians(rng.uniform(-6, 6))


def ik_elbow(S, W, ua, fa, side):
    """Elbow of a two-bone arm from shoulder S to wrist W (N, 3); the wrist is pulled in if out of reach."""
    d = W - S
    L = np.linalg.norm(d, axis=1, keepdims=True)
    Lc = np.clip(L, abs(ua - fa) + 0.05, (ua + fa) * 0.985)
    n = d / np.maximum(L, 1e-6)
    W = S + n * Lc
    a = (ua * ua - fa * fa + Lc * Lc) / (2 * Lc)
    r = np.sqrt(np.maximum(ua * ua - a * a, 0))
    pole = np.array([side * 0.6, -1.0, -0.35])
    pole = pole / np.linalg.norm(pole)
    p = pole[None, :] - (n @ pole)[:, None] * n
    p = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-6)
    return S + a * n + r * p, W


def rot_y(P, ang):
    c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
    X, Y, Z = P[:, 0:1], P[:, 1:2], P[:, 2:3]
    return np.concatenate([c * X + s * Z, Y, -s * X + c * Z], 1)


def rot_x(P, ang):
    c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
    X, Y, Z = P[:, 0:1], P[:, 1:2], P[:, 2:3]
    return np.concatenate([X, c * Y - s * Z, s * Y + c * Z], 1)


# ------------------------------------------------------------------------------------------------
# behaviours: each writes into the two wrist paths, the head (yaw, pitch) and torso paths over [a, b)

def sgn_vec(horiz, sgn):
    return np.array([sgn, 0.0, 0.0]) if horiz else np.array([0.0, sgn, 0.0])


def stroke(path, tt, p0, p1, bulge, dur):
    """One stroke from p0 to p1 through the bulged midpoint, starting at tt; returns its end time."""
    path.to(tt + dur / 2, (p0 + p1) / 2 + bulge, dur / 2)
    path.to(tt + dur, p1, dur / 2)
    return tt + dur


def g_swipe(rng, P, t, hands, head, a, b, direction, person):
    h = 1 - person.hand_now
    side = 1 if h == 0 else -1
    amp = rng.uniform(0.8, 1.6) * person.amp
    dur = rng.uniform(0.2, 0.7) / person.tempo
    z = rng.uniform(0.25, 0.7)
    reps = int(rng.integers(1, 4))
    horiz = direction in ("swipe_left", "swipe_right")
    sgn = 1 if direction in ("swipe_left", "swipe_up") else -1
    if horiz:
        y = rng.uniform(-0.45, 0.35)
        xc = side * rng.uniform(0.0, 0.4)
        start, end = np.array([xc - sgn * amp / 2, y, z]), np.array([xc + sgn * amp / 2, y, z])
        bulge = np.array([0, rng.uniform(-0.15, 0.15), rng.uniform(-0.1, 0.2)])
        back_off = np.array([0, -rng.uniform(0.1, 0.35), -rng.uniform(0.0, 0.2)])
    else:
        x = side * rng.uniform(0.1, 0.6)
        yc = rng.uniform(-0.25, 0.3)
        start, end = np.array([x, yc - sgn * amp / 2, z]), np.array([x, yc + sgn * amp / 2, z])
        bulge = np.array([side * rng.uniform(-0.1, 0.15), 0, rng.uniform(-0.1, 0.2)])
        back_off = np.array([side * rng.uniform(0.1, 0.3), 0, -rng.uniform(0.0, 0.2)])
    path = hands[h]
    tt = a + rng.uniform(0.05, 0.3)
    mode = rng.random()
    if mode < 0.6:
        # "stroke and return" (as real people do it, e.g. from a hand resting on a desk or wheel): the stroke
        # starts where the hand is (at rest, or raised at any speed), goes the gesture's way and comes back
        # at 0.6-2.0x the stroke's duration (as fast as the stroke or faster, too), 15 % without return.
        # The direction is the first stroke's displacement from the start, not which way is faster.
        rest = person.rest_pose(h)
        if direction != "swipe_down" and rng.random() < 0.6:
            # straight from the resting hand (lap, desk, wheel) to the stroke's end, rising to its height on
            # the way: the displacement from rest points the gesture's way (and up, for left/right)
            origin = rest.copy()
            target = end + rng.normal(0, [0.1, 0.1, 0.05])
        else:
            # from a raised hand (swipe_down always: from rest the hand would go under the desk)
            origin = (start + rest) / 2 + rng.normal(0, [0.15, 0.15, 0.1])
            if direction == "swipe_down":
                origin = start + rng.normal(0, [0.1, 0.1, 0.05])
            raise_d = max(0.25, dur * rng.uniform(0.8, 2.6))
            tt += raise_d
            path.to(tt, origin, raise_d)
            tt += rng.uniform(0.0, 0.4)
            target = origin + sgn_vec(horiz, sgn) * amp
        reps = int(rng.integers(1, 3))
        for r in range(reps):
            tt += rng.uniform(0.0, 0.15)
            if r == 0:
                active_start = tt
            tt = active_end = stroke(path, tt, origin, target, bulge, dur)
            if r == reps - 1 and rng.random() < 0.15:
                break
            if rng.random() < 0.5:   # the hand rests at the end of the stroke for a moment
                tt += rng.uniform(0.1, 1.2)
                path.to(tt, target, 0.01)
            ret = dur * rng.uniform(0.6, 2.0)
            path.to(tt + ret, origin + rng.normal(0, 0.05, 3), ret)
            tt += ret
            active_end = tt   # the gesture lasts until the hand is back (the label until 0.8 s after that)
            if tt > b - 0.6:
                break
        tt += rng.uniform(0.1, 0.4)
        low = max(0.3, dur * rng.uniform(0.8, 2.6))
        path.to(min(b, tt + low), rest, low)
        head_glance(rng, head, t, a, b, 0.3)
        return active_start, active_end
    raise_d = max(0.35, dur * rng.uniform(1.2, 2.6))   # lifting is slower than the stroke
    out_and_back = rng.random() < 0.45
    if out_and_back:
        # lift the hand to a ready point on the stroke's line, move out against the stroke's direction,
        # stroke, and come back: people often swipe from where the hand is. Labelled from the stroke on.
        ready = start + (end - start) * rng.uniform(0.4, 0.9)
        tt += raise_d
        path.to(tt, ready, raise_d)
        tt += rng.uniform(0.0, 0.3)
        prep = dur * rng.uniform(0.8, 2.2)
        path.to(tt + prep, start, prep)
        tt += prep
        reps = 1
    else:
        tt += raise_d
        path.to(tt, start, raise_d)
    for r in range(reps):
        tt += rng.uniform(0.0, 0.2)
        if r == 0:
            active_start = tt
        tt = active_end = stroke(path, tt, start, end, bulge, dur)
        if r < reps - 1:
            ret = dur * rng.uniform(0.8, 3.0)
            path.to(tt + ret / 2, (start + end) / 2 + back_off, ret / 2)
            path.to(tt + ret, start, ret / 2)
            tt += ret
        if tt > b - 0.6:
            break
    if out_and_back:
        back = dur * rng.uniform(0.6, 2.2)
        path.to(tt + back, ready, back)
        tt += back
    tt += rng.uniform(0.1, 0.4)
    low = max(0.4, dur * rng.uniform(1.2, 2.6))
    path.to(min(b, tt + low), person.rest_pose(h), low)
    head_glance(rng, head, t, a, b, 0.3)
    return active_start, active_end


def g_push(rng, P, t, hands, head, a, b, pull, person):
    h = 1 - person.hand_now
    side = 1 if h == 0 else -1
    near = np.array([side * rng.uniform(0.15, 0.5), rng.uniform(-0.35, 0.3), rng.uniform(0.0, 0.25)])
    far = near + np.array([-side * rng.uniform(0.0, 0.25), rng.uniform(-0.1, 0.15), rng.uniform(0.75, 1.25) * person.amp])
    s0, s1 = (far, near) if pull else (near, far)
    dur = rng.uniform(0.3, 0.7) / person.tempo
    reps = int(rng.integers(1, 3))
    path = hands[h]
    # lifting to the start at any speed; the return after each stroke 0.6-2.0x the stroke's duration
    # (real people push out and pull back about as fast), 20 % of the time the hand stays out / in
    raise_d = max(0.25, dur * rng.uniform(0.8, 2.6))
    if not pull and rng.random() < 0.4:
        # pushed straight out from the resting hand (the label from there on), and back to rest
        s0 = person.rest_pose(h)
        raise_d = 0.0
    tt = a + rng.uniform(0.05, 0.3) + raise_d
    if raise_d > 0:
        path.to(tt, s0, raise_d)
    for r in range(reps):
        tt += rng.uniform(0.05, 0.25)
        if r == 0:
            active_start = tt
        path.to(tt + dur, s1, dur)
        tt += dur
        active_end = tt
        if r < reps - 1 or rng.random() < 0.8:
            if rng.random() < 0.4:   # a moment at arm's length / at the chest
                tt += rng.uniform(0.1, 0.6)
                path.to(tt, s1, 0.01)
            ret = dur * rng.uniform(0.6, 2.0)
            path.to(tt + ret, s0 + np.array([0, -rng.uniform(0.05, 0.25), 0]), ret)
            tt += ret
            active_end = tt   # the gesture lasts until the hand is back
        if tt > b - 0.6:
            break
    tt += rng.uniform(0.15, 0.5)
    low = max(0.3, dur * rng.uniform(0.8, 2.6))
    path.to(min(b, tt + low), person.rest_pose(h), low)
    return active_start, active_end


def g_wave(rng, P, t, hands, head, a, b, person):
    h = 1 - person.hand_now
    side = 1 if h == 0 else -1
    kind = rng.random()
    small = False
    if kind < 0.5:           # raised hand
        c = np.array([side * rng.uniform(0.35, 0.75), rng.uniform(0.2, 1.0), rng.uniform(0.05, 0.45)])
    elif kind < 0.75:        # "shaking" in front of the chest
        c = np.array([side * rng.uniform(0.0, 0.4), rng.uniform(-0.4, 0.1), rng.uniform(0.3, 0.7)])
    else:                    # held out to the side at chest height, shaken fast and small (as MoveNet sees
        # nvGesture's "shaking hand": the wrist keypoint barely oscillates, the hand is held out for 1.5-3 s)
        c = np.array([side * rng.uniform(0.6, 1.1), rng.uniform(-0.5, 0.1), rng.uniform(0.2, 0.5)])
        small = True
    path = hands[h]
    raise_d = rng.uniform(0.35, 0.7) / person.tempo
    t1 = a + rng.uniform(0.05, 0.3) + raise_d
    path.to(t1, c, raise_d)
    t2 = max(t1 + 0.8, b - rng.uniform(0.6, 1.0))
    path.to(t2, c, 0.01)
    low = min(0.8, b - t2)
    path.to(t2 + low, person.rest_pose(h), low)
    f = rng.uniform(1.4, 3.6) if not small else rng.uniform(2.5, 4.5)
    A = (rng.uniform(0.12, 0.4) if not small else rng.uniform(0.04, 0.15)) * person.amp
    env = window(t, t1 - 0.1, t2, 0.15)
    ph = 2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)
    path.off[:, 0] += env * A * np.sin(ph)
    path.off[:, 1] += env * A * rng.uniform(0, 0.35) * np.cos(2 * ph)
    path.off[:, 2] += env * A * rng.uniform(0, 0.3) * np.sin(ph)
    return t1, t2


def g_clap(rng, P, t, hands, head, a, b, person):
    y, z = rng.uniform(-0.45, 0.25), rng.uniform(0.3, 0.7)
    xc = rng.uniform(-0.15, 0.15)
    gap = rng.uniform(0.25, 0.5) * person.amp
    raise_d = rng.uniform(0.35, 0.7) / person.tempo
    t1 = a + rng.uniform(0.05, 0.3) + raise_d
    t2 = max(t1 + 0.8, b - rng.uniform(0.6, 1.0))
    f = rng.uniform(1.4, 3.2)
    env = window(t, t1 - 0.05, t2, 0.1)
    osc = 0.5 * (1 + np.cos(2 * np.pi * f * (t - t1)))      # 1 apart .. 0 together
    for h in range(2):
        side = 1 if h == 0 else -1
        c = np.array([xc + side * 0.06, y, z])
        hands[h].to(t1, c + np.array([side * gap, 0, 0]), raise_d)
        hands[h].to(t2, c + np.array([side * gap, 0, 0]), 0.01)
        low = min(0.8, b - t2)
        hands[h].to(t2 + low, P.rest_pose(h), low)
        hands[h].off[:, 0] += env * side * gap * (osc - 1)
        hands[h].off[:, 2] += env * 0.05 * (1 - osc)
    return t1, t2


def head_glance(rng, head, t, a, b, p):
    if rng.random() < p:
        c = rng.uniform(a, b)
        d = rng.uniform(0.3, 1.0)
        head["yaw"] += window(t, c, c + d, 0.25) * math.radians(rng.uniform(-35, 35))


def idle(rng, P, t, hands, head, torso, a, b, person):
    """One `none` behaviour over [a, b)."""
    kind = rng.choice(["still", "talking", "head_turn", "scratch", "typing", "wheel", "drink", "reach", "lean",
                       "cross", "chin", "stretch", "fidget"],
                      p=[0.1, 0.12, 0.1, 0.08, 0.08, 0.07, 0.07, 0.07, 0.08, 0.05, 0.06, 0.03, 0.09])
    h = int(rng.integers(2))
    side = 1 if h == 0 else -1
    dur = b - a
    if kind == "talking":
        f = rng.uniform(2, 5)
        head["pitch"] += window(t, a, b, 0.3) * math.radians(rng.uniform(2, 7)) * np.sin(2 * np.pi * f * t)
        head["yaw"] += window(t, a, b, 0.3) * math.radians(rng.uniform(3, 12)) * np.sin(2 * np.pi * f / 3 * t + 1)
        if rng.random() < 0.6:   # small hand movements while talking
            c = np.array([side * rng.uniform(0.1, 0.5), rng.uniform(-0.8, -0.3), rng.uniform(0.3, 0.6)])
            hands[h].to(a + 0.7, c, 0.6)
            amp = rng.uniform(0.04, 0.15)
            hands[h].off += window(t, a + 0.7, b - 0.7, 0.3)[:, None] * amp * np.stack(
                [np.sin(2 * np.pi * rng.uniform(0.7, 2) * t), np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * t + 2),
                 0.5 * np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * t)], 1)
            hands[h].to(b, person.rest_pose(h), min(0.7, dur / 3))
    elif kind == "head_turn":
        c = rng.uniform(a, max(a, b - 1.5))
        head["yaw"] += window(t, c, c + rng.uniform(0.5, 2.0), 0.4) * math.radians(rng.uniform(-60, 60))
        head["pitch"] += window(t, c, c + rng.uniform(0.5, 1.5), 0.4) * math.radians(rng.uniform(-15, 15))
    elif kind in ("scratch", "chin", "drink"):
        if kind == "scratch":
            c = np.array([side * rng.uniform(0.0, 0.25), person.head_h + rng.uniform(-0.2, 0.25), rng.uniform(0.0, 0.2)])
        elif kind == "chin":
            c = np.array([side * rng.uniform(-0.05, 0.1), person.head_h - rng.uniform(0.15, 0.3), rng.uniform(0.1, 0.3)])
        else:
            c = np.array([side * rng.uniform(0.0, 0.1), person.head_h - rng.uniform(0.05, 0.15), rng.uniform(0.15, 0.35)])
        go = rng.uniform(0.5, 1.1)
        t1 = a + rng.uniform(0, 0.3) + go
        hands[h].to(t1, c, go)
        hold = max(t1 + 0.3, b - go - rng.uniform(0, 0.3))
        hands[h].to(hold, c, 0.01)
        hands[h].to(min(b, hold + go), person.rest_pose(h), go)
        if kind == "scratch":
            f, amp = rng.uniform(3, 7), rng.uniform(0.015, 0.07)
            hands[h].off[:, 0] += window(t, t1, hold, 0.1) * amp * np.sin(2 * np.pi * f * t)
            hands[h].off[:, 1] += window(t, t1, hold, 0.1) * amp * 0.6 * np.cos(2 * np.pi * f * t)
        if kind == "drink":
            head["pitch"] += window(t, t1, hold, 0.3) * math.radians(rng.uniform(-20, -5))
    elif kind == "typing":
        for hh in range(2):
            s = 1 if hh == 0 else -1
            hands[hh].to(a + 0.6, person.rest_pose(hh, "typing"), 0.6)
            hands[hh].off += window(t, a + 0.6, b, 0.2)[:, None] * np.stack(
                [0.03 * np.sin(2 * np.pi * rng.uniform(2, 6) * t + s), 0.02 * np.sin(2 * np.pi * rng.uniform(3, 8) * t),
                 np.zeros_like(t)], 1) * rng.uniform(0.5, 2)
        head["pitch"] += window(t, a, b, 0.4) * math.radians(rng.uniform(-15, 0))
    elif kind == "wheel":
        ang = window(t, a + 0.5, b, 0.4) * math.radians(rng.uniform(-25, 25)) * np.sin(2 * np.pi * rng.uniform(0.15, 0.5) * t)
        for hh in range(2):
            s = 1 if hh == 0 else -1
            base = person.rest_pose(hh, "wheel")
            hands[hh].to(a + 0.6, base, 0.6)
            hands[hh].off[:, 1] += -s * 0.45 * np.sin(ang)
    elif kind == "reach":     # slow reach for something on the desk, and back
        tgt = np.array([side * rng.uniform(0.5, 1.3), rng.uniform(-1.0, -0.3), rng.uniform(0.4, 0.9)])
        go = rng.uniform(1.0, 2.0)
        t1 = a + rng.uniform(0, 0.4) + go
        hands[h].to(t1, tgt, go)
        hands[h].to(min(b, t1 + 0.3 + go), person.rest_pose(h), go)
    elif kind == "lean":
        c = rng.uniform(a, max(a, b - 2.0))
        torso["z"] += window(t, c, c + rng.uniform(0.8, 2.5), rng.uniform(0.4, 1.0)) * rng.uniform(-0.9, 0.6)
        torso["y"] += window(t, c, c + 1.0, 0.5) * rng.uniform(-0.1, 0.05)
    elif kind == "cross":
        for hh in range(2):
            hands[hh].to(a + 1.0, person.rest_pose(hh, "crossed"), rng.uniform(0.6, 1.0))
            hands[hh].to(b, person.rest_pose(hh, "crossed"), 0.01)
    elif kind == "stretch":
        go = rng.uniform(0.8, 1.5)
        for hh in range(2):
            s = 1 if hh == 0 else -1
            top = np.array([s * rng.uniform(0.3, 0.6), rng.uniform(1.2, 1.7), rng.uniform(-0.1, 0.2)])
            hands[hh].to(a + go, top, go)
            hands[hh].to(min(b, a + 2 * go + 0.5), person.rest_pose(hh), go)
    elif kind == "fidget":   # small, slow hand repositioning near rest
        for tt in np.sort(rng.uniform(a, b, int(rng.integers(1, 4)))):
            hands[h].to(tt, person.rest_pose(h) + rng.normal(0, [0.12, 0.1, 0.1]), rng.uniform(0.5, 1.2))
    head_glance(rng, head, t, a, b, 0.3)


# ------------------------------------------------------------------------------------------------

def make_clip(seed, seconds, heldout, none_only=False):
    rng = np.random.default_rng(seed)
    person, cam = Person(rng, heldout), Camera(rng, heldout)
    fps = cam.fps
    N = int(round(seconds * fps))
    t = np.arange(N) / fps
    hands = [Path(t, person.rest_pose(0)), Path(t, person.rest_pose(1))]
    head = {"yaw": np.full(N, math.radians(rng.uniform(-10, 10))), "pitch": np.full(N, math.radians(rng.uniform(-8, 8)))}
    torso = {"z": np.zeros(N), "y": np.zeros(N)}
    segments, nobody = [], np.zeros(N, bool)
    # segment plan: none, gesture, none, gesture, ... (balanced gestures per clip)
    order = list(rng.permutation(GESTURES)) if not none_only else []
    tt = 0.0
    plan = []
    while tt < seconds - 0.5:
        dn = rng.uniform(1.2, 3.0) if not none_only else seconds
        plan.append(("none", tt, min(seconds, tt + dn)))
        tt += dn
        if order and tt < seconds - 1.5:
            g = order.pop()
            dg = rng.uniform(2.2, 4.0) if g not in ("wave", "clap") else rng.uniform(2.2, 4.2)
            plan.append((g, tt, min(seconds, tt + dg)))
            tt += dg
    for lab, a, b in plan:
        person.hand_now = 0 if person.right_handed else 1
        if rng.random() < 0.2:
            person.hand_now = 1 - person.hand_now
        act = (a, b)
        if lab == "none":
            # one or two behaviours; sometimes nobody there (the person left or the camera is covered)
            if rng.random() < (0.12 if not none_only else 0.4) and b - a > 1.5:
                c = rng.uniform(a, b - 1.0)
                nobody[(t >= c) & (t < min(b, c + rng.uniform(1.0, 4.0)))] = True
            k = 2 if b - a > 3 and rng.random() < 0.5 else 1
            edges = np.linspace(a, b, k + 1)
            for i in range(k):
                idle(rng, person, t, hands, head, torso, edges[i], edges[i + 1], person)
        elif lab.startswith("swipe"):
            act = g_swipe(rng, person, t, hands, head, a, b, lab, person)
        elif lab in ("push", "pull"):
            act = g_push(rng, person, t, hands, head, a, b, lab == "pull", person)
        elif lab == "wave":
            act = g_wave(rng, person, t, hands, head, a, b, person)
        else:
            act = g_clap(rng, person, t, hands, head, a, b, person)
        # The gesture's label starts 0.1 s before its first stroke / oscillation (raising the hand or moving
        # it out before it is `none`) and lasts until 0.8 s after the last one (0.5 s for wave/clap), while the stroke is
        # still in the model's 1.2 s window; lowering the hand after that is `none`. The first 0.5 s of a
        # segment are not trained on (train.py ignore_s).
        g0 = max(a, act[0] - 0.1) if lab != "none" else a
        end = min(b, act[1] + (0.5 if lab in ("wave", "clap") else 0.8)) if lab != "none" else b
        for lab2, a2, b2 in (("none", a, g0), (lab, g0, end), ("none", end, b)):
            if b2 - a2 < 1e-3:
                continue
            if segments and segments[-1]["label"] == lab2 and abs(segments[-1]["end"] - round(float(a2), 4)) < 1e-3:
                segments[-1]["end"] = round(float(b2), 4)
            else:
                segments.append({"start": round(float(a2), 4), "end": round(float(b2), 4), "label": str(lab2)})
    keep = None
    if DROP_SHARE > 0:
        rd = np.random.default_rng([seed, 4242])     # its own stream: all other draws stay as without drops
        if rd.random() < DROP_SHARE:
            keep = live_analysed(rd, t)
    kp, hand_obs = render(rng, person, cam, t, hands, head, torso, nobody, keep)
    meta = {"fps": fps, "size": [cam.W, cam.H], "segments": segments, "rest": str(person.rest),
            "right_handed": bool(person.right_handed)}
    if keep is not None:
        meta["analysed_frames"] = int(keep.sum())
    return kp, hand_obs, meta


def live_analysed(rd, t):
    """Which frames the live app analyses when the pose network cannot keep up with the camera: the
    network takes `cost` s a frame (the machine's capacity: 20-36 frames per s, +-20 % per frame, more
    on the first analysed frame of a token slot, where the hand networks run), at most one frame waits
    (the newest; app/pipeline: DropOldest, capacity 1) and the older waiting ones are dropped. Idle,
    on the 2-core machine the app analyses 26-27 of 30 frames per s; under load fewer."""
    N = len(t)
    cap = rd.uniform(20.0, 36.0)
    cost = np.exp(rd.normal(0, 0.2, N)) / cap
    hand_extra = rd.uniform(0.0, 0.02, N)
    keep = np.zeros(N, bool)
    busy, pending, last_slot = -1.0, -1, 0

    def start(i, at):
        nonlocal last_slot
        keep[i] = True
        slot = max(1, math.ceil(t[i] / 0.1 - 1e-6))
        extra = hand_extra[i] if slot != last_slot else 0.0
        last_slot = slot
        return at + cost[i] + extra

    for i in range(N):
        if pending >= 0 and busy <= t[i]:
            busy, pending = start(pending, busy), -1
        if pending < 0 and busy <= t[i]:
            busy = start(i, t[i])
        else:
            pending = i                 # the older waiting frame (if any) is dropped
    if pending >= 0:
        start(pending, busy)
    return keep


def render(rng, person, cam, t, hands, head, torso, nobody, keep=None):
    N = len(t)
    fps = cam.fps
    # torso: sway, breathing, yaw, lean
    sway = np.stack([smooth_noise(rng, N, fps, 1.5, 0.04), smooth_noise(rng, N, fps, 2.0, 0.02)
                     + 0.008 * np.sin(2 * np.pi * rng.uniform(0.2, 0.35) * t), torso["z"] + smooth_noise(rng, N, fps, 3.0, 0.08)], 1)
    sway[:, 1] += torso["y"]
    tyaw = smooth_noise(rng, N, fps, 3.0, math.radians(5)) + math.radians(person.turn)
    J = np.zeros((N, 17, 3))
    S = np.array([[0.5, 0, 0], [-0.5, 0, 0]])
    J[:, 5] = rot_y(np.tile(S[0], (N, 1)), tyaw)
    J[:, 6] = rot_y(np.tile(S[1], (N, 1)), tyaw)
    J[:, 11] = rot_y(np.tile([person.hip_x, person.hip_y, -0.1], (N, 1)), tyaw * 0.5)
    J[:, 12] = rot_y(np.tile([-person.hip_x, person.hip_y, -0.1], (N, 1)), tyaw * 0.5)
    for k, (x, y) in zip(range(13, 17), [(0.3, -2.6), (-0.3, -2.6), (0.3, -3.6), (-0.3, -3.6)]):
        J[:, k] = np.array([x, y, 0.3])
    # head: points in the head frame, rotated by yaw and pitch, around the head centre above the neck
    hc = np.array([0, person.head_h, 0.05])
    hp = {0: [0, 0, 0.18], 1: [0.08, 0.07, 0.14], 2: [-0.08, 0.07, 0.14], 3: [0.2, 0.03, -0.02], 4: [-0.2, 0.03, -0.02]}
    yaw = head["yaw"] + tyaw + smooth_noise(rng, N, fps, 1.0, math.radians(3))
    pitch = head["pitch"] + smooth_noise(rng, N, fps, 1.0, math.radians(2))
    ear_behind = np.zeros((N, 2), bool)
    for k, p in hp.items():
        q = rot_y(rot_x(np.tile(p, (N, 1)), pitch), yaw)
        J[:, k] = hc + q
        if k in (3, 4):
            ear_behind[:, k - 3] = q[:, 2] < -0.06
    # arms
    away = np.zeros((N, 2), bool)      # the hand is more than 0.3 shoulder widths from where it rests
    for h in range(2):
        side = 1 if h == 0 else -1
        Wp = hands[h].eval()
        E, Wc = ik_elbow(J[:, 5 + h], Wp, person.ua, person.fa, side)
        J[:, 7 + h], J[:, 9 + h] = E, Wc
        away[:, h] = np.linalg.norm(Wc - person.rest_pose(h), axis=1) > 0.3
    J = J + sway[:, None, :]
    # perspective projection (X = the person's left = image right)
    k = cam.Z0 / np.maximum(cam.Z0 - J[..., 2], 0.8)
    x = J[..., 0] * k * cam.sw
    y = -J[..., 1] * k * cam.sw
    cr, sr = math.cos(cam.roll), math.sin(cam.roll)
    px = cam.cx + cr * x - sr * y
    py = cam.cy + sr * x + cr * y
    # detector model
    nz = NOISE
    # per clip: camera/lighting quality (a desk webcam in daylight scores higher and jitters less than
    # the measured car-simulator clips)
    quality = rng.uniform(-0.05, 0.3)
    jit = np.array([nz["jitter"][g] for g in GROUP]) * cam.sw * math.exp(rng.uniform(-0.7, 0.3))
    a = nz["ar"] ** (30.0 / fps)
    e = rng.normal(0, 1, (N, 17, 2)) * jit[None, :, None] * math.sqrt(1 - a * a)
    acc = rng.normal(0, 1, (17, 2)) * jit[:, None]
    noise = np.empty_like(e)
    for i in range(N):
        acc = a * acc + e[i]
        noise[i] = acc
    # fast hands blur: extra jitter and lower scores
    speed = np.zeros((N, 17))
    speed[1:] = np.hypot(np.diff(px, axis=0), np.diff(py, axis=0)) * fps / cam.sw    # shoulder widths / s
    blur = np.clip((speed - 1.5) / 4.0, 0, 1)
    noise += rng.normal(0, 1, (N, 17, 2)) * (0.04 * cam.sw * blur)[..., None]
    px, py = px + noise[..., 0], py + noise[..., 1]
    mean = np.array([nz["score_visible"][g][0] for g in GROUP])
    std = np.array([nz["score_visible"][g][1] for g in GROUP])
    base = np.clip(mean + quality + std * smooth_noise_2d(rng, N, 17, fps, 0.7), 0.02, 0.98)
    score = np.clip(base + rng.normal(0, 0.03, (N, 17)) - 0.25 * blur, 0.01, 0.99)
    hidden = (px < -0.02 * cam.W) | (px > 1.02 * cam.W) | (py < -0.02 * cam.H) | (py > 1.02 * cam.H)
    hidden[:, 9:11] |= J[:, 9:11, 1] < person.desk_y
    hidden[:, 7:9] |= J[:, 7:9, 1] < person.desk_y - 0.3
    hidden[:, 3:5] |= ear_behind
    hidden[:, 13:] = True
    # a hand close to the camera (pushed out) is large, blurred and often cut: MoveNet loses the wrist
    # (low scores, jumps) and the elbow less so
    near = np.clip((J[:, 9:11, 2] - J[:, 5:7, 2] - 0.5) / 0.5, 0, 1)
    score[:, 9:11] -= near * rng.uniform(0.1, 0.45)
    score[:, 7:9] -= near * rng.uniform(0.0, 0.15)
    score = np.clip(score, 0.01, 0.99)
    jump = near * (rng.random((N, 2)) < 0.3)
    px[:, 9:11] += jump * rng.normal(0, 0.25 * cam.sw, (N, 2))
    py[:, 9:11] += jump * rng.normal(0, 0.25 * cam.sw, (N, 2))
    hs = np.clip(rng.normal(nz["score_hidden"][0], nz["score_hidden"][1], (N, 17)), 0.01, 0.5)
    score = np.where(hidden, hs, score)
    px = np.where(hidden, np.clip(px, 0, cam.W - 1) + rng.normal(0, 0.05 * cam.sw, (N, 17)), px)
    py = np.where(hidden, np.clip(py, 0, cam.H - 1) + rng.normal(0, 0.05 * cam.sw, (N, 17)), py)
    # both wrist keypoints on one hand (seen on the real clips: with hands on a wheel, or one hand hidden,
    # MoveNet often puts the weaker wrist onto the other one): stretches of 0.3-3 s, low scores
    if rng.random() < 0.35:
        for _ in range(int(rng.integers(1, 5))):
            i0 = int(rng.integers(0, N))
            L = int(rng.uniform(0.3, 3.0) * fps)
            src = int(rng.integers(0, 2))
            sl = slice(i0, min(N, i0 + L))
            px[sl, 10 - src] = px[sl, 9 + src] + rng.normal(0, 0.08 * cam.sw, px[sl, 9].shape)
            py[sl, 10 - src] = py[sl, 9 + src] + rng.normal(0, 0.08 * cam.sw, py[sl, 9].shape)
            score[sl, 10 - src] = rng.uniform(0.08, 0.4, score[sl, 9].shape)
    # drop-outs of 1-5 frames
    dr = np.array([nz["dropout_rate"][g] for g in GROUP])
    starts = rng.random((N, 17)) < dr[None, :] / 3.0 * (30.0 / fps)
    for i, j in zip(*np.nonzero(starts)):
        L = int(rng.integers(1, 6)) * max(1, int(round(fps / 30)))
        score[i:i + L, j] = rng.uniform(0.02, 0.25)
    # left/right swaps (wrists or elbows) and outliers
    for i in np.nonzero(rng.random(N) < nz["swap_rate"])[0]:
        a2 = int(rng.choice([7, 9]))
        px[i, [a2, a2 + 1]] = px[i, [a2 + 1, a2]]
        py[i, [a2, a2 + 1]] = py[i, [a2 + 1, a2]]
    fr = 30.0 / fps                       # rates are per frame at 30 fps
    orate = np.array([nz["outlier_rate"][g] for g in GROUP]) * fr
    for i, j in zip(*np.nonzero(rng.random((N, 17)) < orate[None, :])):
        px[i, j] += rng.normal(0, 0.8 * cam.sw)
        py[i, j] += rng.normal(0, 0.8 * cam.sw)
        score[i, j] = rng.uniform(0.1, 0.45)
    wrate = np.array([nz["wander_rate"][g] for g in GROUP]) * fr
    for i, j in zip(*np.nonzero(rng.random((N, 17)) < wrate[None, :])):
        L = int(rng.integers(3, 21) / fr)
        ang, r = rng.uniform(0, 2 * np.pi), rng.uniform(0.3, 1.0) * cam.sw
        px[i:i + L, j] += r * math.cos(ang) + rng.normal(0, 0.05 * cam.sw, len(px[i:i + L]))
        py[i:i + L, j] += r * math.sin(ang) + rng.normal(0, 0.05 * cam.sw, len(py[i:i + L]))
        score[i:i + L, j] = np.minimum(score[i:i + L, j], rng.uniform(0.1, 0.35))
    kp = np.stack([px, py, score], 2).astype(np.float32)
    miss = nobody | (rng.random(N) < nz["frame_miss_rate"])
    kp[miss] = 0.0
    hand_obs = hand_observations(rng, kp, t, k[:, 9:11], hidden[:, 9:11], cam.sw, away, keep)
    if keep is not None:
        kp[~keep] = np.nan            # never analysed (colive-extract --keypoints skips NaN rows)
    return kp, hand_obs


def hand_observations(rng, kp, t, depth_k, hidden, sw, away=None, keep=None):
    """What the hand landmark network reports (pose-kp-v3, colive/hand.h): (N, 2, 3) per frame and arm (the
    person's left first): looked, present, size px. As the app runs it: on the first frame of each 0.1 s
    token slot (colive::SlotGate), on a crop placed from the wrist and elbow keypoints, so only where both
    scores are >= 0.2 and the forearm is >= 4 px long (HandLandmarks::crop). Found with the probability
    measured on the real clips (HAND["presence_logit"], a logistic fit of "found" on the wrist and elbow
    scores over 442 crops: 13 % at wrist scores 0.2-0.3, 48 % at 0.4-0.5, 80 % above 0.6), never when the
    hand is hidden (below the desk, out of view). Size: wrist -> middle-finger MCP, HAND["size"] shoulder
    widths (real clips: median 0.47, 5-95 % 0.34-0.69) x a per-person factor x the hand's perspective
    scale (a hand close to the camera is larger) x per-observation noise (real: 12 % between successive
    observations)."""
    N = len(t)
    out = np.zeros((N, 2, 3), np.float32)
    hp = HAND
    person_f = np.exp(rng.normal(0, hp["size_person_sd"], 2))
    u = rng.random((N, 2))
    noise = np.exp(rng.normal(0, hp["size_noise_sd"], (N, 2)))
    finder = HAND_ROUTE == "finder" and away is not None
    ud = rng.random((N, 2)) if finder else None
    last = 0
    for i in range(N):
        if keep is not None and not keep[i]:
            continue                   # a dropped frame: the first analysed frame of the slot looks instead
        slot = max(1, math.ceil(t[i] / 0.1 - 1e-6))
        if slot == last:
            continue
        last = slot
        for h in range(2):
            w, e = kp[i, 9 + h], kp[i, 7 + h]
            found = False
            if not (w[2] < 0.2 or e[2] < 0.2 or math.hypot(w[0] - e[0], w[1] - e[1]) < 4.0):
                out[i, h, 0] = 1
                a, bw, be = hp["presence_logit"]
                p = 0.0 if hidden[i, h] else 1.0 / (1.0 + math.exp(-(a + bw * w[2] + be * e[2])))
                found = u[i, h] < p
            if not found and finder and kp[i, 7 + h, 2] >= 0.1 and not hidden[i, h]:
                # HandFinder (pose-kp-v4): tracking and the hand detector find a hand the wrist crop missed
                found = ud[i, h] < (hp["finder_p_away"] if away[i, h] else hp["finder_p_rest"])
                out[i, h, 0] = out[i, h, 0] or found
            if found:
                out[i, h, 1] = 1
                out[i, h, 2] = hp["size"] * person_f[h] * depth_k[i, h] * sw * noise[i, h]
    return out


def smooth_noise_2d(rng, N, K, fps, tau):
    a = math.exp(-1.0 / (fps * tau))
    out = np.empty((N, K))
    acc = rng.normal(0, 1, K)
    e = rng.normal(0, math.sqrt(1 - a * a), (N, K))
    for i in range(N):
        acc = a * acc + e[i]
        out[i] = acc
    return out


def generate(out, clips, heldout_clips, seconds, seed, none_clips):
    os.makedirs(os.path.join(out, "kp"), exist_ok=True)
    rows = []
    rs = np.random.default_rng(seed)
    test = set(rs.choice(clips, size=int(round(0.15 * clips)), replace=False).tolist())
    jobs = [("train" if i not in test else "random-test", seed * 1000 + i, False) for i in range(clips)]
    jobs += [("train", seed * 1000 + 500 + i, True) for i in range(none_clips)]
    jobs += [("heldout", (seed + 77) * 1000 + i, False) for i in range(heldout_clips)]
    for n, (split, s, none_only) in enumerate(jobs):
        kp, hand_obs, meta = make_clip(s, seconds, split == "heldout", none_only)
        name = f"kp/{split}-{n:04d}.npy"
        np.save(os.path.join(out, name), kp)
        np.save(os.path.join(out, name[:-4] + ".hands.npy"), hand_obs)
        rows.append({"file": name, "split": split, "seed": int(s), **meta})
        if (n + 1) % 50 == 0:
            print(f"gen_pose: {n + 1}/{len(jobs)}", flush=True)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"classes": CLASSES, "seconds": seconds, "kind": "pose", "noise": NOISE, "hand": HAND, "clips": rows}, f, indent=1)
    print(f"gen_pose: {len(rows)} clips -> {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--clips", type=int, default=300)
    ap.add_argument("--none-clips", type=int, default=30, help="extra training clips of `none` behaviour only")
    ap.add_argument("--heldout-clips", type=int, default=48)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=9001)
    ap.add_argument("--hand-route", choices=["wrist", "finder"], default="wrist",
                    help="hand observations as the app finds them for pose-kp-v3 (wrist crop; default) or pose-kp-v4 "
                         "(HandFinder: + tracking and the hand detector)")
    ap.add_argument("--drop-frames", type=float, default=0.0,
                    help="share of clips analysed as the live app does when the pose network falls behind "
                         "(frames dropped before it; default 0: every frame)")
    a = ap.parse_args()
    global HAND_ROUTE, DROP_SHARE
    HAND_ROUTE = a.hand_route
    DROP_SHARE = a.drop_frames
    generate(a.out, a.clips, a.heldout_clips, a.seconds, a.seed, a.none_clips)


if __name__ == "__main__":
    main()
