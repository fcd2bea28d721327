#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reference pose-kp-v1/-v2/-v3 tokens in numpy, written from the layout in core/include/colive/pose_tokens.h
(not from the C++ code), and the golden files tests/features checks PoseTokenizer against.

The frame loop keeps the person frame (log shoulder-width scale and centre, both smoothed with
exponential time constants) per frame; the token loop works on whole arrays of the token's frames.

Writes (small, float32 .npy) into tests/golden/features/ (default):
  pose_kp_<name>.npy       (T, 17, 3) keypoints: x px, y px, score (a row of zero scores = nobody)
  pose_tokens_<name>.npy   (K, 128) expected tokens (pose_tokens_v2_/_v3_<name>.npy: pose-kp-v2 / -v3)
  pose_hands_<name>.npy    (T, 2, 3) hand observations per arm: looked, present, size px (pose-kp-v3)
for trajectories: "gestures" (30 fps, 640x480: a swipe, a push, a wave, a missing wrist, a gap with
nobody), "fps15" (the same person at 15 fps, 320x240, a shoulder missing for a while).

Usage: /usr/bin/python3 scripts/pose_tokens_reference.py [--out DIR]
"""
import argparse
import math
import os

import numpy as np

DIM = 128
THR = 0.2
RATE = 10.0
USED = 13


def tokens(kp, times, thr=THR, rate=RATE, version=1, hands=None):
    """kp (T, 17, 3) float, times (T,) seconds (increasing, no gaps over 2 s) -> (K, 128) float64
    (pose-kp-v1) or (K, 190) (version 2: pose-kp-v2 = v1 + the rest-relative block) or (K, 217)
    (version 3: v2 + the hand block; hands (T, 2, 3): looked, present, size px per arm, or None)."""
    T_ = 1.0 / rate
    t0 = times[0]
    # ---- per frame: usable flag, normalised coordinates, visibility
    ls = None
    t_scale = None
    c = None
    t_c = None
    frames = []
    for i in range(len(times)):
        t = float(times[i])
        k = kp[i].astype(np.float64)
        present = bool((kp[i, :, 2] > 0).any())
        vis = present & (k[:, 2] >= thr) & np.isfinite(k[:, 0]) & np.isfinite(k[:, 1])
        sw = 0.0
        if present and vis[5] and vis[6]:
            sw = math.hypot(k[5, 0] - k[6, 0], k[5, 1] - k[6, 1])
            if sw > 0:
                raw = math.log(sw)
                if ls is None or t - t_scale > 2.0:
                    ls = raw
                else:
                    a = 1 - math.exp(-(t - t_scale) / 0.5)
                    ls = ls + a * (min(max(raw, ls - 0.25), ls + 0.25) - ls)
                t_scale = t
        usable = False
        if present and ls is not None:
            S = math.exp(ls)
            q = None
            if vis[5] and vis[6]:
                q = (k[5, :2] + k[6, :2]) / 2
            elif vis[5]:
                q = k[5, :2] - np.array([S / 2, 0])
            elif vis[6]:
                q = k[6, :2] + np.array([S / 2, 0])
            if q is not None:
                if c is None or t - t_c > 2.0:
                    c = q.copy()
                else:
                    a = 1 - math.exp(-(t - t_c) / 0.15)
                    c = c + a * (q - c)
                t_c = t
            usable = c is not None
        f = {"t": t, "present": present, "usable": usable, "ls": ls}
        if usable:
            S = math.exp(ls)
            f["u"] = (k[:USED, 0] - c[0]) / S
            f["v"] = -(k[:USED, 1] - c[1]) / S
            f["vis"] = vis[:USED].copy()
            f["score"] = k[:USED, 2].copy()
            f["ratio"] = sw / S if sw > 0 else None
            f["hlook"] = np.zeros(2)
            f["hseen"] = np.zeros(2)
            f["hsize"] = np.zeros(2)
            if hands is not None:
                for h in range(2):
                    if hands[i, h, 0] > 0:
                        f["hlook"][h] = 1
                        if hands[i, h, 1] > 0:
                            f["hseen"][h] = 1
                            f["hsize"][h] = hands[i, h, 2] / S
        frames.append(f)
    # ---- assign frames to token slots: slot k covers (t0 + (k-1) T, t0 + k T]
    slot_of = [max(1, math.ceil((f["t"] - t0) / T_ - 1e-6)) for f in frames]
    K = slot_of[-1]
    if (frames[-1]["t"] - t0) / T_ < K - 1e-6:
        K -= 1                                    # the last slot is not complete yet
    out = np.zeros((K, DIM))
    hist = []                                     # per token: dict of positions, visibility, ...
    last_usable_t = None
    prev_obs = None
    for kk in range(1, K + 1):
        fs = [f for f, s in zip(frames, slot_of) if s == kk]
        t_tok = t0 + kk * T_
        if fs:
            us = [f for f in fs if f["usable"]]
            if us:
                last_usable_t = us[-1]["t"]
            n = len(fs)
            vis_cnt = np.sum([f["vis"] for f in us], 0) if us else np.zeros(USED)
            obs = {
                "n": n, "nu": len(us), "vis_cnt": vis_cnt,
                "u": np.sum([np.where(f["vis"], f["u"], 0) for f in us], 0) if us else np.zeros(USED),
                "v": np.sum([np.where(f["vis"], f["v"], 0) for f in us], 0) if us else np.zeros(USED),
                "score": np.sum([f["score"] for f in us], 0) if us else np.zeros(USED),
                "ratios": [f["ratio"] for f in us if f["ratio"] is not None],
                "ls": fs[-1]["ls"],
                "hlook": np.sum([f["hlook"] for f in us], 0) if us else np.zeros(2),
                "hseen": np.sum([f["hseen"] for f in us], 0) if us else np.zeros(2),
                "hsize": np.sum([f["hsize"] for f in us], 0) if us else np.zeros(2),
            }
            prev_obs = obs
        else:
            obs = prev_obs
        present = obs["nu"] > 0
        visb = obs["vis_cnt"] > 0
        pos = np.zeros((USED, 2))
        if present:
            pos[visb, 0] = obs["u"][visb] / obs["vis_cnt"][visb]
            pos[visb, 1] = obs["v"][visb] / obs["vis_cnt"][visb]
        e = {"present": present, "vis": visb & present, "pos": pos, "ls": obs["ls"],
             "hlook": (obs["hlook"] > 0) & present, "hseen": (obs["hseen"] > 0) & present,
             "hsize": np.where((obs["hseen"] > 0) & present, obs["hsize"] / np.maximum(obs["hseen"], 1), 0.0)}
        prev = hist[-1] if hist else None
        hist.append(e)

        def vel(j, e=e, prev=prev):
            if e["vis"][j] and prev is not None and prev["vis"][j]:
                return (e["pos"][j] - prev["pos"][j]) / T_
            return None

        def fl(q, h):
            w, el = (9, 7) if h == 0 else (10, 8)
            if q["vis"][w] and q["vis"][el]:
                return float(np.linalg.norm(q["pos"][w] - q["pos"][el]))
            return None

        def wd(q):
            if q["vis"][9] and q["vis"][10]:
                return float(np.linalg.norm(q["pos"][9] - q["pos"][10]))
            return None

        e["wvel"] = [vel(9), vel(10)]
        e["fl"] = [fl(e, 0), fl(e, 1)]
        e["flr"] = [(e["fl"][h] - prev["fl"][h]) / T_ if (e["fl"][h] is not None and prev is not None and prev["present"]
                                                          and prev["fl"][h] is not None) else None for h in range(2)]
        e["wd"] = wd(e)
        e["wd_rate"] = (e["wd"] - prev["wd"]) / T_ if (e["wd"] is not None and prev is not None
                                                        and prev["present"] and prev["wd"] is not None) else None
        x = out[kk - 1]
        H = hist[-10:]
        back = hist[-6] if len(hist) >= 6 else None
        if present:
            for j in range(USED):
                x[4 * j:4 * j + 2] = pos[j]
                x[4 * j + 2] = obs["vis_cnt"][j] / obs["n"]
                x[4 * j + 3] = obs["score"][j] / obs["nu"]
            for i, j in enumerate([0, 7, 8, 9, 10]):
                v = vel(j)
                if v is not None:
                    x[52 + 2 * i:54 + 2 * i] = v
            feats = []
            for h in range(2):
                o = 62 + 10 * h
                s_, el, w = (5, 7, 9) if h == 0 else (6, 8, 10)
                V, P = e["vis"], pos
                if V[w] and V[s_]:
                    x[o:o + 2] = P[w] - P[s_]
                if e["fl"][h] is not None:
                    x[o + 2:o + 4] = P[w] - P[el]
                    x[o + 4] = e["fl"][h]
                    if e["flr"][h] is not None:
                        x[o + 7] = e["flr"][h]
                if V[el] and V[s_]:
                    x[o + 5] = np.linalg.norm(P[el] - P[s_])
                if V[s_] and V[el] and V[w]:
                    a, b = P[s_] - P[el], P[w] - P[el]
                    na, nb = np.linalg.norm(a), np.linalg.norm(b)
                    if na > 1e-3 and nb > 1e-3:
                        x[o + 6] = a @ b / (na * nb)
                if V[w] and V[0]:
                    x[o + 8:o + 10] = P[w] - P[0]
                hf = np.zeros(9)
                vels = [q["wvel"][h] for q in H if q["wvel"][h] is not None]
                hf[0] = sign_flips([v[0] for v in vels]) / 9
                hf[1] = sign_flips([v[1] for v in vels]) / 9
                ws = np.array([q["pos"][w] for q in H if q["present"] and q["vis"][w]])
                if len(ws) >= 2:
                    hf[2:4] = ws.std(0)
                if back is not None and V[w] and back["present"] and back["vis"][w]:
                    hf[4:6] = P[w] - back["pos"][w]
                sp = [float(np.linalg.norm(v)) for v in vels]
                hf[6] = sum(sp) * T_
                hf[7] = max(sp) if sp else 0.0
                if back is not None and e["fl"][h] is not None and back["present"] and back["fl"][h] is not None:
                    hf[8] = e["fl"][h] - back["fl"][h]
                x[82 + 9 * h:91 + 9 * h] = hf
                feats.append(hf)
            a = 0 if feats[0][6] > feats[1][6] else 1
            if e["wvel"][a] is not None:
                x[100:102] = e["wvel"][a]
            x[102:104] = feats[a][4:6]
            x[104:106] = feats[a][0:2]
            x[106] = feats[a][6]
            if e["fl"][a] is not None:
                x[107] = e["fl"][a]
            x[108] = feats[a][8]
            w, s_ = (9, 5) if a == 0 else (10, 6)
            if e["vis"][w] and e["vis"][s_]:
                x[109] = pos[w][1] - pos[s_][1]
            x[110] = feats[1 - a][6]
            if e["wd"] is not None:
                x[111] = e["wd"]
                if back is not None and back["present"] and back["wd"] is not None:
                    x[112] = e["wd"] - back["wd"]
            x[113] = sign_flips([q["wd_rate"] for q in H if q["wd_rate"] is not None]) / 9
            for h, o in ((a, 120), (1 - a, 124)):
                newest_first = H[::-1]
                speeds = [(float(np.linalg.norm(q["wvel"][h])), i) for i, q in enumerate(newest_first) if q["wvel"][h] is not None]
                if speeds:
                    top = max(sp for sp, _ in speeds)
                    i = min(i for sp, i in speeds if sp == top)          # the newest on ties
                    x[o:o + 2] = newest_first[i]["wvel"][h]
                    if h == a:
                        x[122] = i / 9
                rates = [q["flr"][h] for q in newest_first if q["flr"][h] is not None]
                if rates:
                    m = max(abs(r) for r in rates)
                    x[123 if h == a else 126] = next(r for r in rates if abs(r) == m)
            w = 9 if a == 0 else 10
            x[127] = sum(1 for q in H if q["present"] and q["vis"][w]) / 10
        x[114] = 0.0 if present else 1.0
        x[115] = obs["nu"] / obs["n"]
        x[116] = np.mean(obs["vis_cnt"][:11] / obs["n"])
        if prev is not None and prev["ls"] is not None and e["ls"] is not None:
            x[117] = (e["ls"] - prev["ls"]) / T_
        if obs["ratios"]:
            x[118] = np.mean(obs["ratios"])
        x[119] = 1.0 if last_usable_t is None else min(2.0, max(0.0, t_tok - last_usable_t)) / 2
    if version == 2:
        return np.concatenate([out, rest_block(hist, T_)], axis=1)
    if version == 3:
        return np.concatenate([out, rest_block(hist, T_), hand_block(hist)], axis=1)
    return out


# ------------------------------------------------------------------------------------------------
# pose-kp-v3: [190, 217), from the per-token hand observations (see pose_tokens.h)

def hand_block(hist):
    K = len(hist)
    out = np.zeros((K, 27))
    for k in range(K):
        if not hist[k]["present"]:
            continue
        x = out[k]
        H10 = hist[max(0, k - 9):k + 1]
        H15 = hist[max(0, k - 14):k + 1][::-1]          # newest first
        seen10 = []
        for h in range(2):
            o = 9 * h
            e = hist[k]
            if e["hseen"][h]:
                x[o] = 1.0
                x[o + 1] = e["hsize"][h]
            seen10.append(sum(1 for q in H10 if q["hseen"][h]))
            x[o + 2] = seen10[h] / 10
            x[o + 3] = sum(1 for q in H10 if q["hlook"][h]) / 10
            S = [(i, q["hsize"][h]) for i, q in enumerate(H15) if q["hseen"][h]]
            if S:
                sizes = [z for _, z in S]
                top = max(sizes)
                x[o + 4] = top
                if len(S) >= 2:
                    x[o + 5] = S[0][1] - S[-1][1]
                x[o + 6] = S[0][0] / 14
                x[o + 7] = next(i for i, z in S if z == top) / 14
                x[o + 8] = min(sizes)
            else:
                x[o + 6] = 1.0
        a = 0 if seen10[0] > seen10[1] else 1
        x[18:27] = x[9 * a:9 * a + 9]
    return out


# ------------------------------------------------------------------------------------------------
# pose-kp-v2: [128, 190), from the per-token positions alone (see pose_tokens.h)

V2_DIM = 62
HIST2 = 15          # tokens in the long history (1.5 s)
REST_TAU = 4.0      # s
REST_STALE = 40     # tokens without a robust position: the rest position is forgotten
AWAY = 0.3          # shoulder widths from rest = away
TOGETHER = 0.2      # wrists this close = on one spot


def rest_block(hist, T_):
    K = len(hist)
    out = np.zeros((K, V2_DIM))
    A = 1 - math.exp(-T_ / REST_TAU)
    joints = (9, 7, 10, 8)                          # left wrist, left elbow, right wrist, right elbow
    R = {j: [] for j in joints}                     # robust position per token (or None)
    rest = {j: None for j in joints}
    miss = {j: 0 for j in joints}
    for k in range(K):
        for j in joints:
            seen = [hist[i]["pos"][j] for i in range(max(0, k - 2), k + 1)
                    if hist[i]["present"] and hist[i]["vis"][j]]
            r = np.median(np.array(seen), axis=0) if len(seen) >= 2 else None
            R[j].append(r)
            if r is not None:
                rest[j] = r.copy() if rest[j] is None else rest[j] + A * (r - rest[j])
                miss[j] = 0
            else:
                miss[j] += 1
                if miss[j] >= REST_STALE:
                    rest[j] = None
        if not hist[k]["present"]:
            continue
        x = out[k]
        lo = max(0, k - HIST2 + 1)
        ext = []
        for h in range(2):
            w, el = joints[2 * h], joints[2 * h + 1]
            o = 20 * h
            if rest[w] is not None and R[w][k] is not None:
                x[o:o + 2] = R[w][k] - rest[w]
                x[o + 2] = 1.0
            if rest[el] is not None and R[el][k] is not None:
                x[o + 3:o + 5] = R[el][k] - rest[el]
            e_w = 0.0
            if rest[w] is not None:
                D = [(k - i, R[w][i] - rest[w]) for i in range(k, lo - 1, -1) if R[w][i] is not None]   # newest first
                if D:
                    for c, (comp, big) in enumerate(((0, True), (0, False), (1, True), (1, False))):
                        vals = [d[comp] for _, d in D]
                        best = max(vals) if big else min(vals)
                        ago = next(a for a, d in D if d[comp] == best)
                        x[o + 5 + c] = best
                        x[o + 9 + c] = ago / (HIST2 - 1)
                    x[o + 13] = sum(1 for _, d in D if np.linalg.norm(d) > AWAY) / HIST2
                    e_w = max(abs(v) for v in x[o + 5:o + 9])
            e_e = 0.0
            if rest[el] is not None:
                D = [R[el][i] - rest[el] for i in range(lo, k + 1) if R[el][i] is not None]
                if D:
                    D = np.array(D)
                    x[o + 14:o + 18] = (D[:, 0].max(), D[:, 0].min(), D[:, 1].max(), D[:, 1].min())
                    e_e = float(np.abs(x[o + 14:o + 18]).max())
            x[o + 18] = sum(1 for i in range(lo, k + 1) if hist[i]["present"] and hist[i]["vis"][w]) / HIST2
            x[o + 19] = sum(float(np.linalg.norm(R[w][i] - R[w][i - 1])) for i in range(lo + 1, k + 1)
                            if R[w][i] is not None and R[w][i - 1] is not None)
            ext.append(max(e_w, e_e))
        lo10 = max(0, k - 9)
        x[40] = sum(1 for i in range(lo10, k + 1) if hist[i]["present"] and hist[i]["vis"][9] and hist[i]["vis"][10]
                    and np.linalg.norm(hist[i]["pos"][9] - hist[i]["pos"][10]) < TOGETHER) / 10
        a = 0 if ext[0] > ext[1] else 1
        x[41:61] = x[20 * a:20 * a + 20]
        x[61] = 1.0 if a == 0 else -1.0
    return out


def sign_flips(values, dead=0.5):
    signs = [1 if v > 0 else -1 for v in values if abs(v) > dead]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


# ------------------------------------------------------------------------------------------------
# test trajectories (analytic, so any frame rate samples the same motion)

def person(t, W, H, sw_frac=0.3, missing=()):
    """A seated person, raw unmirrored frame: the person's left (odd COCO ids) on the image right."""
    N = len(t)
    sw = sw_frac * W
    cx, cy = W * 0.5 + 0.02 * W * np.sin(0.7 * t), H * 0.7
    kp = np.zeros((N, 17, 3))
    body = {0: (0, -0.75), 1: (0.1, -0.82), 2: (-0.1, -0.82), 3: (0.22, -0.78), 4: (-0.22, -0.78),
            5: (0.5, 0), 6: (-0.5, 0), 7: (0.6, 0.6), 8: (-0.6, 0.6), 9: (0.45, 1.1), 10: (-0.45, 1.1),
            11: (0.35, 1.5), 12: (-0.35, 1.5)}
    for j, (bx, by) in body.items():
        kp[:, j, 0] = cx + bx * sw
        kp[:, j, 1] = cy + by * sw
        kp[:, j, 2] = 0.7 - 0.03 * j
    # right wrist (10): swipe to the user's left (image right) at 1-1.6 s, push 2-2.8 s, wave 3.2-4.8 s
    s = np.clip((t - 1.0) / 0.6, 0, 1)
    s = s * s * (3 - 2 * s)
    kp[:, 10, 0] += s * 0.9 * sw * (t < 1.9)
    kp[:, 10, 1] -= 0.9 * sw * ((t > 0.8) & (t < 1.9))
    p = np.clip((t - 2.0) / 0.8, 0, 1)
    kp[:, 10, 0] += 0.2 * sw * p * ((t > 2.0) & (t < 3.0))            # foreshortening: towards the shoulder
    kp[:, 8, 1] -= 0.3 * sw * p * ((t > 2.0) & (t < 3.0))
    wv = (t > 3.2) & (t < 4.8)
    kp[:, 10, 0] += wv * 0.3 * sw * np.sin(2 * np.pi * 2.5 * t)
    kp[:, 10, 1] -= wv * 1.2 * sw
    # the left wrist drops out (low score) at 1.5-2.5 s
    kp[(t > 1.5) & (t < 2.5), 9, 2] = 0.05
    for j, (a, b) in missing:
        kp[(t > a) & (t < b), j, 2] = 0.1
    kp[:, 13:, 2] = 0.05
    # nobody at 5.2-5.9 s
    kp[(t > 5.2) & (t < 5.9)] = 0
    return kp.astype(np.float32)


