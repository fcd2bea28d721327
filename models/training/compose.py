# SPDX-License-Identifier: MIT
"""Procedural composer for ten GTZAN-style genres (General MIDI).

Each genre function writes one song of `seconds` length starting at time t0 into a Midi object,
with the genre's typical tempo, feel (straight/swing), drum pattern, harmony, bass line, comping
and lead instruments (GM programs). Every choice is drawn from the given numpy Generator, so a
(seed, genre, tempo) triple always gives the same song.

Channels: 0 bass, 1 comping/chords, 2 lead, 3 pad/second comping, 4 extra, 9 drums.
"""
import math

import numpy as np

GENRES = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]

# Tempo range (bpm) per genre. The held-out band is the middle HELD_OUT_BAND fraction of each
# range; training songs use the rest (see tempo_for()).
TEMPO = {
    "blues": (64, 126), "classical": (58, 140), "country": (84, 168), "disco": (108, 134),
    "hiphop": (76, 102), "jazz": (96, 220), "metal": (100, 200), "pop": (90, 130),
    "reggae": (62, 96), "rock": (100, 164),
}
HELD_OUT_BAND = (0.42, 0.58)

CHORD = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10), "m7": (0, 3, 7, 10),
    "maj7": (0, 4, 7, 11), "5": (0, 7, 12), "dim": (0, 3, 6), "m7b5": (0, 3, 6, 10),
    "sus4": (0, 5, 7), "9": (0, 4, 10, 14), "m9": (0, 3, 10, 14), "6": (0, 4, 7, 9),
}
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
DORIAN = (0, 2, 3, 5, 7, 9, 10)
PHRYGIAN = (0, 1, 3, 5, 7, 8, 10)
BLUES = (0, 3, 5, 6, 7, 10)
PENT_MAJ = (0, 2, 4, 7, 9)
PENT_MIN = (0, 3, 5, 7, 10)

# GM drum keys
KICK, KICK2, SIDE, SNARE, CLAP, SNARE2 = 36, 35, 37, 38, 39, 40
HH_C, HH_P, HH_O, CRASH, RIDE, RIDE_BELL, CHINA, TAMB, COWBELL = 42, 44, 46, 49, 51, 53, 52, 54, 56
TOM_L, TOM_M, TOM_H, CRASH2, SPLASH, SHAKER = 45, 47, 50, 57, 55, 70
BONGO_H, BONGO_L, CONGA_H, CONGA_L = 60, 61, 62, 64


def tempo_for(genre, rng, split):
    """Draws a tempo. split 'train': outside the held-out band; 'heldout': inside it."""
    lo, hi = TEMPO[genre]
    a, b = lo + HELD_OUT_BAND[0] * (hi - lo), lo + HELD_OUT_BAND[1] * (hi - lo)
    if split == "heldout":
        return float(rng.uniform(a, b))
    # uniform over [lo, a) U (b, hi]
    w1, w2 = a - lo, hi - b
    u = rng.uniform(0, w1 + w2)
    return float(lo + u if u < w1 else b + (u - w1))


