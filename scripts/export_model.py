#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Export a PyTorch transformer-encoder model to CoLive's .safetensors model file.

Run with Debian's interpreter (python3-torch 1.13):  /usr/bin/python3 scripts/export_model.py --help

Python API
----------
    import sys; sys.path.insert(0, "scripts")
    from export_model import export_model
    export_model("my.safetensors", encoder,               # nn.TransformerEncoder (batch_first or not),
                 input_proj=nn.Linear(d_in, d),           #   a list of nn.TransformerEncoderLayer, or a
                 pe_table=pe,                             #   state_dict (torch or co key names)
                 final_norm=nn.LayerNorm(d),
                 head=nn.Linear(d, C),
                 config={"window": 64, "classes": [...], "name": "...", "modality": "video",
                         "features": "video-motion-v1", "token_rate_hz": 10.0})

`pe_table` is the recycling positional encoding: a (M, d) tensor, an nn.Embedding, or a
co.RecyclingPositionalEncoding-like module with an `.embed`/`.weight` table. The j-th token since
the stream started gets pe[j mod M] once, when it arrives (after the input projection).

The continual library's (`co`) models are accepted as a state_dict: keys such as
`layers.0.0.self_attn.in_proj_weight`, `layers.0.1.fn._ff_block.fn.linear1.weight`,
`layers.layers.1.fn.1.norm2.weight` or `norm.fn.weight` are mapped to the PyTorch names
(`layers.{i}.self_attn.in_proj_weight`, `layers.{i}.linear1.weight`, `norm.weight`). With a
state_dict the config must give "heads" and "activation" (they are not stored in weights), and
"norm_first": true if the blocks are pre-norm.

Pre-norm blocks (nn.TransformerEncoderLayer(norm_first=True), x + Attn(LN1(x)), then + FFN(LN2(.)))
are exported with "norm_first": true; an nn.TransformerEncoder's own `norm` becomes the final norm.
What the engine cannot compute is refused with one line (UnsupportedModel, a ValueError): custom
attention modules or overridden forward(), stored attention masks, layers that mix batch_first or
norm_first, add_bias_kv / add_zero_attn, kdim/vdim, activations other than ReLU and exact GELU,
LayerNorms with different eps or without affine parameters. Masks passed to forward() at call time
are invisible to the exporter: the engine attends over the whole window, unmasked, so a model used
with a causal mask keeps its newest-token output only with 1 block (the newest token sees every key
either way), and one used with padding masks computes something else.

From the command line, a whole torch.save()d module (or a dict with keys encoder, input_proj, pe,
final_norm, head, config) is exported with
    /usr/bin/python3 scripts/export_model.py --from-torch model.pt my.safetensors --window 64
which prints one line and exits with status 2 when the model cannot be expressed.

Model file (see /tmp or docs): 8-byte little-endian header length, JSON header with the tensors
(dtype F32, shape, data_offsets) and "__metadata__": {"colive": "<config JSON>"}, raw float32 data.

