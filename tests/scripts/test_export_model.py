#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""scripts/export_model.py: pre-norm models export (norm_first, the encoder's own final norm) and
reproduce the original modules; models the engine cannot express are refused with one line, both
from Python (UnsupportedModel) and from the command line (--from-torch: status 2, no file written).

Run by ctest with /usr/bin/python3 (Debian's python3-torch)."""

import copy
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "export_model.py")
sys.path.insert(0, os.path.dirname(SCRIPT))
sys.path.insert(0, HERE)

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover
    print(f"SKIP: {e} (install python3-torch and python3-numpy)")
    sys.exit(77)

from custom_torch_modules import GatedLayer, RelativeAttention  # noqa: E402
from export_model import UnsupportedModel, export_model, load_safetensors, reference_outputs  # noqa: E402

D, H, F, N = 12, 3, 20, 5


def layer(**kw):
    args = dict(dropout=0.0, batch_first=True)
    args.update(kw)
    return nn.TransformerEncoderLayer(D, H, F, **args)


def encoder(blocks=2, norm=True, **kw):
    return nn.TransformerEncoder(layer(**kw), blocks, norm=nn.LayerNorm(D) if norm else None,
                                 enable_nested_tensor=False)


def unsupported_models():
    """(what the message must mention, model) for each model the engine cannot compute."""
    torch.manual_seed(0)
    out = []
    e = encoder()
    e.layers[1] = layer(batch_first=False)
    out.append(("batch_first", e))
    e = encoder()
    e.register_buffer("src_mask", nn.Transformer.generate_square_subsequent_mask(N))
    out.append(("mask", e))
    e = encoder()
    e.layers[0].self_attn = RelativeAttention(D, H, N)
    out.append(("custom attention RelativeAttention", e))
    e = encoder(blocks=1)
    e.layers[0] = GatedLayer(D, H, F, dropout=0.0, batch_first=True)
    out.append(("overrides forward", e))
    out.append(("unsupported activation", encoder(activation=torch.nn.functional.silu)))
    out.append(("tanh-approximated GELU", encoder(activation=nn.GELU(approximate="tanh"))))
    e = encoder()
    e.layers[1] = layer(norm_first=True)
    out.append(("norm_first", e))
    e = encoder()
    e.layers[0].self_attn = nn.MultiheadAttention(D, H, batch_first=True, add_bias_kv=True)
    out.append(("add_bias_kv", e))
    e = encoder()
    e.layers[0].self_attn = nn.MultiheadAttention(D, H, batch_first=True, add_zero_attn=True)
    out.append(("add_zero_attn", e))
    e = encoder()
    e.layers[0].self_attn = nn.MultiheadAttention(D, H, batch_first=True, kdim=7, vdim=7)
    out.append(("kdim/vdim", e))
    e = encoder()
    e.layers[0].norm2 = nn.LayerNorm(D, eps=1e-6)
    out.append(("eps", e))
    out.append(("is not an nn.TransformerEncoder", nn.LSTM(D, D)))
    return out


class PreNormExport(unittest.TestCase):
    @torch.no_grad()
    def test_prenorm_encoder_round_trip(self):
        """A pre-norm encoder with its own final norm: the file says norm_first and final_norm, and the
        reference rebuilt from the file equals the original modules on every full window."""
        torch.manual_seed(1)
        enc = encoder(blocks=2, norm=True, norm_first=True, activation="gelu").eval()
        inp, head = nn.Linear(4, D), nn.Linear(D, 3)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "pre.safetensors")
            cfg = export_model(path, enc, input_proj=inp, head=head, config={"window": N})
            self.assertTrue(cfg["norm_first"])
            self.assertTrue(cfg["final_norm"])
            tensors, stored = load_safetensors(path)
            self.assertTrue(stored["norm_first"])
            self.assertIn("norm.weight", tensors)
            tokens = np.random.default_rng(2).standard_normal((3 * N, 4)).astype(np.float32)
            ref = reference_outputs(path, tokens)
        e64, inp64, head64 = (copy.deepcopy(m).double() for m in (enc, inp, head))
        x = inp64(torch.as_tensor(tokens, dtype=torch.float64))
        worst = 0.0
        for s in range(N - 1, len(tokens)):
            logits = head64(e64(x[s - N + 1 : s + 1].unsqueeze(0))[0, -1])
            worst = max(worst, float((torch.softmax(logits, -1).numpy() - ref["probs"][s]).__abs__().max()))
        self.assertLess(worst, 1e-9)

    def test_post_norm_is_the_default(self):
        with tempfile.TemporaryDirectory() as tmp:
            cfg = export_model(os.path.join(tmp, "post.safetensors"), encoder(norm=False), config={"window": N})
        self.assertFalse(cfg["norm_first"])
        self.assertFalse(cfg["final_norm"])


class Refusals(unittest.TestCase):
    def test_python_api_refuses_with_one_line(self):
        for needle, model in unsupported_models():
            with self.subTest(needle), tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "m.safetensors")
                with self.assertRaises(UnsupportedModel) as ctx:
                    export_model(path, model, config={"window": N})
                msg = str(ctx.exception)
                self.assertNotIn("\n", msg)
                self.assertIn(needle, msg)
                self.assertFalse(os.path.exists(path))

    def run_cli(self, model, tmp):
        src, out = os.path.join(tmp, "model.pt"), os.path.join(tmp, "out.safetensors")
        torch.save(model, src)
        env = dict(os.environ, PYTHONPATH=HERE)
        p = subprocess.run([sys.executable, SCRIPT, "--from-torch", src, out, "--window", str(N)],
                           capture_output=True, text=True, env=env)
        return p, out

    def test_command_line_refuses_with_one_line(self):
        # A few through the command line (each run imports torch); the Python test above covers all.
        wanted = ("batch_first", "mask", "custom attention RelativeAttention", "unsupported activation")
        for needle, model in (m for m in unsupported_models() if m[0] in wanted):
            with self.subTest(needle), tempfile.TemporaryDirectory() as tmp:
                p, out = self.run_cli(model, tmp)
                self.assertEqual(p.returncode, 2, p.stderr)
                lines = [l for l in p.stderr.splitlines() if l.strip()]
                self.assertEqual(len(lines), 1, p.stderr)
                self.assertTrue(lines[0].startswith("export_model.py: not supported: "), lines[0])
                self.assertIn(needle, lines[0])
                self.assertFalse(os.path.exists(out))

    def test_command_line_exports_a_supported_dict(self):
        torch.manual_seed(3)
        bundle = {"encoder": encoder(norm_first=True), "input_proj": nn.Linear(6, D), "pe": torch.randn(2 * N - 1, D),
                  "head": nn.Linear(D, 4), "config": {"classes": ["a", "b", "c", "d"], "name": "bundle"}}
        with tempfile.TemporaryDirectory() as tmp:
            p, out = self.run_cli(bundle, tmp)
            self.assertEqual(p.returncode, 0, p.stderr)
            _, cfg = load_safetensors(out)
        self.assertEqual((cfg["window"], cfg["d_in"], cfg["pe_rows"], cfg["norm_first"]), (N, 6, 2 * N - 1, True))
        self.assertEqual(cfg["classes"], ["a", "b", "c", "d"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