class Song:
    def __init__(self, midi, rng, t0, seconds, tempo, key, swing=0.5, human=0.008, vel_scale=1.0):
        self.m, self.rng, self.t0, self.seconds = midi, rng, t0, seconds
        self.tempo, self.key, self.swing, self.human = tempo, key, swing, human
        self.beat = 60.0 / tempo
        self.vel_scale = vel_scale
        self.bars = int(math.ceil(seconds / (4 * self.beat))) + 1

    # time of (bar, beat position in beats) with swing applied to the off-beat 8ths
    def t(self, bar, pos):
        b = math.floor(pos)
        f = pos - b
        s = self.swing
        g = f * 2 * s if f <= 0.5 else s + (f - 0.5) * 2 * (1 - s)
        return self.t0 + (bar * 4 + b + g) * self.beat

    def inside(self, time):
        return time < self.t0 + self.seconds + 0.1

    def n(self, ch, bar, pos, dur_beats, pitch, vel):
        tm = self.t(bar, pos) + self.rng.normal(0, self.human)
        if not self.inside(tm):
            return
        tm = max(tm, self.t0)
        v = vel * self.vel_scale * self.rng.uniform(0.85, 1.1)
        self.m.note(tm, dur_beats * self.beat * self.rng.uniform(0.9, 1.0), ch, pitch, v)

    def d(self, bar, pos, key, vel):
        self.n(9, bar, pos, 0.25, key, vel)

    def chord(self, ch, bar, pos, dur, root, quality, lo=52, vel=70, spread=0.0):
        base = lo + ((root - lo) % 12)
        for i, iv in enumerate(CHORD[quality]):
            self.n(ch, bar, pos + i * spread, dur, base + iv, vel)

    def setup(self, programs, volumes=None, rng=None):
        """programs: {ch: program}; random mix (volume, pan, reverb, chorus) per channel."""
        rng = rng or self.rng
        for ch, prog in programs.items():
            self.m.program(self.t0 - 0.05, ch, prog)
            vol = (volumes or {}).get(ch, 100)
            self.m.cc(self.t0 - 0.05, ch, 7, vol * rng.uniform(0.75, 1.15))
            self.m.cc(self.t0 - 0.05, ch, 10, 64 + rng.uniform(-30, 30))
            self.m.cc(self.t0 - 0.05, ch, 91, rng.uniform(0, 70))
            self.m.cc(self.t0 - 0.05, ch, 93, rng.uniform(0, 30))
        self.m.cc(self.t0 - 0.05, 9, 7, 100 * rng.uniform(0.75, 1.15))
        self.m.cc(self.t0 - 0.05, 9, 91, rng.uniform(0, 50))


def pick(rng, xs):
    return xs[int(rng.integers(len(xs)))]


def bass_root(key, deg):
    return 33 + ((key + deg - 33) % 12)   # A1..G#2


def melody_line(s, ch, bars, scale, lo, hi, rng, rhythm, vel=80, prog=None, rest_p=0.15, step_p=0.7):
    """Random-walk melody over a scale; rhythm is a list of (pos, dur) per bar."""
    pitches = [lo + ((s.key + iv - lo) % 12) for iv in scale]
    allp = sorted({p + 12 * k for p in pitches for k in range(-1, 4) if lo <= p + 12 * k <= hi})
    idx = len(allp) // 2
    for bar in bars:
        for pos, dur in rhythm:
            if rng.random() < rest_p:
                continue
            if rng.random() < step_p:
                idx += int(rng.choice([-1, 1]))
            else:
                idx += int(rng.integers(-4, 5))
            idx = max(0, min(len(allp) - 1, idx))
            s.n(ch, bar, pos, dur, allp[idx], vel)