16-bit weights: export_model(..., dtype="BF16") (or "F16") stores every tensor rounded to that
format (round to nearest even, as torch's .to(torch.bfloat16)); `--demo OUT --dtype BF16` does the
same from the command line. The engine widens them exactly to float32, and for Linear weights of
BF16 models keeps the compact bf16 copy that continual steps stream (half the bytes, same values).
To keep a trained float32 model's outputs exact, round the module's parameters first
(p.data = p.data.to(torch.bfloat16).float()) and compute any reference with the rounded weights.
The default stays F32.

Checking the C++ engine against your own PyTorch run
----------------------------------------------------
1. Tokens: a float32 array of shape (T, d_in) saved with numpy:
       np.save("tokens.npy", tokens.astype(np.float32))       # or tokens.tofile("tokens.f32")
2. Golden outputs from plain PyTorch on every full window (this script, float64):
       /usr/bin/python3 scripts/export_model.py --reference my.safetensors tokens.npy golden.npy
   writes (T, C) probabilities; rows of warm-up steps (t < window-1) are NaN, because plain
   nn.TransformerEncoder has no zero-padded window. `reference_outputs()` does the same from Python
   and also returns the logits and the encoder output of the newest token.
3. Run the engine and compare:
       colive-cli --model my.safetensors --tokens tokens.npy --mode continual --out probs.npy
       python3 -c "import numpy as np; a=np.load('probs.npy'); b=np.load('golden.npy'); \\
                   m=~np.isnan(b[:,0]); print(abs(a[m,:b.shape[1]]-b[m]).max())"
   probs.npy is (T, C+1): the probabilities and a warm-up column (1.0 = warm-up step). With
   --mode both it is (2, T, C+1), [0] regular and [1] continual.
"""

import argparse
import json
import math
import re
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

LAYER_KEYS = (
    "self_attn.in_proj_weight",
    "self_attn.in_proj_bias",
    "self_attn.out_proj.weight",
    "self_attn.out_proj.bias",
    "linear1.weight",
    "linear1.bias",
    "linear2.weight",
    "linear2.bias",
    "norm1.weight",
    "norm1.bias",
    "norm2.weight",
    "norm2.bias",
)


# --------------------------------------------------------------------------------------------
# safetensors I/O (F32, BF16, F16)

DTYPES = ("F32", "BF16", "F16")


def to_bf16_bits(arr):
    """float32 array -> uint16 bf16 bit patterns, rounded to nearest even (finite values)."""
    u = np.ascontiguousarray(np.asarray(arr, dtype="<f4")).view("<u4").astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")


def from_bf16_bits(bits):
    return (np.asarray(bits, dtype="<u2").astype("<u4") << 16).view("<f4")


def round_to(arr, dtype):
    """The float32 values `arr` takes when stored as `dtype` (exact for F32)."""
    arr = np.asarray(arr, dtype=np.float32)
    if dtype == "BF16":
        return from_bf16_bits(to_bf16_bits(arr)).reshape(arr.shape)
    if dtype == "F16":
        return arr.astype("<f2").astype(np.float32)
    return arr


def save_safetensors(path, tensors, metadata, dtype="F32"):
    """tensors: OrderedDict name -> array-like, written as little-endian `dtype` (F32, or BF16/F16
    rounded to nearest even)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    header = OrderedDict()
    blobs = []
    offset = 0
    for name, value in tensors.items():
        arr = np.ascontiguousarray(np.asarray(value, dtype="<f4"))
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"tensor {name!r} holds non-finite values")
        if dtype == "BF16":
            data = to_bf16_bits(arr).tobytes()
        elif dtype == "F16":
            half = arr.astype("<f2")
            if not np.all(np.isfinite(half)):
                raise ValueError(f"tensor {name!r} overflows float16")
            data = half.tobytes()
        else:
            data = arr.tobytes()
        nbytes = len(data)
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + nbytes]}
        blobs.append(data)
        offset += nbytes
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """Returns (tensors: dict name -> np.float32 array (BF16/F16 widened exactly), config: dict)."""
    with open(path, "rb") as f:
        data = f.read()
    (hlen,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + hlen])
    meta = header.pop("__metadata__", {})
    base = 8 + hlen
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] in DTYPES, name
        b, e = info["data_offsets"]
        raw = data[base + b : base + e]
        if info["dtype"] == "BF16":
            arr = from_bf16_bits(np.frombuffer(raw, dtype="<u2"))
        elif info["dtype"] == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        else:
            arr = np.frombuffer(raw, dtype="<f4")
        tensors[name] = arr.reshape(info["shape"]).copy()
    return tensors, json.loads(meta["colive"])


# --------------------------------------------------------------------------------------------
# mapping PyTorch / co modules to CoLive tensor names

def _np(t):
    return t.detach().to(torch.float32).cpu().numpy()