def jitter(kp, seed, px):
    rng = np.random.default_rng(seed)
    out = kp.copy()
    on = out[..., 2] > 0
    out[..., :2] += rng.normal(0, px, out[..., :2].shape) * on[..., None]
    out[..., 2] = np.where(on, np.clip(out[..., 2] + rng.normal(0, 0.05, on.shape), 0.01, 1), 0)
    return out.astype(np.float32)


def hand_obs(kp, t, sw):
    """Hand observations (T, 2, 3: looked, present, size px) for person(): the network looks on the first
    frame of each 0.1 s token slot at the arms whose wrist and elbow scores are >= 0.2;
    the right hand is found while raised (0.8-1.9 s, 3.2-4.8 s) and during the push (2-2.8 s, growing
    towards the camera), the left hand briefly at 0.3-0.6 s."""
    out = np.zeros((len(t), 2, 3), np.float32)
    last = 0
    for i, ti in enumerate(t):
        slot = max(1, math.ceil(ti / 0.1 - 1e-6))
        if slot == last:
            continue
        last = slot
        for h, (w, e) in enumerate(((9, 7), (10, 8))):
            if kp[i, w, 2] < 0.2 or kp[i, e, 2] < 0.2:
                continue
            out[i, h, 0] = 1
            if h == 1 and (0.8 < ti < 1.9 or 3.2 < ti < 4.8):
                out[i, h, 1:] = (1, 0.45 * sw * (1 + 0.05 * math.sin(7 * ti)))
            elif h == 1 and 2.0 < ti < 2.8:
                out[i, h, 1:] = (1, 0.45 * sw * (1 + (ti - 2.0)))
            elif h == 0 and 0.3 < ti < 0.6:
                out[i, h, 1:] = (1, 0.4 * sw)
    return out