# ------------------------------------------------------------------------------------------
def blues(s, rng):
    s.swing = rng.uniform(0.62, 0.7)
    I, IV, V = 0, 5, 7
    prog = [I, I, I, I, IV, IV, I, I, V, IV, I, V]
    if rng.random() < 0.5:
        prog[1] = IV
    progs = {0: pick(rng, [32, 33, 34]), 1: pick(rng, [25, 26, 27, 29, 0, 1, 16]),
             2: pick(rng, [22, 26, 27, 29, 65, 66, 16, 56])}
    s.setup(progs, {0: 105, 1: 90, 2: 100})
    walking = rng.random() < 0.4
    start = int(rng.integers(12))
    for bar in range(s.bars):
        deg = prog[(bar + start) % 12]
        r = bass_root(s.key, deg)
        if walking:
            for b, iv in enumerate(pick(rng, [(0, 4, 7, 9), (0, 4, 7, 10), (0, 2, 4, 7)])):
                s.n(0, bar, b, 0.9, r + iv, 90)
        else:  # boogie shuffle
            for k, iv in enumerate((0, 4, 7, 9, 10, 9, 7, 4)):
                s.n(0, bar, k * 0.5, 0.45, r + iv, 85 if k % 2 == 0 else 70)
        # comping: boogie 5-6 guitar or shuffle chords
        c = 48 + ((s.key + deg - 48) % 12)
        if progs[1] in (25, 26, 27, 29) and rng.random() < 0.7:
            for k in range(8):
                six = 9 if (k // 2) % 2 else 7
                s.n(1, bar, k * 0.5, 0.4, c, 75)
                s.n(1, bar, k * 0.5, 0.4, c + six, 70)
        else:
            for b in range(4):
                s.chord(1, bar, b + 0.5, 0.4, s.key + deg, "7", lo=55, vel=65)
        # drums
        for k in range(8):
            s.d(bar, k * 0.5, pick(rng, [HH_C, RIDE]) if k == 0 else HH_C, 60 if k % 2 else 75)
        s.d(bar, 0, KICK, 90); s.d(bar, 2, KICK, 80)
        s.d(bar, 1, SNARE, 85); s.d(bar, 3, SNARE, 90)
        if rng.random() < 0.3:
            s.d(bar, 3.5, SNARE, 50)
    # lead: blues-scale call and response, two bars on, two off
    for bar in range(s.bars):
        if (bar // 2) % 2 == 1:
            rhythm = [(p, 0.45) for p in np.arange(0, 4, 0.5)]
            if rng.random() < 0.5:
                rhythm = [(0, 1.0), (1.5, 0.5), (2, 0.5), (2.5, 1.5)]
            melody_line(s, 2, [bar], BLUES, 60, 82, rng, rhythm, vel=90, rest_p=0.2)
            if rng.random() < 0.5:
                s.m.pitch_bend(s.t(bar, 0.1), 2, rng.uniform(0.3, 0.5))
                s.m.pitch_bend(s.t(bar, 0.6), 2, 0.0)


def classical(s, rng):
    s.human = 0.012
    minor = rng.random() < 0.45
    sc = MINOR if minor else MAJOR
    progs_list = ([(0, "min"), (5, "min"), (7, "7"), (0, "min")], [(0, "min"), (8, "maj"), (5, "min"), (7, "7")]) if minor \
        else ([(0, "maj"), (5, "maj"), (7, "7"), (0, "maj")], [(0, "maj"), (9, "min"), (2, "min"), (7, "7")],
              [(0, "maj"), (7, "maj"), (9, "min"), (4, "min"), (5, "maj"), (0, "maj"), (5, "maj"), (7, "7")])
    prog = pick(rng, progs_list)
    style = pick(rng, ["piano", "strings", "orchestra", "baroque"])
    if style == "piano":
        progs = {1: pick(rng, [0, 1]), 2: pick(rng, [0, 1])}
    elif style == "strings":
        progs = {0: 42, 1: pick(rng, [48, 49, 41]), 2: pick(rng, [40, 48]), 3: 41}
    elif style == "orchestra":
        progs = {0: pick(rng, [42, 43, 70]), 1: pick(rng, [48, 49, 60]), 2: pick(rng, [73, 68, 71, 40, 56]), 3: pick(rng, [60, 70, 71])}
    else:
        progs = {1: 6, 2: pick(rng, [6, 73, 40]), 0: pick(rng, [42, 6])}
    s.setup(progs, {0: 90, 1: 85, 2: 100, 3: 80})
    swell = rng.uniform(0.5, 1.0)
    for bar in range(s.bars):
        deg, q = prog[bar % len(prog)]
        dyn = 70 + 25 * math.sin(bar * swell)
        root = s.key + deg
        tones = CHORD[q]
        if style == "piano":
            # Alberti bass in the left hand
            base = 48 + ((root - 48) % 12)
            patt = [0, 2, 1, 2] if len(tones) >= 3 else [0, 1, 0, 1]
            for k in range(8):
                iv = tones[min(patt[k % 4], len(tones) - 1)]
                s.n(1, bar, k * 0.5, 0.5, base + iv, dyn - 10)
        elif style == "baroque":
            base = 52 + ((root - 52) % 12)
            for k in range(16):
                iv = tones[k % len(tones)] + 12 * ((k // len(tones)) % 2)
                s.n(1, bar, k * 0.25, 0.25, base + iv, dyn - 5)
            s.n(0, bar, 0, 2, bass_root(s.key, deg) + 12, dyn)
            s.n(0, bar, 2, 2, bass_root(s.key, deg) + 12 + tones[min(2, len(tones) - 1)] - 12 * (tones[min(2, len(tones) - 1)] >= 12), dyn)
        else:
            s.chord(1, bar, 0, 4, root, q, lo=55, vel=dyn - 5)
            s.n(0, bar, 0, 2, bass_root(s.key, deg) + 12, dyn)
            s.n(0, bar, 2, 2, bass_root(s.key, deg) + 12 + (7 if rng.random() < 0.5 else 0), dyn - 5)
            if 3 in progs and rng.random() < 0.6:
                s.n(3, bar, 0, 4, 60 + ((root + tones[1] - 60) % 12), dyn - 15)
    rhythm_sets = [[(0, 1), (1, 1), (2, 1.5), (3.5, 0.5)], [(0, 2), (2, 1), (3, 1)], [(0, 0.5), (0.5, 0.5), (1, 1), (2, 2)],
                   [(p, 0.5) for p in np.arange(0, 4, 0.5)]]
    if style == "baroque":
        rhythm_sets.append([(p, 0.25) for p in np.arange(0, 4, 0.25)])
    for bar in range(s.bars):
        melody_line(s, 2, [bar], sc, 64, 88, rng, pick(rng, rhythm_sets), vel=85, rest_p=0.05, step_p=0.85)


COUNTRY_PROGS = [[0, 0, 5, 5, 7, 7, 0, 0], [0, 5, 0, 7], [0, 0, 5, 0, 7, 5, 0, 7]]


def boom_chick(s, bar, r, vel):
    """Two-beat country bass: root on 1, fifth (or the fourth below) on 3."""
    s.n(0, bar, 0, 0.9, r, vel)
    s.n(0, bar, 2, 0.9, r + 7 if r + 7 < 48 else r - 5, vel - 5)


def country(s, rng):
    prog = pick(rng, COUNTRY_PROGS)
    progs = {0: pick(rng, [32, 33, 34]), 1: pick(rng, [25, 24, 25]), 2: pick(rng, [40, 105, 22, 26, 27]),
             3: pick(rng, [105, 25, 0, 26])}
    s.setup(progs, {0: 100, 1: 95, 2: 100, 3: 80})
    brush = rng.random() < 0.4
    for bar in range(s.bars):
        deg = prog[bar % len(prog)]
        r = bass_root(s.key, deg)
        boom_chick(s, bar, r, 95)
        if rng.random() < 0.3:
            s.n(0, bar, 3.5, 0.4, r + 9 - 12 if r + 9 > 47 else r + 9, 70)
        # strummed open chords on 8ths, down-up
        for k, v in enumerate([80, 0, 60, 55, 75, 0, 60, 55]):
            if v:
                s.chord(1, bar, k * 0.5, 0.45, s.key + deg, "maj", lo=52, vel=v, spread=0.01)
        if progs[3] == 105:  # banjo roll
            base = 60 + ((s.key + deg - 60) % 12)
            for k in range(16):
                s.n(3, bar, k * 0.25, 0.25, base + (0, 4, 7, 12, 7, 4, 12, 16)[k % 8], 65)
        # train beat
        for k in range(8):
            s.d(bar, k * 0.5, SNARE if brush else HH_C, 35 if brush else (55 if k % 2 else 65))
        s.d(bar, 0, KICK, 85); s.d(bar, 2, KICK, 80)
        s.d(bar, 1, SIDE if not brush else SNARE, 80); s.d(bar, 3, SIDE if not brush else SNARE, 85)
    for bar in range(s.bars):
        if bar % 4 in (1, 2, 3) or rng.random() < 0.3:
            melody_line(s, 2, [bar], PENT_MAJ, 62, 86, rng,
                        pick(rng, [[(0, 1), (1, 0.5), (1.5, 0.5), (2, 1.5)], [(p, 0.5) for p in np.arange(0, 4, 0.5)],
                                   [(0, 0.25), (0.25, 0.75), (1, 1), (2, 2)]]), vel=90, rest_p=0.1)


def disco(s, rng):
    prog = pick(rng, [[(0, "m7"), (5, "m7")], [(2, "m7"), (7, "7")], [(0, "m7"), (10, "maj7"), (8, "maj7"), (7, "7")],
                      [(9, "m7"), (2, "9")]])
    progs = {0: pick(rng, [38, 39, 33, 36, 37]), 1: pick(rng, [48, 49, 50, 4, 5]), 2: pick(rng, [61, 62, 48, 81, 56]),
             3: pick(rng, [7, 28, 4, 27])}
    s.setup(progs, {0: 110, 1: 85, 2: 85, 3: 80})
    for bar in range(s.bars):
        deg, q = prog[bar % len(prog)]
        r = bass_root(s.key, deg)
        for k in range(8):  # octave bass
            s.n(0, bar, k * 0.5, 0.4, r + (12 if k % 2 else 0), 95 if k % 2 == 0 else 85)
        s.chord(1, bar, 0, 3.8, s.key + deg, q, lo=58, vel=60)
        for k in range(16):  # chicken-scratch guitar / clav 16ths
            if k % 4 in (1, 2, 3) and rng.random() < 0.6:
                s.chord(3, bar, k * 0.25, 0.15, s.key + deg, q, lo=60, vel=55)
        for b in range(4):
            s.d(bar, b, KICK, 100)
            s.d(bar, b + 0.5, HH_O, 70)
            s.d(bar, b + 0.25, HH_C, 45); s.d(bar, b + 0.75, HH_C, 45)
        s.d(bar, 1, pick(rng, [SNARE, CLAP]), 90); s.d(bar, 3, CLAP, 90)
        if rng.random() < 0.4:
            s.d(bar, 0, TAMB, 60); s.d(bar, 2, TAMB, 60)
        if bar % 4 == 0:
            s.d(bar, 0, CRASH, 80)
    for bar in range(s.bars):
        if rng.random() < 0.6:
            # string/brass runs and stabs
            deg, q = prog[bar % len(prog)]
            if rng.random() < 0.5:
                for k in range(8):
                    s.n(2, bar, 2 + k * 0.25, 0.25, 72 + ((s.key + deg - 72) % 12) + (0, 2, 3, 5, 7, 8, 10, 12)[k], 80)
            else:
                s.chord(2, bar, 1.5, 0.3, s.key + deg, q, lo=65, vel=90)
                s.chord(2, bar, 3.5, 0.3, s.key + deg, q, lo=65, vel=90)


def hiphop(s, rng):
    s.swing = rng.uniform(0.5, 0.6)
    loop_len = pick(rng, [1, 2])
    prog = pick(rng, [[(0, "m7")], [(0, "m7"), (8, "maj7")], [(0, "m9"), (5, "m7")], [(9, "m7"), (2, "m7")]])
    progs = {0: pick(rng, [38, 39, 33, 87]), 1: pick(rng, [0, 4, 5, 11, 48, 89, 88]), 2: pick(rng, [11, 0, 4, 54, 81])}
    s.setup(progs, {0: 115, 1: 80, 2: 70})
    kick_patterns = [[0, 1.75, 2.5], [0, 0.75, 2.25, 2.5], [0, 2.5, 2.75], [0, 1.5, 2.75]]
    kp = pick(rng, kick_patterns)
    loop = [(float(p), int(rng.choice(MINOR))) for p in sorted(rng.choice(np.arange(0, 4 * loop_len, 0.5), size=5, replace=False))]
    for bar in range(s.bars):
        deg, q = prog[bar % len(prog)]
        r = bass_root(s.key, deg)
        for p in kp:  # sub bass follows the kick
            s.n(0, bar, p, 0.9 if p < 3 else 0.5, r, 100)
            s.d(bar, p, KICK, 105)
        s.d(bar, 1, pick(rng, [SNARE, SNARE2, CLAP]), 100); s.d(bar, 3, SNARE, 100)
        for k in range(8 if rng.random() < 0.6 else 16):
            step = 0.5 if k < 8 and rng.random() < 0.6 else 0.25
            s.d(bar, k * step, HH_C, 50 + 25 * (k % 2 == 0))
        if rng.random() < 0.2:
            s.d(bar, 3.5, HH_O, 60)
        s.chord(1, bar, 0, 1.8, s.key + deg, q, lo=57, vel=55)
        s.chord(1, bar, 2.5, 1.2, s.key + deg, q, lo=57, vel=50)
        # the repeating sample loop
        for p, iv in loop:
            if int(p // 4) == bar % loop_len:
                s.n(2, bar, p % 4, 0.5, 72 + ((s.key + iv - 72) % 12), 70)
        if rng.random() < 0.15:  # scratch-like pitch-bent stab
            s.m.pitch_bend(s.t(bar, 3.0), 2, -0.8)
            s.n(2, bar, 3.0, 0.3, 67 + s.key % 12, 80)
            s.m.pitch_bend(s.t(bar, 3.4), 2, 0.0)


def jazz(s, rng):
    s.swing = rng.uniform(0.6, 0.7)
    prog = pick(rng, [[(2, "m7"), (7, "7"), (0, "maj7"), (0, "maj7")], [(2, "m7b5"), (7, "7"), (0, "m7"), (0, "m7")],
                      [(0, "maj7"), (9, "m7"), (2, "m7"), (7, "7")], [(4, "m7"), (9, "7"), (2, "m7"), (7, "7")]])
    progs = {0: 32, 1: pick(rng, [0, 0, 4, 26]), 2: pick(rng, [65, 66, 64, 56, 59, 11, 26, 73])}
    s.setup(progs, {0: 110, 1: 80, 2: 95})
    brushes = s.tempo < 120 and rng.random() < 0.5
    for bar in range(s.bars):
        deg, q = prog[bar % len(prog)]
        nxt = prog[(bar + 1) % len(prog)][0]
        r = bass_root(s.key, deg)
        tones = CHORD[q]
        # walking bass: root, chord tone, chord tone, chromatic approach to next root
        target = bass_root(s.key, nxt)
        line = [r, r + tones[1], r + tones[2], target + pick(rng, [-1, 1])]
        if rng.random() < 0.4:
            line[1] = r + pick(rng, [2, tones[1]]); line[2] = r + tones[min(3, len(tones) - 1)] - (12 if tones[min(3, len(tones) - 1)] > 12 else 0)
        for b, p in enumerate(line):
            s.n(0, bar, b, 0.95, p, 90)
        # ride pattern: 1, 2, 2-let, 3, 4, 4-let
        for p in (0, 1, 1.5, 2, 3, 3.5):
            s.d(bar, p, SNARE if brushes else RIDE, (35 if brushes else 70) + 10 * (p in (1, 3)))
        s.d(bar, 1, HH_P, 60); s.d(bar, 3, HH_P, 60)
        if rng.random() < 0.3:
            s.d(bar, pick(rng, [1.5, 2.5, 3.5]), SNARE, 45)
        if rng.random() < 0.2:
            s.d(bar, pick(rng, [0, 2.5]), KICK, 50)
        # rootless piano comping on syncopated hits
        for p in pick(rng, [[1.5, 3.5], [0.5, 2.5], [1.5], [0, 2.5], [2.5, 3.5]]):
            base = 53 + ((s.key + deg + tones[1] - 53) % 12)
            for iv in (0, tones[-1] - tones[1], 14 - tones[1] + (0 if q != "maj7" else 0)):
                s.n(1, bar, p, pick(rng, [0.4, 0.9]), base + iv, 65)
    # bebop-ish lead: swung 8ths with chromatic passing notes
    for bar in range(s.bars):
        if bar % 8 < 6:
            rhythm = pick(rng, [[(p, 0.45) for p in np.arange(0, 4, 0.5)], [(0, 1.5), (1.5, 0.5), (2, 0.5), (2.5, 1.5)],
                                [(0.5, 0.5), (1, 0.5), (1.5, 0.5), (2, 1), (3, 0.5), (3.5, 0.5)]])
            melody_line(s, 2, [bar], (0, 1, 2, 3, 4, 5, 7, 9, 10, 11), 60, 84, rng, rhythm, vel=85, rest_p=0.15)


def metal(s, rng):
    scale = pick(rng, [PHRYGIAN, MINOR, (0, 1, 3, 5, 6, 7, 10)])
    progs = {0: pick(rng, [33, 34, 30]), 1: 30, 2: pick(rng, [30, 29]), 3: pick(rng, [30, 29])}
    s.setup(progs, {0: 105, 1: 115, 2: 95, 3: 105})
    low = 40 + (s.key % 5)          # low E..G#
    sixteenths = s.tempo < 150
    riff = [int(rng.choice([0, 0, 0, scale[1], scale[2], scale[4], scale[5]])) for _ in range(8)]
    blast = rng.random() < 0.3
    for bar in range(s.bars):
        step = 0.25 if sixteenths else 0.5
        for k in range(int(4 / step)):
            iv = riff[k % 8] if rng.random() < 0.85 else 0
            mute = 0.12 if iv == 0 else 0.25
            for ch in (1, 3):
                s.n(ch, bar, k * step, mute if iv == 0 else step, low + iv, 110)
                s.n(ch, bar, k * step, mute if iv == 0 else step, low + iv + 7, 100)
            s.n(0, bar, k * step, step * 0.9, low - 12 + iv, 100)
            s.d(bar, k * step, KICK, 105 if k % 2 == 0 else 95)
            if blast:
                s.d(bar, k * step, SNARE, 80)
        if not blast:
            s.d(bar, 1, SNARE, 110); s.d(bar, 3, SNARE, 110)
        for b in range(4):
            s.d(bar, b, pick(rng, [CRASH, CHINA, RIDE, CRASH2]) if b == 0 else RIDE_BELL if rng.random() < 0.3 else HH_C, 90)
    # occasional fast solo
    for bar in range(s.bars):
        if bar % 4 >= 2 and rng.random() < 0.5:
            melody_line(s, 2, [bar], scale, 64, 90, rng, [(p, 0.25) for p in np.arange(0, 4, 0.25)], vel=100, rest_p=0.05)


def pop(s, rng):
    prog = pick(rng, [[(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")], [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")],
                      [(0, "maj"), (5, "maj"), (7, "maj"), (5, "maj")], [(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")]])
    progs = {0: pick(rng, [33, 38, 34, 39]), 1: pick(rng, [0, 1, 88, 89, 25, 4, 90]), 2: pick(rng, [80, 81, 53, 54, 10, 73, 85]),
             3: pick(rng, [48, 89, 91, 50])}
    s.setup(progs, {0: 105, 1: 85, 2: 100, 3: 70})
    for bar in range(s.bars):
        deg, q = prog[bar % len(prog)]
        r = bass_root(s.key, deg)
        for k in range(8):
            s.n(0, bar, k * 0.5, 0.45, r, 85 + 10 * (k % 2 == 0))
        if progs[1] in (25,):
            for k, v in enumerate([80, 0, 55, 60, 0, 60, 70, 55]):
                if v:
                    s.chord(1, bar, k * 0.5, 0.45, s.key + deg, q, lo=52, vel=v, spread=0.01)
        else:
            for p in pick(rng, [[0, 1, 2, 3], [0, 1.5, 3], [0, 2]]):
                s.chord(1, bar, p, 0.9, s.key + deg, q, lo=57, vel=70)
        s.chord(3, bar, 0, 4, s.key + deg, q, lo=60, vel=45)
        s.d(bar, 0, KICK, 100); s.d(bar, 2, KICK, 95)
        if rng.random() < 0.5:
            s.d(bar, 2.5, KICK, 80)
        s.d(bar, 1, pick(rng, [SNARE, CLAP]), 95); s.d(bar, 3, SNARE, 95)
        for k in range(8):
            s.d(bar, k * 0.5, HH_C, 60 + 15 * (k % 2 == 0))
        if bar % 4 == 0:
            s.d(bar, 0, CRASH, 75)
    # catchy, repetitive melody: a 2-bar motif repeated with variation
    motif = [(float(p), int(rng.choice(PENT_MAJ))) for p in sorted(rng.choice(np.arange(0, 8, 0.5), size=7, replace=False))]
    for bar in range(s.bars):
        if bar % 8 >= 6:
            continue
        for p, iv in motif:
            if int(p // 4) == bar % 2:
                s.n(2, bar, p % 4, 0.6, 67 + ((s.key + iv - 67) % 12), 95)


def reggae(s, rng):
    prog = pick(rng, [[(0, "maj"), (5, "maj")], [(0, "min"), (5, "min")], [(0, "maj"), (7, "maj")], [(9, "min"), (2, "min")],
                      [(0, "maj"), (5, "maj"), (7, "maj"), (5, "maj")]])
    progs = {0: pick(rng, [33, 34, 38, 32]), 1: pick(rng, [27, 28, 26]), 3: pick(rng, [16, 17, 18]), 2: pick(rng, [21, 22, 61, 56, 65])}
    s.setup(progs, {0: 120, 1: 85, 2: 85, 3: 70})
    s.swing = rng.uniform(0.5, 0.6)
    bass_riff = [(float(p), int(rng.choice([0, 0, 3, 5, 7, 10, 12]))) for p in
                 sorted(rng.choice([0.5, 1, 1.5, 1.75, 2.5, 3, 3.25, 3.5], size=5, replace=False))]
    for bar in range(s.bars):
        deg, q = prog[bar % len(prog)]
        r = bass_root(s.key, deg)
        for p, iv in bass_riff:   # melodic bass, rests on beat 1
            s.n(0, bar, p, 0.45, r + iv - (12 if iv > 7 else 0), 100)
        for p in (0.5, 1.5, 2.5, 3.5):   # skank: short off-beat chords
            s.chord(1, bar, p, 0.18, s.key + deg, q, lo=60, vel=80, spread=0.008)
        for p in (0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75):  # organ bubble
            if rng.random() < 0.8:
                s.chord(3, bar, p, 0.15, s.key + deg, q, lo=55, vel=50)
        # one drop: kick + rim on 3, hats in 8ths
        s.d(bar, 2, KICK, 100); s.d(bar, 2, SIDE, 90)
        for k in range(8):
            s.d(bar, k * 0.5, HH_C, 45 + 20 * (k % 2 == 1))
        if rng.random() < 0.25:
            s.d(bar, 3.75, TOM_H, 60)
    for bar in range(s.bars):
        if bar % 4 in (2, 3) and rng.random() < 0.7:
            melody_line(s, 2, [bar], PENT_MIN, 62, 82, rng, [(0.5, 1), (2, 0.5), (2.5, 1.5)], vel=75, rest_p=0.2)


def rock(s, rng):
    prog = pick(rng, [[0, 10, 5, 0], [0, 5, 7, 5], [9, 5, 0, 7], [0, 7, 5, 5], [0, 3, 5, 0]])
    progs = {0: pick(rng, [34, 33, 35]), 1: pick(rng, [29, 30, 29, 27]), 2: pick(rng, [29, 30, 18, 26]), 3: pick(rng, [29, 25, 18])}
    s.setup(progs, {0: 105, 1: 105, 2: 95, 3: 85})
    open_chords = rng.random() < 0.4
    for bar in range(s.bars):
        deg = prog[bar % len(prog)]
        r = bass_root(s.key, deg)
        for k in range(8):
            s.n(0, bar, k * 0.5, 0.45, r, 90 + 10 * (k % 2 == 0))
        if open_chords:
            s.chord(1, bar, 0, 1.9, s.key + deg, "maj", lo=52, vel=95, spread=0.012)
            s.chord(1, bar, 2, 1.4, s.key + deg, "maj", lo=52, vel=90, spread=0.012)
            s.chord(1, bar, 3.5, 0.5, s.key + deg, "maj", lo=52, vel=80, spread=0.012)
        else:
            for k in range(8):
                s.chord(1, bar, k * 0.5, 0.42, s.key + deg, "5", lo=45, vel=100)
        if progs[3] != 29 or rng.random() < 0.5:
            s.chord(3, bar, 0, 3.9, s.key + deg, "maj", lo=60, vel=55)
        s.d(bar, 0, KICK, 105); s.d(bar, 2, KICK, 100)
        if rng.random() < 0.5:
            s.d(bar, 2.5, KICK, 90)
        s.d(bar, 1, SNARE, 110); s.d(bar, 3, SNARE, 110)
        for k in range(8):
            s.d(bar, k * 0.5, HH_C if rng.random() < 0.8 else HH_O, 70 + 10 * (k % 2 == 0))
        if bar % 4 == 0:
            s.d(bar, 0, CRASH, 95)
        if bar % 4 == 3 and rng.random() < 0.5:  # tom fill
            for k, tkey in enumerate((TOM_H, TOM_H, TOM_M, TOM_M, TOM_L, TOM_L)):
                s.d(bar, 2.5 + k * 0.25, tkey, 95)
    for bar in range(s.bars):
        if bar % 8 >= 4:
            melody_line(s, 2, [bar], PENT_MIN, 62, 88, rng, pick(rng, [[(p, 0.5) for p in np.arange(0, 4, 0.5)],
                                                                       [(0, 1.5), (1.5, 0.5), (2, 2)]]), vel=100, rest_p=0.1)
            if rng.random() < 0.5:
                s.m.pitch_bend(s.t(bar, 0.0), 2, 0.0)
                s.m.pitch_bend(s.t(bar, 0.25), 2, 0.5)
                s.m.pitch_bend(s.t(bar, 1.0), 2, 0.0)


COMPOSERS = {g: globals()[g] for g in GENRES}


def compose(midi, genre, rng, t0, seconds, tempo, key=None, vel_scale=None):
    """Writes one song into `midi`; returns its parameters."""
    key = int(rng.integers(12)) if key is None else key
    vel_scale = float(rng.uniform(0.7, 1.1)) if vel_scale is None else vel_scale
    s = Song(midi, rng, t0, seconds, tempo, key, vel_scale=vel_scale, human=float(rng.uniform(0.002, 0.015)))
    midi.reset_channels(t0 - 0.2)
    COMPOSERS[genre](s, rng)
    return {"genre": genre, "tempo": round(tempo, 2), "key": key, "vel_scale": round(vel_scale, 3)}