def _activation_name(layer):
    act = getattr(layer, "activation", None)
    if isinstance(act, nn.GELU) and getattr(act, "approximate", "none") != "none":
        raise ValueError("tanh-approximated GELU is not supported (use exact GELU)")
    code = getattr(layer, "activation_relu_or_gelu", None)
    if code == 1:
        return "relu"
    if code == 2:
        return "gelu"
    if act is torch.nn.functional.relu or isinstance(act, nn.ReLU):
        return "relu"
    if act is torch.nn.functional.gelu or isinstance(act, nn.GELU):
        if isinstance(act, nn.GELU) and getattr(act, "approximate", "none") != "none":
            raise ValueError("tanh-approximated GELU is not supported (use exact GELU)")
        return "gelu"
    name = getattr(act, "__name__", None) or type(act).__name__
    raise ValueError(f"unsupported activation {name} (relu or exact gelu only)")


class UnsupportedModel(ValueError):
    """A PyTorch model CoLive's engine cannot express; the message is one line saying what."""


def _custom_forward(module, base):
    """True if `module` is a subclass of `base` that replaces its forward (custom computation)."""
    return type(module) is not base and type(module).forward is not base.forward


def _mask_tensors(module):
    """Names of tensor attributes/buffers that look like attention masks stored on the module."""
    names = [k for k, v in vars(module).items() if torch.is_tensor(v) and "mask" in k.lower()]
    names += [k for k, _ in module.named_buffers(recurse=False) if "mask" in k.lower()]
    return sorted(set(names))


def _check_layer(i, layer):
    """Refuses (UnsupportedModel) what the engine's encoder block cannot compute."""
    where = f"layer {i}"
    if not isinstance(layer, nn.TransformerEncoderLayer):
        raise UnsupportedModel(f"{where} is {type(layer).__name__}; only nn.TransformerEncoderLayer blocks are supported")
    if _custom_forward(layer, nn.TransformerEncoderLayer):
        raise UnsupportedModel(f"{where} ({type(layer).__name__}) overrides forward(); custom block computations are not supported")
    attn = layer.self_attn
    if type(attn) is not nn.MultiheadAttention:
        raise UnsupportedModel(f"{where}: custom attention {type(attn).__name__} is not supported (nn.MultiheadAttention only)")
    if not attn._qkv_same_embed_dim or attn.in_proj_weight is None:
        raise UnsupportedModel(f"{where}: separate q/k/v projection weights (kdim/vdim) are not supported")
    if attn.bias_k is not None or attn.bias_v is not None:
        raise UnsupportedModel(f"{where}: add_bias_kv=True is not supported")
    if attn.add_zero_attn:
        raise UnsupportedModel(f"{where}: add_zero_attn=True is not supported")
    if (attn.in_proj_bias is None) != (attn.out_proj.bias is None):
        raise UnsupportedModel(f"{where}: attention with an in-projection bias but no out-projection bias "
                               "(or the reverse) is not supported")
    for name in ("norm1", "norm2"):
        ln = getattr(layer, name)
        if type(ln) is not nn.LayerNorm or tuple(ln.normalized_shape) != (attn.embed_dim,):
            raise UnsupportedModel(f"{where}: {name} must be nn.LayerNorm over d_model, got {ln!r}")
        if ln.weight is None:
            raise UnsupportedModel(f"{where}: {name} without elementwise affine is not supported")
    for name in ("linear1", "linear2"):
        if type(getattr(layer, name)) is not nn.Linear:
            raise UnsupportedModel(f"{where}: {name} is {type(getattr(layer, name)).__name__}, not nn.Linear")
    masks = _mask_tensors(layer) + _mask_tensors(attn)
    if masks:
        raise UnsupportedModel(f"{where}: stored attention mask(s) {', '.join(masks)} are not supported "
                               "(the continual window attends to every token in it)")
    try:
        _activation_name(layer)
    except ValueError as e:
        raise UnsupportedModel(f"{where}: {e}") from None


