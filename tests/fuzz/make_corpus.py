#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora for the fuzz targets in tests/fuzz (deterministic; re-run after a
format change and commit the result):

  corpus/model_loader/   valid tiny models written by scripts/export_model.py (PyTorch modules),
                         plus truncated / bit-flipped / header-edited variants of them
  corpus/json/           the JSON headers of those models, their colive configs, and edge cases
  corpus/audio_features/ op streams for fuzz_audio_features.cpp (8 kHz .. 192 kHz, 1-8 channels,
                         NaN/Inf, rate changes, invalid rates/channels, flush/reset)
  corpus/npy/            .npy token files written by numpy, and damaged ones
  corpus/video_features/ frame streams for fuzz_video_features.cpp (1x1, odd sizes, grey, BGRA,
                         16-bit, float, backwards/NaN time, large frames)

Files found by fuzzing that once crashed something are kept in corpus/<target>/regress-* and are
never rewritten by this script.

Usage: /usr/bin/python3 tests/fuzz/make_corpus.py [--only model_loader,json,...]
"""
import argparse
import json
import math
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def clean(target):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.remove(os.path.join(d, f))
    return d


def put(d, name, data):
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------------
# Models

def tiny_models(tmp):
    """Valid tiny model files from scripts/export_model.py; returns {name: bytes}."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import torch  # noqa: E402
    import export_model  # noqa: E402

    torch.manual_seed(1234)
    out = {}
    specs = [
        # name, d_in, d, heads, d_ff, window, blocks, pe_rows, act, classes, final_norm, pre-norm
        ("b1-relu", 5, 8, 2, 12, 4, 1, 0, "relu", 3, True, False),
        ("b2-gelu-pe", 6, 8, 2, 16, 5, 2, 7, "gelu", 4, True, False),
        ("b3-gelu-nonorm", 4, 8, 4, 8, 3, 3, 4, "gelu", 2, False, False),
        ("b1-nohead", 8, 8, 1, 4, 2, 1, 2, "relu", 0, True, False),
        ("b3-prenorm", 5, 9, 3, 10, 4, 3, 7, "gelu", 3, True, True),
    ]
    for name, d_in, d, h, ff, n, blocks, pe_rows, act, ncls, fnorm, prenorm in specs:
        layer = torch.nn.TransformerEncoderLayer(d, h, ff, dropout=0.0, activation=act, batch_first=True,
                                                 norm_first=prenorm)
        enc = torch.nn.TransformerEncoder(layer, blocks, enable_nested_tensor=False) \
            if "enable_nested_tensor" in torch.nn.TransformerEncoder.__init__.__code__.co_varnames \
            else torch.nn.TransformerEncoder(layer, blocks)
        proj = torch.nn.Linear(d_in, d) if name != "b1-nohead" else None
        pe = torch.randn(pe_rows, d) * 0.1 if pe_rows else None
        norm = torch.nn.LayerNorm(d) if fnorm else None
        head = torch.nn.Linear(d, ncls) if ncls else None
        cfg = {"name": "fuzz-" + name, "modality": "", "features": "raw", "window": n,
               "pe_rows": pe_rows, "token_rate_hz": 4.0,
               "classes": ["c%d" % i for i in range(ncls)]}
        if proj is None:
            cfg["d_in"] = d
        else:
            cfg["d_in"] = d_in
        path = os.path.join(tmp, name + ".safetensors")
        export_model.export_model(path, enc, input_proj=proj, pe_table=pe, final_norm=norm, head=head, config=cfg)
        with open(path, "rb") as f:
            out[name] = f.read()
    return out


def split(blob):
    hlen = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + hlen]), blob[8 + hlen:]


