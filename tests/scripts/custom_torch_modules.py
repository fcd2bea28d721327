# SPDX-License-Identifier: MIT
"""PyTorch modules the engine cannot express (test_export_model.py pickles them; they live in an
importable module so that `export_model.py --from-torch` can unpickle them)."""

import torch
from torch import nn


class RelativeAttention(nn.MultiheadAttention):
    """Multi-head attention with a learned relative-position bias on the scores."""

    def __init__(self, d, h, window):
        super().__init__(d, h, batch_first=True)
        self.rel = nn.Parameter(torch.zeros(h, 2 * window - 1))

    def forward(self, query, key, value, **kw):  # noqa: D102 (a different computation, on purpose)
        return super().forward(query, key, value, **kw)


class GatedLayer(nn.TransformerEncoderLayer):
    """An encoder layer whose forward gates the residual."""

    def forward(self, src, src_mask=None, src_key_padding_mask=None):  # noqa: D102
        return src + 0.5 * (super().forward(src, src_mask, src_key_padding_mask) - src)