def _layers_from_encoder(encoder):
    if isinstance(encoder, nn.TransformerEncoder):
        if _custom_forward(encoder, nn.TransformerEncoder):
            raise UnsupportedModel(f"{type(encoder).__name__} overrides forward(); custom encoder computations "
                                   "are not supported")
        masks = _mask_tensors(encoder)
        if masks:
            raise UnsupportedModel(f"encoder: stored attention mask(s) {', '.join(masks)} are not supported "
                                   "(the continual window attends to every token in it)")
        layers = list(encoder.layers)
        norm = encoder.norm
        if norm is not None and (type(norm) is not nn.LayerNorm or norm.weight is None):
            raise UnsupportedModel(f"encoder norm must be nn.LayerNorm with elementwise affine, got {norm!r}")
    elif isinstance(encoder, nn.TransformerEncoderLayer):
        layers, norm = [encoder], None
    elif isinstance(encoder, (list, tuple, nn.ModuleList, nn.Sequential)):
        layers, norm = list(encoder), None
    else:
        raise UnsupportedModel(f"{type(encoder).__name__} is not an nn.TransformerEncoder, a list of "
                               "nn.TransformerEncoderLayer or a state_dict")
    if not layers:
        raise UnsupportedModel("the encoder has no layers")
    for i, layer in enumerate(layers):
        _check_layer(i, layer)
    # torch 1.13 keeps batch_first on the layer's attention only.
    for what, get in (("batch_first", lambda l: getattr(l, "batch_first", l.self_attn.batch_first)),
                      ("norm_first", lambda l: getattr(l, "norm_first", False))):
        if len({bool(get(layer)) for layer in layers}) > 1:
            raise UnsupportedModel(f"layers mix {what}=True and False; every block must agree")
    return layers, norm


_CO_LAYER_RE = re.compile(r"^(?:.*?\.)?layers\.(?:layers\.)?(\d+)\.(?:.*\.)?(" +
                          "|".join(re.escape(k) for k in LAYER_KEYS) + r")$")


def map_state_dict(sd):
    """Maps a torch nn.TransformerEncoder or co.TransformerEncoder state_dict to
    {"layers.{i}.<key>": array, "norm.weight"/"norm.bias": array}."""
    out = OrderedDict()
    for key, value in sd.items():
        k = key.replace("fn.", "").replace("_ff_block.", "").replace("module.", "")
        m = _CO_LAYER_RE.match(k)
        if m:
            name = f"layers.{int(m.group(1))}.{m.group(2)}"
        elif re.match(r"^(?:.*\.)?norm\.(weight|bias)$", k) and "layers." not in k:
            name = "norm." + k.rsplit(".", 1)[1]
        else:
            continue  # e.g. batch counters, PE tables: passed separately
        if name in out:
            raise ValueError(f"two state_dict keys map to {name!r} (second: {key!r})")
        out[name] = _np(value) if torch.is_tensor(value) else np.asarray(value, dtype=np.float32)
    if not out:
        raise ValueError("no encoder layer keys recognised in the state_dict")
    return out


