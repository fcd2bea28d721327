# SPDX-License-Identifier: MIT
"""Sub-styles per genre for the synthetic music (gen_audio.py --variety; issue 12).

compose.py writes one fixed recipe per genre (every blues song is an electric band shuffle, every
jazz song a ride-cymbal combo). A real genre holds several kinds of records, so a model trained on
one recipe learns the recipe, not the genre. Here each genre draws one of several sub-styles, the
way GTZAN's genres contain them:

  blues      solo acoustic guitar + voice (no drums, no bass) | electric band shuffle | slow minor blues
  classical  solo piano | string quartet | orchestra / baroque (compose.classical)
  country    acoustic guitar + fiddle + steel + voice, light or no drums | modern country-rock | classic
  disco      four-on-the-floor, octave bass, strings + falsetto voice
  hiphop     rap over a sparse boom-bap loop | rap over an 808 kit with long sub bass and hat rolls
  jazz       piano trio | bebop combo with horns (compose.jazz) | big band | vocal ballad with brushes
  metal      compose.metal + screamed or sung voice
  pop        vocal-led synth pop | piano/strings ballad | band (compose.pop)
  reggae     skank + one-drop + voice (compose.reggae)
  rock       guitars + voice (compose.rock)

compose_variety() returns the song's parameters plus what gen_audio needs for the audio side:
`voice` (vocals.py style or "none"), `voice_db` (level of the voice over the mix: the voice is
the loudest part in the vocal sub-styles), `pitch` (register shift of the voice, semitones) and
`kit` (a Hydrogen kit to force, or None).
"""
import math

import numpy as np

from compose import (BLUES, CHORD, CLAP, CRASH, HH_C, HH_O, HH_P, KICK, MAJOR, MINOR, PENT_MAJ, PENT_MIN, RIDE,
                     SIDE, SNARE, Song, bass_root, melody_line, pick)
import compose as C


def _voice(style, lo=0.0, hi=5.0, pitch=0.0):
    return {"voice": style, "voice_db": (lo, hi), "pitch": pitch}


# ------------------------------------------------------------------------------ blues
def blues_acoustic(s, rng):
    """Solo acoustic guitar (thumb bass + treble licks), maybe harmonica; a singer on top."""
    s.swing = rng.uniform(0.6, 0.68)
    s.setup({1: pick(rng, [24, 25]), 2: pick(rng, [24, 25, 22])}, {1: 100, 2: 85})
    prog = [0, 0, 0, 0, 5, 5, 0, 0, 7, 5, 0, 7]
    start = int(rng.integers(12))
    for bar in range(s.bars):
        deg = prog[(bar + start) % 12]
        r = 40 + ((s.key + deg - 40) % 12)
        for b in range(4):   # alternating thumb bass
            s.n(1, bar, b, 0.9, r + (0 if b % 2 == 0 else 7), 80)
        for p in pick(rng, [[0.5, 1.5, 2.5, 3.5], [1, 3], [0.5, 2, 3.5]]):
            s.chord(1, bar, p, 0.4, s.key + deg, "7", lo=55, vel=60, spread=0.015)
        if rng.random() < 0.35:
            melody_line(s, 2, [bar], BLUES, 60, 79, rng, [(0, 0.5), (0.5, 0.5), (1, 1), (2.5, 1.5)], vel=75, rest_p=0.3)
    return _voice(pick(rng, ["sung", "croon"]), 0, 6)