def trajectories():
    t30 = np.arange(int(7.0 * 30)) / 30.0
    t15 = np.arange(int(7.0 * 15)) / 15.0
    return {
        "gestures": (jitter(person(t30, 640, 480), 1, 2.0), 30.0, (640, 480)),
        "fps15": (jitter(person(t15, 320, 240, 0.35, missing=[(6, (3.0, 3.6))]), 2, 1.0), 15.0, (320, 240)),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "golden", "features"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, (kp, fps, size) in trajectories().items():
        times = np.arange(len(kp)) / fps
        np.save(os.path.join(a.out, f"pose_kp_{name}.npy"), kp)
        hands = hand_obs(kp, times, 0.3 * size[0] if name == "gestures" else 0.35 * size[0])
        np.save(os.path.join(a.out, f"pose_hands_{name}.npy"), hands)
        for version, suffix in ((1, ""), (2, "_v2"), (3, "_v3")):
            tok = tokens(kp, times, version=version, hands=hands if version == 3 else None)
            np.save(os.path.join(a.out, f"pose_tokens{suffix}_{name}.npy"), tok.astype(np.float32))
            print(f"pose_tokens_reference: {name}: {kp.shape[0]} frames at {fps:g} fps -> {tok.shape[0]} tokens "
                  f"of {tok.shape[1]} (pose-kp-v{version})")


if __name__ == "__main__":
    main()