def export_model(path, encoder, input_proj=None, pe_table=None, final_norm=None, head=None, config=None,
                 dtype="F32"):
    """Writes `path` with every tensor stored as `dtype` ("F32" default, "BF16" or "F16"; 16-bit
    formats round to nearest even). Returns the config dict that was stored."""
    config = dict(config or {})
    tensors = OrderedDict()

    if isinstance(encoder, dict):
        enc = map_state_dict(encoder)
        blocks = 1 + max(int(k.split(".")[1]) for k in enc if k.startswith("layers."))
        w = enc["layers.0.self_attn.in_proj_weight"]
        d = w.shape[1]
        derived = {
            "d_model": d,
            "d_ff": enc["layers.0.linear1.weight"].shape[0],
            "blocks": blocks,
            "in_proj_bias": "layers.0.self_attn.in_proj_bias" in enc,
        }
        for k in ("heads", "activation"):
            if k not in config:
                raise ValueError(f"config must give {k!r} when exporting a state_dict")
        enc_norm = {k: v for k, v in enc.items() if k.startswith("norm.")}
        layer_tensors = {k: v for k, v in enc.items() if k.startswith("layers.")}
    else:
        layers, enc_norm_mod = _layers_from_encoder(encoder)
        l0 = layers[0]
        acts = {_activation_name(l) for l in layers}
        if len(acts) != 1:
            raise UnsupportedModel("layers use different activations; every block must use the same")
        eps = {float(l.norm1.eps) for l in layers} | {float(l.norm2.eps) for l in layers}
        if enc_norm_mod is not None:
            eps.add(float(enc_norm_mod.eps))
        if len(eps) != 1:
            raise UnsupportedModel(f"LayerNorms use different eps ({sorted(eps)}); one eps for every norm is supported")
        shapes = {(l.self_attn.embed_dim, l.self_attn.num_heads, l.linear1.out_features,
                   l.self_attn.in_proj_bias is not None) for l in layers}
        if len(shapes) != 1:
            raise UnsupportedModel("layers differ in d_model, heads, d_ff or attention biases; every block must agree")
        derived = {
            "d_model": l0.self_attn.embed_dim,
            "heads": l0.self_attn.num_heads,
            "d_ff": l0.linear1.out_features,
            "blocks": len(layers),
            "activation": acts.pop(),
            "ln_eps": eps.pop(),
            "in_proj_bias": l0.self_attn.in_proj_bias is not None,
            "norm_first": bool(getattr(l0, "norm_first", False)),
        }
        layer_tensors = OrderedDict()
        for i, layer in enumerate(layers):
            for key, value in layer.state_dict().items():
                if key in LAYER_KEYS:
                    layer_tensors[f"layers.{i}.{key}"] = _np(value)
        enc_norm = {}
        if enc_norm_mod is not None:
            enc_norm = {"norm.weight": _np(enc_norm_mod.weight), "norm.bias": _np(enc_norm_mod.bias)}

    for k, v in derived.items():
        if k in config and config[k] != v and not (isinstance(v, float) and math.isclose(config[k], v)):
            raise ValueError(f"config {k}={config[k]!r} disagrees with the modules ({v!r})")
        config.setdefault(k, v)
    d = config["d_model"]

    if input_proj is not None:
        tensors["input_proj.weight"] = _np(input_proj.weight)
        if input_proj.bias is not None:
            tensors["input_proj.bias"] = _np(input_proj.bias)
        config.setdefault("d_in", input_proj.in_features)
        if config["d_in"] != input_proj.in_features:
            raise ValueError("config d_in disagrees with input_proj")
    else:
        config.setdefault("d_in", d)
    config["input_proj"] = input_proj is not None

    if pe_table is not None:
        if isinstance(pe_table, nn.Module):
            tab = getattr(pe_table, "weight", None)
            if tab is None and hasattr(pe_table, "embed"):
                tab = pe_table.embed.weight
            if tab is None:
                raise ValueError("cannot find the PE table (expected .weight or .embed.weight)")
            pe = _np(tab)
        else:
            pe = _np(pe_table) if torch.is_tensor(pe_table) else np.asarray(pe_table, np.float32)
        if pe.ndim != 2 or pe.shape[1] != d:
            raise ValueError(f"pe_table must be (M, {d}), got {pe.shape}")
        tensors["pe.weight"] = pe
        config["pe_rows"] = pe.shape[0]
    else:
        config["pe_rows"] = 0

    tensors.update(layer_tensors)

    if final_norm is not None:
        enc_norm = {"norm.weight": _np(final_norm.weight), "norm.bias": _np(final_norm.bias)}
    tensors.update(enc_norm)
    config["final_norm"] = bool(enc_norm)

    if head is not None:
        tensors["head.weight"] = _np(head.weight)
        if head.bias is not None:
            tensors["head.bias"] = _np(head.bias)
        classes = config.get("classes") or [f"class_{i}" for i in range(head.out_features)]
        if len(classes) != head.out_features:
            raise ValueError(f"{len(classes)} class names for a head with {head.out_features} outputs")
        config["classes"] = list(classes)
    else:
        config["classes"] = []

    if "window" not in config:
        raise ValueError("config must give 'window' (tokens in the attention window)")
    config.setdefault("ln_eps", 1e-5)
    config.setdefault("name", "")
    config.setdefault("modality", "")
    config.setdefault("features", "")
    config.setdefault("token_rate_hz", 0.0)
    config.setdefault("norm_first", False)
    config = {k: (int(v) if isinstance(v, (np.integer,)) else v) for k, v in config.items()}
    save_safetensors(path, tensors, {"colive": json.dumps(config)}, dtype=dtype)
    return config