def blues_slow_minor(s, rng):
    """Slow minor blues in 12/8 feel: organ pad, half-time drums, bending lead guitar."""
    s.swing = 0.667
    s.setup({0: pick(rng, [32, 33]), 1: pick(rng, [16, 17, 19, 0]), 2: pick(rng, [27, 29, 30, 26])}, {0: 95, 1: 70, 2: 100})
    prog = [(0, "m7"), (0, "m7"), (0, "m7"), (0, "m7"), (5, "m7"), (5, "m7"), (0, "m7"), (0, "m7"), (8, "7"), (7, "7"),
            (0, "m7"), (7, "7")]
    start = int(rng.integers(12))
    brushes = rng.random() < 0.3
    for bar in range(s.bars):
        deg, q = prog[(bar + start) % 12]
        r = bass_root(s.key, deg)
        s.n(0, bar, 0, 1.9, r, 85); s.n(0, bar, 2, 1.5, r + 7, 75); s.n(0, bar, 3.5, 0.5, r + 10 - 12, 65)
        s.chord(1, bar, 0, 4, s.key + deg, q, lo=55, vel=50)
        for b in range(4):
            for t in (0, 1 / 3, 2 / 3):
                s.d(bar, b + t, SNARE if brushes else HH_C, 30 if brushes else 45 + 15 * (t == 0))
        s.d(bar, 0, KICK, 75)
        s.d(bar, 2, SNARE, 40 if brushes else 85)
        if rng.random() < 0.5:
            s.d(bar, 2 + 2 / 3, KICK, 55)
        if bar % 2 == 1 or rng.random() < 0.3:
            melody_line(s, 2, [bar], BLUES, 62, 86, rng, [(0, 1), (1, 2 / 3), (1 + 2 / 3, 1 / 3), (2, 2)], vel=95, rest_p=0.2)
            s.m.pitch_bend(s.t(bar, 0.05), 2, rng.uniform(0.3, 0.6))
            s.m.pitch_bend(s.t(bar, 0.8), 2, 0.0)
    return _voice(pick(rng, ["croon", "sung"]), -2, 5)


def blues_band(s, rng):
    C.blues(s, rng)
    return _voice(pick(rng, ["sung", "sung", "croon"]), -1, 5)


# ------------------------------------------------------------------------------ classical
def classical_piano(s, rng):
    """Solo piano: arpeggiated or chordal left hand, singing right hand, rubato and dynamics."""
    s.human = 0.02
    minor = rng.random() < 0.5
    sc = MINOR if minor else MAJOR
    q1, q5 = ("min", "7") if minor else ("maj", "7")
    prog = pick(rng, [[(0, q1), (5, "min" if minor else "maj"), (7, q5), (0, q1)], [(0, q1), (8 if minor else 9, "maj" if minor else "min"),
                                                                                    (2, "dim" if minor else "min"), (7, q5)]])
    s.setup({1: pick(rng, [0, 0, 1]), 2: 0}, {1: 90, 2: 100})
    arp = rng.random() < 0.6
    swell = rng.uniform(0.3, 0.9)
    for bar in range(s.bars):
        deg, q = prog[bar % len(prog)]
        dyn = 60 + 30 * math.sin(bar * swell + rng.uniform(0, 0.3))
        tones = CHORD[q]
        base = 36 + ((s.key + deg - 36) % 12)
        if arp:
            seq = [0, tones[1] + 12 if len(tones) > 1 else 12, tones[2] + 12, 24, tones[2] + 12, tones[1] + 12]
            for k in range(12):
                s.n(1, bar, k / 3, 0.6, base + seq[k % 6], dyn - 15)
        else:
            s.n(1, bar, 0, 2, base, dyn)
            s.chord(1, bar, 1, 1, s.key + deg, q, lo=52, vel=dyn - 15)
            s.chord(1, bar, 2, 2, s.key + deg, q, lo=52, vel=dyn - 20)
        melody_line(s, 2, [bar], sc, 65, 91, rng, pick(rng, [[(0, 1.5), (1.5, 0.5), (2, 2)], [(0, 1), (1, 1), (2, 1), (3, 1)],
                                                             [(p, 0.5) for p in np.arange(0, 4, 0.5)]]),
                    vel=dyn + 5, rest_p=0.05, step_p=0.85)
    return _voice("none")


