# SPDX-License-Identifier: MIT
"""A tiny sample player for Hydrogen drum kits (Debian `hydrogen-data`: the TR-808 emulation and the
GM rock kit), so the synthetic songs can use real drum-machine and kit samples besides the
soundfont kits. General MIDI drum keys are mapped to the kit's instruments by name.

    kit = HydrogenKit("TR808EmulationKit", sr)
    track = kit.render(hits, seconds)      # hits: [(time_s, gm_key, velocity 1..127)]
"""
import os
import re
import subprocess
import tempfile
import wave

import numpy as np

KIT_DIRS = ["/usr/share/hydrogen/data/drumkits"]

# GM key -> name patterns tried in order (first instrument whose name matches)
GM_NAMES = {
    35: ["kick long", "kick"], 36: ["kick short", "kick"], 37: ["stick", "rim", "clave"], 38: ["snare 1", "snare$", "snare"],
    39: ["clap"], 40: ["snare 2", "rimshot", "snare"], 42: ["closed", "hat closed"], 44: ["pedal"], 46: ["open hat", "hat open"],
    49: ["crash", "cymbal"], 57: ["crash", "cymbal"], 51: ["ride$", "ride", "cymbal"], 53: ["bell", "ride"], 52: ["crash", "cymbal"],
    55: ["splash", "crash", "cymbal"], 54: ["shaker", "tamb"], 70: ["shaker"], 56: ["cowbell"], 45: ["tom low", "floor tom", "tom"],
    47: ["tom mid", "tom 2", "tom"], 50: ["tom hi", "tom 1", "tom"], 62: ["conga"], 64: ["conga"], 60: ["conga"], 61: ["conga"],
}


def kit_path(name):
    for d in KIT_DIRS:
        p = os.path.join(d, name, "drumkit.xml")
        if os.path.exists(p):
            return p
    raise SystemExit(f"drumkit: Hydrogen kit {name} not found (install hydrogen-data: scripts/setup-deps.sh)")


def _load(path, sr):
    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "s.wav")
        subprocess.run(["sox", path, "-c", "1", "-b", "16", "-r", str(sr), out], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with wave.open(out) as w:
            return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


class HydrogenKit:
    def __init__(self, name, sr):
        xml_path = kit_path(name)
        root = os.path.dirname(xml_path)
        xml = open(xml_path, encoding="utf-8", errors="replace").read()
        self.sr = sr
        self.inst = []   # (name, [(vmin, vmax, samples)])
        for block in re.findall(r"<instrument>(.*?)</instrument>", xml, re.S):
            m = re.search(r"<name>(.*?)</name>", block)
            layers = []
            for lay in re.findall(r"<layer>(.*?)</layer>", block, re.S):
                f = re.search(r"<filename>(.*?)</filename>", lay)
                lo = re.search(r"<min>(.*?)</min>", lay)
                hi = re.search(r"<max>(.*?)</max>", lay)
                if f and os.path.exists(os.path.join(root, f.group(1))):
                    layers.append((float(lo.group(1)) if lo else 0.0, float(hi.group(1)) if hi else 1.0,
                                   _load(os.path.join(root, f.group(1)), sr)))
            if m and layers:
                self.inst.append((m.group(1).strip().lower(), layers))
        self.map = {}
        for key, pats in GM_NAMES.items():
            for pat in pats:
                hit = next((i for i, (n, _) in enumerate(self.inst) if re.search(pat, n)), None)
                if hit is not None:
                    self.map[key] = hit
                    break

    def render(self, hits, seconds):
        n = int(seconds * self.sr)
        out = np.zeros(n, np.float32)
        for t, key, vel in hits:
            i = self.map.get(int(key))
            if i is None:
                continue
            v = vel / 127.0
            layers = self.inst[i][1]
            s = next((x for lo, hi, x in layers if lo <= v <= hi), layers[-1][2])
            a = int(t * self.sr)
            if a >= n or a < 0:
                continue
            m = min(len(s), n - a)
            out[a:a + m] += s[:m] * (v ** 1.5)
        return out


def drum_hits(midi, t0, seconds):
    """[(time_s - t0, key, velocity)] of the channel-10 note-ons of a Midi object inside [t0, t0+seconds)."""
    from midi import TICKS_PER_S
    hits = []
    for tick, _, data in midi.events:
        if data[0] == 0x99 and data[2] > 0:
            t = tick / TICKS_PER_S - t0
            if 0 <= t < seconds:
                hits.append((t, data[1], data[2]))
    return hits