# --------------------------------------------------------------------------------------------
# reference computation with plain nn.TransformerEncoder

def build_torch_model(path, dtype=torch.float64):
    """Rebuilds plain torch modules from a CoLive model file."""
    t, c = load_safetensors(path)
    d, h = c["d_model"], c["heads"]
    act = "gelu" if c["activation"] == "gelu" else "relu"
    layer = nn.TransformerEncoderLayer(d, h, c["d_ff"], dropout=0.0, activation=act,
                                       layer_norm_eps=c["ln_eps"], batch_first=True,
                                       norm_first=bool(c.get("norm_first", False)))
    enc = nn.TransformerEncoder(layer, c["blocks"], enable_nested_tensor=False)
    sd = {}
    for i in range(c["blocks"]):
        for k in LAYER_KEYS:
            name = f"layers.{i}.{k}"
            if name in t:
                sd[name] = torch.from_numpy(t[name])
            elif k in ("self_attn.in_proj_bias", "self_attn.out_proj.bias") and not c["in_proj_bias"]:
                # MHA(bias=False) is the same as zero biases (torch 1.13's fast path cannot take None).
                sd[name] = torch.zeros(3 * d if "in_proj" in k else d)
    enc.load_state_dict(sd, strict=True)
    enc = enc.to(dtype).eval()
    parts = {"config": c, "encoder": enc, "tensors": {k: torch.from_numpy(v).to(dtype) for k, v in t.items()}}
    return parts


@torch.no_grad()
def reference_outputs(path, tokens, dtype=torch.float64, retro_rows=False):
    """Per-step outputs of plain PyTorch on every full window. tokens: (T, d_in).
    Returns dict with probs (T, C), logits (T, C), encoded (T, d) [NaN rows during warm-up] and,
    if retro_rows, block0 (T, n, d): the first encoder layer's n output rows (oldest first)."""
    parts = build_torch_model(path, dtype)
    c, enc, t = parts["config"], parts["encoder"], parts["tensors"]
    n, d, C = c["window"], c["d_model"], len(c["classes"])
    x = torch.as_tensor(np.asarray(tokens), dtype=dtype)
    T = x.shape[0]
    emb = x @ t["input_proj.weight"].T + t.get("input_proj.bias", 0.0) if "input_proj.weight" in t else x.clone()
    if c["pe_rows"] > 0:
        idx = torch.arange(T) % c["pe_rows"]
        emb = emb + t["pe.weight"][idx]
    nanrow = float("nan")
    out = {"probs": np.full((T, C), nanrow), "logits": np.full((T, C), nanrow), "encoded": np.full((T, d), nanrow)}
    if retro_rows:
        out["block0"] = np.full((T, n, d), nanrow)
    for s in range(n - 1, T):
        win = emb[s - n + 1 : s + 1].unsqueeze(0)  # (1, n, d), oldest first
        y = enc(win)[0, -1]
        out["encoded"][s] = y.numpy()
        z = y
        if c["final_norm"]:
            z = torch.nn.functional.layer_norm(z, (d,), t["norm.weight"], t["norm.bias"], c["ln_eps"])
        if C:
            logits = z @ t["head.weight"].T + t.get("head.bias", 0.0)
            out["logits"][s] = logits.numpy()
            out["probs"][s] = torch.softmax(logits, -1).numpy()
        if retro_rows:
            out["block0"][s] = enc.layers[0](win)[0].numpy()
    return out