def classical_quartet(s, rng):
    """String quartet: four bowed voices, homophonic with a moving first violin."""
    s.human = 0.015
    minor = rng.random() < 0.5
    sc = MINOR if minor else MAJOR
    prog = [(0, "min" if minor else "maj"), (5, "min" if minor else "maj"), (7, "7"), (0, "min" if minor else "maj"),
            (9 if not minor else 8, "min" if not minor else "maj"), (2, "min" if not minor else "dim"), (7, "7"), (0, "min" if minor else "maj")]
    s.setup({0: 42, 1: 41, 3: 40, 2: 40}, {0: 90, 1: 85, 3: 85, 2: 100})
    pizz = rng.random() < 0.2
    if pizz:
        s.m.program(s.t0 - 0.04, 0, 45)
    for bar in range(s.bars):
        deg, q = prog[bar % len(prog)]
        tones = CHORD[q]
        dyn = 65 + 20 * math.sin(bar * 0.7)
        s.n(0, bar, 0, 2 if not pizz else 0.5, 36 + ((s.key + deg - 36) % 12), dyn)
        s.n(0, bar, 2, 2 if not pizz else 0.5, 36 + ((s.key + deg + tones[2] - 36) % 12), dyn - 5)
        s.n(1, bar, 0, 4, 50 + ((s.key + deg + tones[1] - 50) % 12), dyn - 10)
        s.n(3, bar, 0, 2, 60 + ((s.key + deg + tones[2] - 60) % 12), dyn - 10)
        s.n(3, bar, 2, 2, 60 + ((s.key + deg - 60) % 12), dyn - 10)
        melody_line(s, 2, [bar], sc, 67, 93, rng, pick(rng, [[(0, 2), (2, 1), (3, 1)], [(0, 1), (1, 0.5), (1.5, 0.5), (2, 2)],
                                                             [(p, 0.5) for p in np.arange(0, 4, 0.5)]]), vel=dyn + 10, rest_p=0.03, step_p=0.9)
    return _voice("none")


def classical_orchestra(s, rng):
    C.classical(s, rng)
    return _voice("none")


# ------------------------------------------------------------------------------ country
def country_acoustic(s, rng):
    """Acoustic guitar strum, fiddle / steel fills, upright bass boom-chick, light or no drums; a singer."""
    prog = pick(rng, C.COUNTRY_PROGS)
    fill = pick(rng, [110, 110, 26, 27, 22])   # fiddle, "steel" (bent clean guitar), harmonica
    s.setup({0: pick(rng, [32, 33]), 1: 25, 2: fill, 3: pick(rng, [24, 105])}, {0: 95, 1: 100, 2: 85, 3: 75})
    drums = pick(rng, ["none", "none", "brush", "light"])
    waltz = rng.random() < 0.2
    for bar in range(s.bars):
        deg = prog[bar % len(prog)]
        r = bass_root(s.key, deg)
        C.boom_chick(s, bar, r, 90)
        pattern = [80, 0, 0, 55, 0, 55, 0, 0] if waltz else [80, 0, 60, 55, 75, 0, 60, 55]
        for k, v in enumerate(pattern):
            if v:
                s.chord(1, bar, k * 0.5, 0.45, s.key + deg, "maj", lo=52, vel=v, spread=0.012)
        if drums == "brush":
            for k in range(8):
                s.d(bar, k * 0.5, SNARE, 30)
            s.d(bar, 1, SNARE, 55); s.d(bar, 3, SNARE, 55)
        elif drums == "light":
            s.d(bar, 0, KICK, 70); s.d(bar, 2, KICK, 65); s.d(bar, 1, SIDE, 70); s.d(bar, 3, SIDE, 70)
            for k in range(8):
                s.d(bar, k * 0.5, HH_C, 45)
        if bar % 4 == 3 or rng.random() < 0.35:
            melody_line(s, 2, [bar], PENT_MAJ, 64, 88, rng, [(0, 1), (1, 0.5), (1.5, 0.5), (2, 2)], vel=85, rest_p=0.1)
            if fill in (26, 27):
                s.m.pitch_bend(s.t(bar, 0.0), 2, -0.4)
                s.m.pitch_bend(s.t(bar, 0.4), 2, 0.0)
    return _voice("sung", 0, 6)


