# SPDX-License-Identifier: MIT
"""Minimal Standard MIDI File writer (format 0) for the procedural music generator.

Events are given in seconds. The file uses a fixed tempo of 120 bpm and 480 ticks per quarter
note, so one tick is 1/960 s; every musical tempo is realised by the composer's own time
arithmetic. Several songs can be placed one after another in one file (see Midi.reset_channels),
so that one fluidsynth run renders a whole batch.
"""
import struct

TICKS_PER_S = 960
PPQ = 480


def _vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


class Midi:
    def __init__(self):
        # (tick, order, bytes): order keeps note-offs before note-ons and setup before notes.
        self.events = []

    def _add(self, t, order, data):
        self.events.append((max(0, int(round(t * TICKS_PER_S))), order, bytes(data)))

    def program(self, t, ch, prog):
        self._add(t, 1, [0xC0 | ch, prog & 0x7F])

    def cc(self, t, ch, ctrl, value):
        self._add(t, 1, [0xB0 | ch, ctrl & 0x7F, max(0, min(127, int(value)))])

    def pitch_bend(self, t, ch, value):
        """value in [-1, 1] (+-2 semitones with the GM default range)."""
        v = max(0, min(16383, int(round(8192 + value * 8191))))
        self._add(t, 2, [0xE0 | ch, v & 0x7F, v >> 7])

    def note(self, t, dur, ch, pitch, vel):
        pitch = int(pitch)
        if pitch < 0 or pitch > 127:
            return
        vel = max(1, min(127, int(round(vel))))
        dur = max(dur, 0.01)
        self._add(t, 3, [0x90 | ch, pitch, vel])
        self._add(t + dur, 0, [0x80 | ch, pitch, 0])

    def reset_channels(self, t):
        """All sound off, reset controllers and pitch bend on every channel at time t."""
        for ch in range(16):
            self._add(t, 0, [0xB0 | ch, 120, 0])   # all sound off
            self._add(t, 0, [0xB0 | ch, 121, 0])   # reset all controllers
            self._add(t, 0, [0xE0 | ch, 0, 64])    # pitch bend centre

    def to_bytes(self):
        ev = sorted(self.events, key=lambda e: (e[0], e[1]))
        trk = bytearray()
        trk += _vlq(0) + bytes([0xFF, 0x51, 3]) + (500000).to_bytes(3, "big")
        last = 0
        for tick, _, data in ev:
            trk += _vlq(tick - last) + data
            last = tick
        trk += _vlq(0) + bytes([0xFF, 0x2F, 0])
        return b"MThd" + struct.pack(">IHHH", 6, 0, 1, PPQ) + b"MTrk" + struct.pack(">I", len(trk)) + bytes(trk)

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.to_bytes())