def export_from_torch_file(src, out, window=None, dtype="F32"):
    """Exports a torch.save()d module, or a dict {encoder, input_proj, pe, final_norm, head, config}."""
    obj = torch.load(src, map_location="cpu")
    if not isinstance(obj, dict) or "encoder" not in obj:
        obj = {"encoder": obj}
    unknown = set(obj) - {"encoder", "input_proj", "pe", "final_norm", "head", "config"}
    if unknown:
        raise ValueError(f"{src}: unknown keys {sorted(unknown)} (encoder, input_proj, pe, final_norm, head, config)")
    config = dict(obj.get("config") or {})
    if window is not None:
        config["window"] = window
    return export_model(out, obj["encoder"], input_proj=obj.get("input_proj"), pe_table=obj.get("pe"),
                        final_norm=obj.get("final_norm"), head=obj.get("head"), config=config, dtype=dtype)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", nargs=3, metavar=("MODEL", "TOKENS", "OUT"),
                    help="write plain-PyTorch (float64) probabilities of every full window as OUT.npy")
    ap.add_argument("--info", metavar="MODEL", help="print a model file's config and tensor shapes")
    ap.add_argument("--demo", metavar="OUT", help="write a small random model (d=16, 4 heads, n=8, 3 classes)")
    ap.add_argument("--dtype", choices=DTYPES, default="F32",
                    help="storage format of the weights written by --demo or --from-torch (default F32)")
    ap.add_argument("--from-torch", nargs=2, metavar=("MODULE_PT", "OUT"),
                    help="export a torch.save()d nn.TransformerEncoder (or a dict with keys encoder, input_proj, "
                         "pe, final_norm, head, config) to OUT")
    ap.add_argument("--window", type=int, help="tokens in the attention window (with --from-torch)")
    a = ap.parse_args(argv)
    if a.from_torch:
        try:
            cfg = export_from_torch_file(a.from_torch[0], a.from_torch[1], a.window, a.dtype)
        except UnsupportedModel as e:
            print(f"export_model.py: not supported: {e}", file=sys.stderr)
            return 2
        except (ValueError, TypeError, OSError) as e:
            print(f"export_model.py: {e}", file=sys.stderr)
            return 2
        print(json.dumps(cfg))
    elif a.reference:
        model, tok, outp = a.reference
        tokens = np.load(tok) if tok.endswith(".npy") else np.fromfile(tok, dtype="<f4")
        _, c = load_safetensors(model)
        tokens = np.asarray(tokens, np.float32).reshape(-1, c["d_in"])
        res = reference_outputs(model, tokens)
        np.save(outp, res["probs"].astype(np.float32))
        print(f"wrote {outp}: {res['probs'].shape}")
    elif a.info:
        t, c = load_safetensors(a.info)
        print(json.dumps(c, indent=1))
        for k, v in t.items():
            print(f"{k:45s} {list(v.shape)}")
    elif a.demo:
        torch.manual_seed(0)
        layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True, activation="gelu")
        enc = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        cfg = export_model(a.demo, enc, input_proj=nn.Linear(6, 16), pe_table=torch.randn(15, 16) * 0.1,
                           final_norm=nn.LayerNorm(16), head=nn.Linear(16, 3),
                           config={"window": 8, "classes": ["a", "b", "c"], "name": "demo"}, dtype=a.dtype)
        print(json.dumps(cfg))
    else:
        ap.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