def country_modern(s, rng):
    """Country-rock: overdriven and clean guitars, full kit backbeat, fiddle or steel licks; a loud singer."""
    prog = pick(rng, [[0, 5, 9, 7], [0, 7, 9, 5], [5, 0, 7, 9], [0, 0, 5, 7]])
    s.setup({0: pick(rng, [33, 34]), 1: pick(rng, [29, 25, 27]), 2: pick(rng, [110, 26, 27, 29]), 3: pick(rng, [25, 27])},
            {0: 105, 1: 100, 2: 90, 3: 80})
    for bar in range(s.bars):
        deg = prog[bar % len(prog)]
        r = bass_root(s.key, deg)
        for k in range(8):
            s.n(0, bar, k * 0.5, 0.45, r if k != 6 else r + 7, 90)
        q = "min" if deg == 9 else "maj"
        if rng.random() < 0.5:
            for k in range(8):
                s.chord(1, bar, k * 0.5, 0.4, s.key + deg, "5", lo=45, vel=95)
        else:
            s.chord(1, bar, 0, 1.9, s.key + deg, q, lo=52, vel=95, spread=0.01)
            s.chord(1, bar, 2, 1.9, s.key + deg, q, lo=52, vel=90, spread=0.01)
        for k, v in enumerate([70, 0, 50, 45, 65, 0, 50, 45]):
            if v:
                s.chord(3, bar, k * 0.5, 0.4, s.key + deg, q, lo=55, vel=v, spread=0.01)
        s.d(bar, 0, KICK, 100); s.d(bar, 2, KICK, 95); s.d(bar, 1, SNARE, 105); s.d(bar, 3, SNARE, 105)
        for k in range(8):
            s.d(bar, k * 0.5, HH_C if rng.random() < 0.85 else HH_O, 70)
        if bar % 4 == 0:
            s.d(bar, 0, CRASH, 90)
        if bar % 4 == 3:
            melody_line(s, 2, [bar], PENT_MAJ, 64, 90, rng, [(p, 0.5) for p in np.arange(0, 4, 0.5)], vel=90, rest_p=0.1)
    return _voice("sung", 0, 6)


def country_classic(s, rng):
    C.country(s, rng)
    return _voice("sung", -1, 5)


# ------------------------------------------------------------------------------ disco
def disco_strings(s, rng):
    """compose.disco plus a string section pad and high string lines; falsetto or diva voice."""
    C.disco(s, rng)
    s.m.program(s.t0 - 0.04, 4, pick(rng, [48, 49, 44]))
    s.m.cc(s.t0 - 0.04, 4, 7, 85)
    for bar in range(s.bars):
        if rng.random() < 0.7:
            root = s.key + pick(rng, [0, 5, 7, 9])
            for iv in (0, 4, 7):
                s.n(4, bar, 0, 4, 72 + ((root + iv - 72) % 12), 60)
    return _voice("sung", 0, 6, pitch=pick(rng, [5.0, 7.0, 9.0, 0.0]))


