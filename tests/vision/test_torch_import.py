"""The import of reference (PyTorch) BLT weights: a PyTorch copy of the architecture with the
reference's parameter names (rnnpop.vision._torch_reference) gives the same outputs as the
imported JAX model."""

import jax
import numpy as np
import pytest

from rnnpop.vision import BLTConfig, blt_from_state_dict, load_torch_blt

torch = pytest.importorskip("torch")
from rnnpop.vision._torch_reference import TorchBLT  # noqa: E402


@pytest.mark.parametrize("variant, interaction, options", [
    ("BLT", "additive", {}), ("BLT", "multiplicative", {}), ("BT", "additive", {}), ("BL", "multiplicative", {}),
    ("B", "additive", {}), ("BLT", "additive", {"v1_recurrent": True}), ("BLT", "multiplicative", {"lt_position": "last"})])
def test_imported_weights_give_the_reference_outputs(variant, interaction, options, tmp_path):
    config = BLTConfig(variant=variant, interaction=interaction, widths=(4, 6, 8, 8, 12), image_size=16,
                       n_classes=5, n_steps=3, readout_bias=True, **options)
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
    has_v1_recurrence = any(k.startswith(("v1.lateral", "v1.top_down")) for k in reference.state_dict())
    if has_v1_recurrence and not config.v1_recurrent:  # as the authors' checkpoints: held, never used
        with pytest.warns(UserWarning, match="v1.*ignored"):
            net = load_torch_blt(path, config)
    else:
        net = load_torch_blt(path, config)
    logits, _ = jax.vmap(net)(images.numpy())
    np.testing.assert_allclose(np.asarray(logits), expected, rtol=1e-4, atol=1e-4)


def test_missing_parameter_is_named():
    config = BLTConfig(variant="BL", widths=(4, 6, 8, 8, 12), image_size=16, n_classes=5, n_steps=2)
    state = TorchBLT(BLTConfig(variant="B", widths=(4, 6, 8, 8, 12), image_size=16, n_classes=5)).state_dict()
    with pytest.raises(KeyError, match="v2.lateral.weight"):
        blt_from_state_dict(state, config)
