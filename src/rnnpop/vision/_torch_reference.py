"""A PyTorch copy of the BLT architecture with the reference's parameter names.

Written from the description of the authors' forward pass: v1's lateral and top-down
convolutions exist (as in their checkpoints) but drive v1 only with
``BLTConfig(v1_recurrent=True)``; with ``lt_position="last"`` only the gap layer is
recurrent. For comparisons only (the weight-import test, ``benchmarks/vision_throughput.py``);
needs torch.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ._blt import BLTConfig

LAYERS = ["v1", "v2", "v4", "it"]
ABOVE = {"v1": "v2", "v2": "v4", "v4": "it"}


class Block(nn.Module):
    def __init__(self, cin, cout, k, lateral, top_down_from, pool):
        super().__init__()
        self.bottom_up = nn.Conv2d(cin, cout, k, padding="same", bias=False)
        self.lateral = nn.Conv2d(cout, cout, k, padding="same", bias=False) if lateral else None
        self.top_down = (nn.ConvTranspose2d(top_down_from, cout, k, stride=2, padding=(k - 1) // 2,
                                            output_padding=1, bias=False) if top_down_from else None)
        self.pool = pool


class TorchBLT(nn.Module):
    """``TorchBLT(config)(images (B, 3, H, W)) -> logits (B, T, classes)``."""

    def __init__(self, c: BLTConfig):
        super().__init__()
        self.c = c
        widths = dict(zip(["retina", *LAYERS], c.widths))
        size = {"v1": c.image_size, "v2": c.image_size // 2, "v4": c.image_size // 4, "it": c.image_size // 8}
        self.retina = nn.Conv2d(3, widths["retina"], c.kernel, padding="same")
        below = dict(zip(LAYERS, ["retina", "v1", "v2", "v4"]))
        everywhere = c.lt_position == "all"
        for name in LAYERS:
            td = widths[ABOVE[name]] if (c.top_down and everywhere and name in ABOVE) else 0
            setattr(self, name, Block(widths[below[name]], widths[name], c.kernel, c.lateral and everywhere, td,
                                      name != "v1"))
            setattr(self, f"{name}_ln", nn.LayerNorm([widths[name], size[name], size[name]]))
        self.gap = nn.Module()
        self.gap.lateral = nn.Linear(widths["it"], widths["it"], bias=False) if c.lateral else None
        self.gap_ln = nn.LayerNorm(widths["it"])
        self.readout = nn.Linear(widths["it"], c.n_classes, bias=c.readout_bias)

    def combine(self, b, terms):
        if not terms:
            return b
        r = sum(terms)
        return b + r if self.c.interaction == "additive" else b * (1 + r)

    def forward(self, images):
        retina = F.relu(self.retina(images))
        prev, logits = None, []
        for _ in range(self.c.n_steps):
            out, x = {}, retina
            for name in LAYERS:
                block = getattr(self, name)
                x = F.max_pool2d(x, 2) if block.pool else x
                terms = []
                if prev is not None and name in self.c.recurrent_layers("lateral"):
                    terms.append(block.lateral(prev[name]))
                if prev is not None and name in self.c.recurrent_layers("top_down"):
                    terms.append(block.top_down(prev[ABOVE[name]]))
                x = F.relu(getattr(self, f"{name}_ln")(self.combine(block.bottom_up(x), terms)))
                out[name] = x
            gap = x.mean(dim=(2, 3))
            terms = [self.gap.lateral(prev["gap"])] if (prev is not None and self.gap.lateral is not None) else []
            out["gap"] = F.relu(self.gap_ln(self.combine(gap, terms)))
            logits.append(self.readout(out["gap"]))
            prev = out
        return torch.stack(logits, dim=1)