# ------------------------------------------------------------------------------ hip-hop
def hiphop_boombap(s, rng):
    """Sparse boom-bap loop (kick, snare, few hats), a short sample loop, maybe scratches; rap on top."""
    s.swing = rng.uniform(0.52, 0.62)
    s.setup({0: pick(rng, [33, 38, 39, 32]), 2: pick(rng, [0, 4, 11, 26, 48, 61, 89]), 4: pick(rng, [54, 55, 120, 121])},
            {0: 110, 2: 70, 4: 70})
    kp = pick(rng, [[0, 1.75, 2.5], [0, 0.75, 2.25], [0, 2.5], [0, 1.5, 2.75]])
    loop = [(float(p), int(rng.choice(MINOR))) for p in sorted(rng.choice(np.arange(0, 8, 0.5), size=int(rng.integers(3, 7)), replace=False))]
    hats = rng.random() < 0.6
    for bar in range(s.bars):
        r = bass_root(s.key, 0 if bar % 2 == 0 else pick(rng, [0, 8, 5]))
        for p in kp:
            s.d(bar, p, KICK, 110)
            if rng.random() < 0.6:
                s.n(0, bar, p, 0.7, r, 95)
        s.d(bar, 1, pick(rng, [SNARE, CLAP]), 105); s.d(bar, 3, SNARE, 105)
        if hats:
            for k in range(8):
                s.d(bar, k * 0.5, HH_C, 40 + 20 * (k % 2 == 0))
        for p, iv in loop:
            if int(p // 4) == bar % 2:
                s.n(2, bar, p % 4, pick(rng, [0.4, 0.9]), 64 + ((s.key + iv - 64) % 12), 65)
        if rng.random() < 0.2:   # scratch: a fast pitch sweep on a voice / noise patch
            s.m.pitch_bend(s.t(bar, 3.0), 4, -1.0)
            s.n(4, bar, 3.0, 0.5, 60 + s.key % 12, 90)
            s.m.pitch_bend(s.t(bar, 3.2), 4, 0.8)
            s.m.pitch_bend(s.t(bar, 3.45), 4, -0.6)
            s.m.pitch_bend(s.t(bar, 3.6), 4, 0.0)
    return _voice("rap", 2, 8)


def hiphop_808(s, rng):
    """808 kit (Hydrogen TR-808), long sliding sub bass, hi-hat rolls, a sparse bell / pad line; rap on top."""
    s.setup({0: pick(rng, [38, 39, 87]), 2: pick(rng, [8, 9, 11, 14, 88, 89, 92])}, {0: 120, 2: 65})
    kp = pick(rng, [[0, 2.5], [0, 0.75, 2.5], [0, 1.75, 3.25], [0, 3]])
    for bar in range(s.bars):
        r = bass_root(s.key, pick(rng, [0, 0, 3, 8, 10])) - 12 + 12 * (rng.random() < 0.5)
        for p in kp:
            s.d(bar, p, KICK, 110)
            s.n(0, bar, p, 1.4, r, 110)
        s.d(bar, 2, pick(rng, [CLAP, SNARE]), 105)
        k = 0.0
        while k < 4:
            step = 0.5 if rng.random() < 0.5 else (0.25 if rng.random() < 0.7 else 0.125)
            s.d(bar, k, HH_C, 45 + 25 * (k % 1 == 0))
            k += step
        if rng.random() < 0.3:
            s.d(bar, 3.5, HH_O, 60)
        if bar % 2 == 0:
            melody_line(s, 2, [bar], PENT_MIN, 67, 84, rng, [(0, 1), (1.5, 0.5), (2, 1), (3, 1)], vel=60, rest_p=0.3)
    out = _voice("rap", 2, 8)
    out["kit"] = "TR808EmulationKit"
    return out


# ------------------------------------------------------------------------------ jazz
def _walk(s, rng, bar, prog, vel=85):
    deg, q = prog[bar % len(prog)]
    nxt = prog[(bar + 1) % len(prog)][0]
    r = bass_root(s.key, deg)
    tones = CHORD[q]
    for b, p in enumerate([r, r + tones[1], r + tones[2], bass_root(s.key, nxt) + pick(rng, [-1, 1])]):
        s.n(0, bar, b, 0.95, p, vel)


JAZZ_PROGS = [[(2, "m7"), (7, "7"), (0, "maj7"), (0, "maj7")], [(0, "maj7"), (9, "m7"), (2, "m7"), (7, "7")],
              [(2, "m7b5"), (7, "7"), (0, "m7"), (0, "m7")], [(4, "m7"), (9, "7"), (2, "m7"), (7, "7")]]


def _ride(s, rng, bar, brushes, soft=0):
    for p in (0, 1, 1.5, 2, 3, 3.5):
        s.d(bar, p, SNARE if brushes else RIDE, (30 if brushes else 65) - soft + 10 * (p in (1, 3)))
    s.d(bar, 1, HH_P, 55 - soft); s.d(bar, 3, HH_P, 55 - soft)


def jazz_trio(s, rng):
    """Piano trio: piano comping and right-hand lines, upright bass walking, ride or brushes."""
    s.swing = rng.uniform(0.6, 0.68)
    prog = pick(rng, JAZZ_PROGS)
    s.setup({0: 32, 1: 0, 2: 0}, {0: 105, 1: 80, 2: 95})
    brushes = rng.random() < 0.5
    for bar in range(s.bars):
        _walk(s, rng, bar, prog)
        _ride(s, rng, bar, brushes, soft=10)
        deg, q = prog[bar % len(prog)]
        tones = CHORD[q]
        for p in pick(rng, [[1.5, 3.5], [0.5, 2.5], [1.5], [0, 2.5]]):
            base = 50 + ((s.key + deg + tones[1] - 50) % 12)
            for iv in (0, tones[-1] - tones[1], 14 - tones[1]):
                s.n(1, bar, p, pick(rng, [0.4, 0.9]), base + iv, 60)
        melody_line(s, 2, [bar], (0, 2, 3, 4, 5, 7, 9, 10, 11), 62, 88, rng,
                    pick(rng, [[(p, 0.45) for p in np.arange(0, 4, 0.5)], [(0, 1.5), (1.5, 0.5), (2, 0.5), (2.5, 1.5)]]),
                    vel=80, rest_p=0.2)
    return _voice("none")


def jazz_bebop(s, rng):
    C.jazz(s, rng)
    return _voice("none")


def jazz_bigband(s, rng):
    """Big band: brass and sax sections in block harmony (stabs and shout lines), walking bass, loud ride."""
    s.swing = rng.uniform(0.6, 0.68)
    prog = pick(rng, JAZZ_PROGS)
    s.setup({0: 32, 1: pick(rng, [61, 62]), 2: pick(rng, [56, 57, 65, 66]), 3: pick(rng, [65, 66, 57]), 4: 0},
            {0: 105, 1: 95, 2: 100, 3: 90, 4: 70})
    for bar in range(s.bars):
        _walk(s, rng, bar, prog, 95)
        _ride(s, rng, bar, False)
        s.d(bar, pick(rng, [1.5, 2.5, 3.5]), SNARE, 75)
        if bar % 4 == 0:
            s.d(bar, 0, CRASH, 85)
        deg, q = prog[bar % len(prog)]
        for p in pick(rng, [[0.5, 1.5, 3.5], [0, 2.5], [1.5, 3.5], [3.5]]):
            s.chord(1, bar, p, pick(rng, [0.3, 0.9]), s.key + deg, q, lo=58, vel=95)
            s.chord(3, bar, p, pick(rng, [0.3, 0.9]), s.key + deg, q, lo=52, vel=80)
        s.chord(4, bar, pick(rng, [1.5, 2.5]), 0.5, s.key + deg, q, lo=55, vel=55)
        melody_line(s, 2, [bar], (0, 2, 3, 4, 5, 7, 9, 10), 65, 88, rng, [(0, 1), (1, 0.5), (1.5, 0.5), (2, 1.5), (3.5, 0.5)],
                    vel=100, rest_p=0.15)
    return _voice("none")


def jazz_ballad(s, rng):
    """Vocal ballad: slow, brushes, piano chords, upright bass in half notes; a crooner."""
    s.swing = 0.62
    prog = pick(rng, JAZZ_PROGS)
    s.setup({0: 32, 1: 0, 2: pick(rng, [65, 66, 0, 56, 73])}, {0: 95, 1: 80, 2: 70})
    for bar in range(s.bars):
        deg, q = prog[bar % len(prog)]
        r = bass_root(s.key, deg)
        s.n(0, bar, 0, 1.9, r, 80); s.n(0, bar, 2, 1.9, r + CHORD[q][2], 75)
        _ride(s, rng, bar, True, soft=5)
        s.chord(1, bar, 0, 2, s.key + deg, q, lo=52, vel=55, spread=0.03)
        s.chord(1, bar, 2.5, 1.5, s.key + deg, q, lo=52, vel=50, spread=0.03)
        if rng.random() < 0.3:
            melody_line(s, 2, [bar], MAJOR, 62, 80, rng, [(0, 2), (2, 1), (3, 1)], vel=55, rest_p=0.4)
    return _voice(pick(rng, ["croon", "sung"]), 0, 6)


# ------------------------------------------------------------------------------ pop
def pop_synth(s, rng):
    """Synth pop: synth bass, pads, arpeggiator, four-on-the-floor or backbeat with claps; voice up front."""
    prog = pick(rng, [[(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")], [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")],
                      [(5, "maj"), (0, "maj"), (7, "maj"), (9, "min")]])
    s.setup({0: pick(rng, [38, 39, 81]), 1: pick(rng, [88, 89, 90, 91, 50]), 2: pick(rng, [80, 81, 84, 98]), 3: pick(rng, [81, 87, 8])},
            {0: 110, 1: 75, 2: 75, 3: 70})
    four = rng.random() < 0.5
    for bar in range(s.bars):
        deg, q = prog[bar % len(prog)]
        r = bass_root(s.key, deg)
        for k in range(8):
            s.n(0, bar, k * 0.5, 0.4, r + (12 if k % 2 and rng.random() < 0.3 else 0), 95)
        s.chord(1, bar, 0, 4, s.key + deg, q, lo=57, vel=55)
        tones = CHORD[q]
        for k in range(16):   # arpeggiator
            if rng.random() < 0.8:
                s.n(3, bar, k * 0.25, 0.2, 67 + ((s.key + deg + tones[k % 3] - 67) % 12) + 12 * (k % 4 == 3), 50)
        if four:
            for b in range(4):
                s.d(bar, b, KICK, 105)
                s.d(bar, b + 0.5, HH_O, 55)
        else:
            s.d(bar, 0, KICK, 105); s.d(bar, 2.5, KICK, 90)
            for k in range(8):
                s.d(bar, k * 0.5, HH_C, 55)
        s.d(bar, 1, CLAP, 100); s.d(bar, 3, pick(rng, [CLAP, SNARE]), 100)
    return _voice("sung", 1, 7, pitch=pick(rng, [0.0, 3.0, 5.0]))


def pop_ballad(s, rng):
    """Piano / strings ballad with a light kit; voice up front."""
    prog = pick(rng, [[(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")], [(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")]])
    s.setup({0: pick(rng, [33, 34]), 1: pick(rng, [0, 1, 4]), 3: pick(rng, [48, 49, 89])}, {0: 90, 1: 90, 3: 70})
    drums = rng.random() < 0.6
    for bar in range(s.bars):
        deg, q = prog[bar % len(prog)]
        r = bass_root(s.key, deg)
        s.n(0, bar, 0, 1.9, r, 85); s.n(0, bar, 2, 1.9, r, 80)
        for k in range(8):
            s.chord(1, bar, k * 0.5, 0.5, s.key + deg, q, lo=57, vel=55 + 10 * (k % 2 == 0))
        s.chord(3, bar, 0, 4, s.key + deg, q, lo=60, vel=50)
        if drums:
            s.d(bar, 0, KICK, 85); s.d(bar, 2.5, KICK, 70); s.d(bar, 1, SIDE, 80); s.d(bar, 3, SNARE, 85)
            for k in range(8):
                s.d(bar, k * 0.5, HH_C, 45)
    return _voice("sung", 1, 7)


def pop_band(s, rng):
    C.pop(s, rng)
    return _voice("sung", 0, 6)


# ------------------------------------------------------------------------------ the rest
def metal_band(s, rng):
    C.metal(s, rng)
    return _voice(pick(rng, ["scream", "scream", "sung", "none"]), -3, 3)


def reggae_band(s, rng):
    C.reggae(s, rng)
    return _voice(pick(rng, ["sung", "sung", "sung", "rap"]), 0, 6)


def rock_band(s, rng):
    C.rock(s, rng)
    return _voice(pick(rng, ["sung", "sung", "sung", "none"]), -1, 5)


# genre -> [(sub-style, probability weight, tempo factor)]; tempo factor 0.5: a half-time / ballad feel
SUBSTYLES = {
    "blues": [(blues_acoustic, 1, 1.0), (blues_band, 1, 1.0), (blues_slow_minor, 1, 0.6)],
    "classical": [(classical_piano, 1, 1.0), (classical_quartet, 1, 1.0), (classical_orchestra, 1, 1.0)],
    "country": [(country_acoustic, 1.2, 1.0), (country_modern, 1, 1.0), (country_classic, 0.8, 1.0)],
    "disco": [(disco_strings, 1, 1.0)],
    "hiphop": [(hiphop_boombap, 1, 1.0), (hiphop_808, 1, 0.75)],
    "jazz": [(jazz_trio, 1, 1.0), (jazz_bebop, 1, 1.0), (jazz_bigband, 1, 1.0), (jazz_ballad, 1, 0.5)],
    "metal": [(metal_band, 1, 1.0)],
    "pop": [(pop_synth, 1, 1.0), (pop_ballad, 0.6, 0.75), (pop_band, 1, 1.0)],
    "reggae": [(reggae_band, 1, 1.0)],
    "rock": [(rock_band, 1, 1.0)],
}


def compose_variety(midi, genre, rng, t0, seconds, tempo):
    """Writes one song of a random sub-style of `genre` into `midi`; returns its parameters and audio-side hints."""
    opts = SUBSTYLES[genre]
    w = np.array([o[1] for o in opts], float)
    fn, _, tf = opts[int(rng.choice(len(opts), p=w / w.sum()))]
    key = int(rng.integers(12))
    vel_scale = float(rng.uniform(0.7, 1.1))
    s = Song(midi, rng, t0, seconds, tempo * tf, key, vel_scale=vel_scale, human=float(rng.uniform(0.002, 0.015)))
    midi.reset_channels(t0 - 0.2)
    hints = fn(s, rng)
    hints.setdefault("kit", None)
    return dict({"genre": genre, "substyle": fn.__name__, "tempo": round(tempo * tf, 2), "key": key,
                 "vel_scale": round(vel_scale, 3)}, **hints)
