"""The import of reference (PyTorch) BLT weights: a PyTorch copy of the architecture, written
here with the reference's parameter names, gives the same outputs as the imported JAX model."""

import jax
import numpy as np
import pytest

from rnnpop.vision import BLTConfig, blt_from_state_dict, load_torch_blt

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

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
    def __init__(self, c: BLTConfig):
        super().__init__()
        self.c = c
        widths = dict(zip(["retina", *LAYERS], c.widths))
        size = {"v1": c.image_size, "v2": c.image_size // 2, "v4": c.image_size // 4, "it": c.image_size // 8}
        self.retina = nn.Conv2d(3, widths["retina"], c.kernel, padding="same")
        below = dict(zip(LAYERS, ["retina", "v1", "v2", "v4"]))
        for name in LAYERS:
            td = widths[ABOVE[name]] if (c.top_down and name in ABOVE) else 0
            setattr(self, name, Block(widths[below[name]], widths[name], c.kernel, c.lateral, td, name != "v1"))
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
                if prev is not None and block.lateral is not None:
                    terms.append(block.lateral(prev[name]))
                if prev is not None and block.top_down is not None:
                    terms.append(block.top_down(prev[ABOVE[name]]))
                x = F.relu(getattr(self, f"{name}_ln")(self.combine(block.bottom_up(x), terms)))
                out[name] = x
            gap = x.mean(dim=(2, 3))
            terms = [self.gap.lateral(prev["gap"])] if (prev is not None and self.gap.lateral is not None) else []
            out["gap"] = F.relu(self.gap_ln(self.combine(gap, terms)))
            logits.append(self.readout(out["gap"]))
            prev = out
        return torch.stack(logits, dim=1)


@pytest.mark.parametrize("variant, interaction", [("BLT", "additive"), ("BLT", "multiplicative"), ("BT", "additive"),
                                                  ("B", "additive")])
def test_imported_weights_give_the_reference_outputs(variant, interaction, tmp_path):
    config = BLTConfig(variant=variant, interaction=interaction, widths=(4, 6, 8, 8, 12), image_size=16,
                       n_classes=5, n_steps=3, readout_bias=True)
    torch.manual_seed(0)
    reference = TorchBLT(config)
    with torch.no_grad():  # non-trivial LayerNorm affines, so a transposed mapping would show
        for name, p in reference.named_parameters():
            if "_ln" in name:
                p.add_(0.1 * torch.randn_like(p))
    images = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        expected = reference(images).numpy()
    path = tmp_path / "blt.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in reference.state_dict().items()}}, path)
    net = load_torch_blt(path, config)
    logits, _ = jax.vmap(net)(images.numpy())
    np.testing.assert_allclose(np.asarray(logits), expected, rtol=1e-4, atol=1e-4)


def test_missing_parameter_is_named():
    config = BLTConfig(variant="BL", widths=(4, 6, 8, 8, 12), image_size=16, n_classes=5, n_steps=2)
    state = TorchBLT(BLTConfig(variant="B", widths=(4, 6, 8, 8, 12), image_size=16, n_classes=5)).state_dict()
    with pytest.raises(KeyError, match="v1.lateral.weight"):
        blt_from_state_dict(state, config)