def join(header, data, pad=True):
    h = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def model_variants(models):
    v = {}
    for name, blob in models.items():
        v["valid-" + name] = blob
    base = models["b2-gelu-pe"]
    header, data = split(base)
    hlen = struct.unpack("<Q", base[:8])[0]
    # truncations at every structural boundary
    for cut in (0, 1, 7, 8, 9, 8 + hlen // 2, 8 + hlen - 1, 8 + hlen, 8 + hlen + 1, len(base) - 4, len(base) - 1):
        v["trunc-%d" % cut] = base[:cut]
    # header length lies
    v["hlen-huge"] = struct.pack("<Q", 2 ** 63) + base[8:]
    v["hlen-plus1"] = struct.pack("<Q", hlen + 1) + base[8:]
    v["hlen-minus1"] = struct.pack("<Q", hlen - 1) + base[8:]
    v["not-safetensors"] = b"PK\x03\x04" + base[4:200]
    cfg = json.loads(header["__metadata__"]["colive"])
    first = next(k for k in header if k != "__metadata__")

    def edited(fn, hdr=None, dat=None):
        h = json.loads(json.dumps(hdr if hdr is not None else header))
        c = json.loads(h["__metadata__"]["colive"])
        r = fn(h, c)
        h["__metadata__"]["colive"] = json.dumps(c)
        return r if isinstance(r, bytes) else join(h, dat if dat is not None else data)

    def tset(key, val):
        def f(h, c):
            h[first][key] = val
        return f

    def cset(key, val):
        def f(h, c):
            c[key] = val
        return f

    v["shape-swapped"] = edited(lambda h, c: h[first].__setitem__("shape", list(reversed(h[first]["shape"]))))
    v["shape-huge"] = edited(tset("shape", [2 ** 40, 2 ** 40]))
    v["shape-neg"] = edited(tset("shape", [-1, 4]))
    v["shape-float"] = edited(tset("shape", [1.5, 4]))
    v["dtype-f16"] = edited(tset("dtype", "F16"))
    v["dtype-missing"] = edited(lambda h, c: h[first].pop("dtype"))
    v["offsets-past-end"] = edited(tset("data_offsets", [0, len(data) + 4096]))
    v["offsets-reversed"] = edited(lambda h, c: h[first].__setitem__("data_offsets", list(reversed(h[first]["data_offsets"]))))
    v["offsets-overlap"] = edited(tset("data_offsets", [4, 4 + 4 * math.prod(header[first]["shape"])]))
    v["offsets-2e64"] = edited(tset("data_offsets", [18446744073709551615, 18446744073709551615]))
    v["tensor-missing"] = edited(lambda h, c: h.pop(first))
    v["tensor-extra"] = edited(lambda h, c: h.__setitem__("zzz.extra", {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}))
    for key, val in [("d_model", 9), ("d_model", 0), ("heads", 3), ("heads", 0), ("window", 0),
                     ("window", 65536), ("blocks", 4), ("blocks", 1), ("d_in", 7), ("d_ff", 15),
                     ("pe_rows", 8), ("activation", "swish"), ("ln_eps", 0), ("ln_eps", -1e-5),
                     ("classes", ["a"]), ("classes", "abc"), ("modality", "smell"), ("d_model", 1e300),
                     ("token_rate_hz", -1), ("d_model", "8"), ("heads", 2.5), ("norm_first", True),
                     ("norm_first", "yes")]:
        v["cfg-%s-%s" % (key, str(val)[:12].replace("/", "_"))] = edited(cset(key, val))
    # metadata edits that edited() cannot express (the lambda returns bytes)
    h2 = json.loads(json.dumps(header))
    h2["__metadata__"]["colive"] = "{not json"
    v["metadata-not-json"] = join(h2, data)
    h3 = json.loads(json.dumps(header))
    h3.pop("__metadata__")
    v["no-metadata"] = join(h3, data)
    # non-finite weights at the first, a middle and the last float
    nfl = len(data) // 4
    for idx in (0, nfl // 2, nfl - 1):
        for tag, bits in (("nan", b"\x00\x00\xc0\x7f"), ("inf", b"\x00\x00\x80\x7f"), ("ninf", b"\x00\x00\x80\xff")):
            d2 = bytearray(data)
            d2[4 * idx:4 * idx + 4] = bits
            v["%s-at-%d" % (tag, idx)] = join(header, bytes(d2))
    # JSON-level damage
    hb = base[8:8 + hlen]
    v["header-dupkey"] = struct.pack("<Q", hlen + 12) + b'{"a":1,"a":2' + hb[1:] + data  # duplicate key & junk
    v["header-nul"] = base[:8] + hb.replace(b'"', b"\x00", 1) + data
    v["header-deep"] = (lambda j: struct.pack("<Q", len(j)) + j)(b"[" * 5000 + b"]" * 5000)
    v["header-array"] = (lambda j: struct.pack("<Q", len(j)) + j)(b"[1,2,3]")
    v["header-empty-obj"] = (lambda j: struct.pack("<Q", len(j)) + j)(b"{}")
    v["tensor-name-newline"] = edited(lambda h, c: h.__setitem__("evil\nname", h.pop(first)))
    v["cfg-activation-newline"] = edited(cset("activation", "gelu\nrelu"))
    v["cfg-missing-all"] = join({"__metadata__": {"colive": "{}"}}, b"")
    return v, [base[8:8 + hlen] for base in models.values()], [split(b)[0]["__metadata__"]["colive"] for b in models.values()]


def gen_models(tmp):
    d = clean("model_loader")
    models = tiny_models(tmp)
    variants, headers, cfgs = model_variants(models)
    for k, b in variants.items():
        put(d, k + ".safetensors", b)
    return headers, cfgs


# ---------------------------------------------------------------------------------------------
# JSON

def gen_json(headers, cfgs):
    d = clean("json")
    for i, h in enumerate(headers):
        put(d, "header-%d.json" % i, h)
    for i, c in enumerate(cfgs):
        put(d, "config-%d.json" % i, c.encode())
    cases = {
        "empty": b"", "ws": b" \t\r\n", "null": b"null", "true": b"true", "false": b"false",
        "nums": b"[0,-0,1,-1,0.5,1e10,1E-10,-1.5e+300,1e400,-1e400,1e-400,123456789012345678901234567890]",
        "bad-nums": b"[01]", "bad-num2": b"[1.]", "bad-num3": b"[-]", "bad-num4": b"[1e]",
        "strings": b'["", "a", "\\"\\\\\\/\\b\\f\\n\\r\\t", "\\u0000", "\\u00e9\\u20ac", "\\ud83d\\ude00", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"]',
        "bad-surrogate": b'["\\ud83d"]', "bad-surrogate2": b'["\\ude00"]', "bad-utf8": b'["\xc0\xaf"]',
        "bad-utf8-2": b'["\xed\xa0\x80"]', "bad-utf8-3": b'["\xf4\x90\x80\x80"]', "truncated-utf8": b'["\xe2\x82',
        "ctrl": b'["a\x01b"]', "bad-escape": b'["\\x41"]', "bad-hex": b'["\\u12G4"]',
        "nested": b'{"a":{"b":[1,{"c":[true,false,null]}]}}', "deep64": b"[" * 64 + b"]" * 64,
        "deep65": b"[" * 66 + b"]" * 66, "dupkey": b'{"a":1,"a":2}', "trailing-comma": b"[1,2,]",
        "trailing": b"{} x", "unterminated": b'{"a":', "key-not-string": b"{1:2}", "comment": b"// x\n{}",
        "bom": b"\xef\xbb\xbf{}", "lit": b"nul", "lit2": b"tru",
    }
    for k, b in cases.items():
        put(d, k + ".json", b)


# ---------------------------------------------------------------------------------------------
# Audio op streams (see fuzz_audio_features.cpp)

RATES = [8000, 16000, 44100, 48000, 192000, 4000, 11025, 22050, 96000, 768000, 3999, 768001]


def fmt(rate_idx, ch, raw_rate=None):
    if raw_rate is not None:
        return bytes([2, 0xFF]) + struct.pack("<i", raw_rate) + bytes([ch])
    return bytes([2, rate_idx, ch])


def int16_block(samples, nframes_code):
    return bytes([(nframes_code << 2) | 0]) + struct.pack("<%dh" % len(samples), *samples)


def float_block(samples, nframes_code, stray=False):
    return bytes([(nframes_code << 2) | 1 | (0x80 if stray else 0)]) + struct.pack("<%df" % len(samples), *samples)


def tone(rate, ch, frames, start, f0=440.0, amp=0.5):
    out = []
    for i in range(frames):
        t = (start + i) / rate
        for c in range(ch):
            out.append(amp * math.sin(2 * math.pi * (f0 * (c + 1)) * t))
    return out


def to16(xs):
    return [max(-32768, min(32767, int(round(x * 32767)))) for x in xs]


def gen_audio():
    d = clean("audio_features")
    code = 31
    frames = (code + 1) * 37  # 1184 per block

    def stream(rate_idx, ch, blocks, kind="int16", extra=b""):
        rate = RATES[rate_idx]
        b = fmt(rate_idx, ch)
        for k in range(blocks):
            s = tone(rate, ch, frames, k * frames)
            b += int16_block(to16(s), code) if kind == "int16" else float_block(s, code)
        return b + extra + bytes([3 | 4])  # flush

    put(d, "16k-mono-2s.bin", stream(1, 1, 28))
    put(d, "8k-mono.bin", stream(0, 1, 12))
    put(d, "8k-stereo.bin", stream(0, 2, 10))
    put(d, "192k-8ch.bin", stream(4, 8, 4))
    put(d, "192k-mono-float.bin", stream(4, 1, 10, "float"))
    put(d, "44k1-6ch.bin", stream(2, 6, 4))
    put(d, "48k-4ch-float.bin", stream(3, 4, 4, "float"))
    put(d, "768k-mono.bin", stream(9, 1, 8))
    put(d, "4k-3ch.bin", stream(5, 3, 6))
    # NaN / Inf / huge / denormal samples
    bad = tone(16000, 1, frames, 0)
    for i in range(0, frames, 50):
        bad[i] = float("nan")
    for i in range(25, frames, 100):
        bad[i] = float("inf")
    bad[3] = -float("inf")
    b = fmt(1, 1) + b"".join(float_block(bad, code) for _ in range(8)) + bytes([7])
    put(d, "16k-nan-inf.bin", b)
    huge = [1e30 * ((-1) ** i) for i in range(frames)]
    put(d, "16k-huge.bin", fmt(1, 1) + b"".join(float_block(huge, code) for _ in range(8)) + bytes([7]))
    tiny = [1e-42] * frames
    put(d, "16k-denormal.bin", fmt(1, 1) + b"".join(float_block(tiny, code) for _ in range(8)) + bytes([7]))
    # format changes mid-stream
    b = fmt(1, 1) + int16_block(to16(tone(16000, 1, frames, 0)), code) * 3
    b += fmt(0, 2) + int16_block(to16(tone(8000, 2, frames, 0)), code) * 3
    b += fmt(4, 8) + int16_block(to16(tone(192000, 8, frames, 0)), code) * 2 + bytes([7])
    put(d, "rate-changes.bin", b)
    # invalid formats, stray samples, reset in the middle, flush twice, flush before anything
    put(d, "bad-rate-low.bin", fmt(10, 1) + int16_block(to16(tone(3999, 1, frames, 0)), code))
    put(d, "bad-rate-high.bin", fmt(11, 1) + int16_block(to16(tone(16000, 1, frames, 0)), code))
    put(d, "bad-rate-zero.bin", fmt(0, 1, raw_rate=0) + int16_block([0] * frames, code))
    put(d, "bad-rate-neg.bin", fmt(0, 1, raw_rate=-44100) + int16_block([0] * frames, code))
    put(d, "bad-rate-max.bin", fmt(0, 1, raw_rate=2 ** 31 - 1) + int16_block([0] * frames, code))
    put(d, "bad-channels-0.bin", fmt(1, 0) + int16_block([0] * frames, code))
    put(d, "bad-channels-9.bin", fmt(1, 9) + int16_block([0] * frames * 9, code))
    put(d, "stray-sample.bin", fmt(1, 2) + float_block(tone(16000, 2, frames, 0) + [0.1], code, stray=True))
    b = fmt(1, 1) + int16_block(to16(tone(16000, 1, frames, 0)), code) * 10 + bytes([3 | 8])
    b += int16_block(to16(tone(16000, 1, frames, 0)), code) * 10 + bytes([7, 7])
    put(d, "reset-mid.bin", b)
    put(d, "flush-first.bin", bytes([7, 3 | 4 | 8, 7]))
    put(d, "short-blocks.bin", fmt(3, 1) + b"".join(int16_block(to16(tone(48000, 1, 37, 37 * k)), 0) for k in range(40)) + bytes([7]))


# ---------------------------------------------------------------------------------------------
# Video frame streams (see fuzz_video_features.cpp)

DEPTH = {"8u": 0, "16u": 1, "32f": 2, "8s": 3, "16s": 4, "32s": 5, "64f": 6}
CH = {1: 0, 3: 1, 4: 2, 2: 3}


def frame(w, h, depth="8u", ch=3, step=4, reset=False, large=False, fill=None, pattern=b""):
    shape = DEPTH[depth] | (CH[ch] << 3) | (0x20 if reset else 0) | (0x40 if large else 0) | (0x80 if fill is not None else 0)
    b = bytes([(w - 1) % 64, (h - 1) % 64, shape, step & 0xFF])
    if fill is not None:
        return b + bytes([fill])
    p = pattern or bytes(range(1, 65))
    return b + p[:64].ljust(64, b"\x01")


def moving(k):
    return bytes(((i * 7 + k * 23) ^ (i >> 3) * 11) & 0xFF for i in range(64))


def gen_video():
    d = clean("video_features")
    put(d, "bgr-32x24-moving.bin", b"".join(frame(32, 24, pattern=moving(k)) for k in range(20)))
    put(d, "grey-63x17.bin", b"".join(frame(63, 17, ch=1, pattern=moving(k)) for k in range(20)))
    put(d, "1x1.bin", b"".join(frame(1, 1, ch=3, pattern=moving(k)) for k in range(20)))
    put(d, "1x64-tall.bin", b"".join(frame(1, 64, ch=1, pattern=moving(k)) for k in range(12)))
    put(d, "64x1-wide.bin", b"".join(frame(64, 1, ch=1, pattern=moving(k)) for k in range(12)))
    put(d, "16u-grey.bin", b"".join(frame(40, 30, depth="16u", ch=1, pattern=moving(k)) for k in range(14)))
    put(d, "16u-bgr.bin", b"".join(frame(40, 30, depth="16u", ch=3, pattern=moving(k)) for k in range(14)))
    put(d, "bgra.bin", b"".join(frame(33, 21, ch=4, pattern=moving(k)) for k in range(14)))
    put(d, "float.bin", b"".join(frame(20, 20, depth="32f", ch=1, pattern=moving(k)) for k in range(14)))
    put(d, "bad-depths.bin", b"".join(frame(8, 8, depth=dp, ch=1) for dp in ("8s", "16s", "32s", "64f")))
    put(d, "bad-channels.bin", b"".join(frame(8, 8, ch=2) for _ in range(4)))
    put(d, "time-backwards.bin", b"".join(frame(24, 24, step=(4 if k % 5 else 0xF0), pattern=moving(k)) for k in range(24)))
    put(d, "time-nan-inf.bin", b"".join(frame(24, 24, step=(0x7F if k == 6 else 0x80 if k == 12 else 4), pattern=moving(k)) for k in range(20)))
    put(d, "slow-camera.bin", b"".join(frame(24, 24, step=60, pattern=moving(k)) for k in range(16)))
    put(d, "same-time.bin", b"".join(frame(24, 24, step=0, pattern=moving(k)) for k in range(16)))
    put(d, "size-changes.bin", b"".join(frame(8 + 7 * (k % 5), 8 + 5 * (k % 3), pattern=moving(k)) for k in range(20)))
    put(d, "large.bin", b"".join(frame(40, 30, large=True, fill=k * 9) for k in range(6)))
    put(d, "reset.bin", b"".join(frame(24, 24, reset=(k % 4 == 0), pattern=moving(k)) for k in range(16)))
    # 16:9 camera then a 4:3 clip in one extractor (OpenCV 4.6 DIS crashed on the larger working size)
    put(d, "size-16x9-to-4x3.bin", b"".join(frame(32, 18, pattern=moving(k)) for k in range(6)) +
        b"".join(frame(32, 24, pattern=moving(k)) for k in range(6)))
    put(d, "flat.bin", b"".join(frame(24, 24, fill=128) for _ in range(16)))


# ---------------------------------------------------------------------------------------------
# .npy token files (numpy writes the valid ones)

def gen_npy():
    import io
    import numpy as np
    d = clean("npy")

    def npy(arr, **kw):
        f = io.BytesIO()
        np.lib.format.write_array(f, arr, **kw)
        return f.getvalue()

    rng = np.random.default_rng(7)
    tok = rng.standard_normal((12, 5)).astype(np.float32)
    valid = {
        "f4-12x5": npy(tok), "f8-12x5": npy(tok.astype(np.float64)), "f4-1d": npy(tok[0]),
        "f4-3d": npy(rng.standard_normal((2, 3, 4)).astype(np.float32)), "f4-0x5": npy(np.zeros((0, 5), np.float32)),
        "f4-scalar": npy(np.float32(3.5)), "v2": npy(tok, version=(2, 0)), "v3": npy(tok, version=(3, 0)),
        "nan-inf": npy(np.array([[np.nan, np.inf, -np.inf, 1e38]], np.float32)),
        "f8-overflow": npy(np.array([[1e300, -1e300, 1e-300]], np.float64)),
    }
    for k, b in valid.items():
        put(d, k + ".npy", b)
    base = valid["f4-12x5"]
    hlen = base[8] | (base[9] << 8)
    hdr = base[10:10 + hlen].decode("latin1")
    body = base[10 + hlen:]

    def with_header(text, data=body, version=1):
        h = text.encode("latin1")
        if version == 1:
            return b"\x93NUMPY\x01\x00" + bytes([len(h) & 255, len(h) >> 8]) + h + data
        return b"\x93NUMPY" + bytes([version, 0]) + len(h).to_bytes(4, "little") + h + data

    bad = {
        "empty": b"", "magic-only": b"\x93NUMPY", "bad-magic": b"\x93NUMPZ" + base[6:],
        "version-9": base[:6] + b"\x09" + base[7:], "trunc-header": base[:20], "trunc-data": base[:-3],
        "extra-data": base + b"\x00\x00\x00\x00", "hlen-huge": base[:8] + b"\xff\xff" + base[10:],
        "v2-hlen-huge": b"\x93NUMPY\x02\x00\xff\xff\xff\xff" + base[10:],
        "int32": with_header(hdr.replace("<f4", "<i4")), "big-endian": with_header(hdr.replace("<f4", ">f4")),
        "fortran": with_header(hdr.replace("False", "True")), "no-descr": with_header(hdr.replace("descr", "dtype")),
        "no-shape": with_header(hdr.replace("shape", "form")), "shape-neg": with_header(hdr.replace("(12, 5)", "(-12, 5)")),
        "shape-huge": with_header(hdr.replace("(12, 5)", "(99999999999999999999, 5)")),
        "shape-overflow": with_header(hdr.replace("(12, 5)", "(1099511627776, 1099511627776, 0)")),
        "shape-zero-huge": with_header(hdr.replace("(12, 5)", "(0, 1099511627776, 1099511627776)"), data=b""),
        "shape-unclosed": with_header(hdr.replace("(12, 5)", "(12, 5")),
        "shape-junk": with_header(hdr.replace("(12, 5)", "(12, x)")),
        "shape-newline": with_header(hdr.replace("(12, 5)", "(12,\n5)")),
        "descr-newline": with_header(hdr.replace("<f4", "<f4\nx")),
        "unterminated-quote": with_header("{'descr': '<f4"),
        "header-empty": with_header(""),
        "v3-utf8": with_header(hdr.replace("}", ", 'n\u00e9': 1}"), version=3),
    }
    for k, b in bad.items():
        put(d, k + ".npy", b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="model_loader,json,audio_features,video_features,npy")
    a = ap.parse_args()
    only = set(a.only.split(","))
    headers, cfgs = [], []
    if "model_loader" in only or "json" in only:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            headers, cfgs = gen_models(tmp)
    if "json" in only:
        gen_json(headers, cfgs)
    if "audio_features" in only:
        gen_audio()
    if "video_features" in only:
        gen_video()
    if "npy" in only:
        gen_npy()
    for t in sorted(os.listdir(CORPUS)):
        print("%-16s %4d files" % (t, len(os.listdir(os.path.join(CORPUS, t)))))


if __name__ == "__main__":
    main()
