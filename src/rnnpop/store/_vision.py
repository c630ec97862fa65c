"""The run directory of a vision study: one complete-or-absent directory per network.

Layout::

    <root>/study.toml                 the resolved study (kind = "vision")
    <root>/models/<model-id>/
        params.safetensors            trained/... and untrained/... weights
        history.parquet               one row per epoch (loss, seconds)
        heldout.zarr/                 responses on the held-out split, for the trained and
                                      the untrained network:
            labels (image,)  predictions (state, image, step)  pooled (state, image, step, unit)
            readout (state, class, unit)
        manifest.json                 checksums; written last
    <root>/analysis/vision/summary.parquet   the analyses (``rnnpop analyse``)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from ..studyfile import ModelPlan, VisionStudy
from ._atomic import atomic_directory, is_complete, read_manifest, verify
from ._hardware import hardware
from ._layout import Layout

STATES = ("trained", "untrained")


@dataclasses.dataclass(frozen=True)
class HeldOut:
    """A network's responses on the held-out images, trained and untrained:
    ``labels (N,)``, ``predictions (2, N, T)``, ``pooled (2, N, T, D)``,
    ``readout (2, C, D)``; index 0 is the trained network, 1 the untrained."""

    labels: np.ndarray
    predictions: np.ndarray
    pooled: np.ndarray
    readout: np.ndarray
    categories: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class VisionStore(Layout):
    """A vision study's run directory; open with :func:`rnnpop.store.open_store`."""

    root: Path
    study: VisionStudy
    WORK = "models"

    def is_complete(self, model_id: str) -> bool:
        return is_complete(self.unit_dir(model_id))

    def complete_models(self) -> list[str]:
        return [p.model_id for p in self.study.models() if self.is_complete(p.model_id)]

    def plan(self, model_id: str) -> ModelPlan:
        for plan in self.study.models():
            if plan.model_id == model_id:
                return plan
        raise KeyError(f"no model {model_id!r} in this study; models: {[p.model_id for p in self.study.models()]}")

    def write_model(self, plan: ModelPlan, trained, untrained, history: pd.DataFrame, heldout: HeldOut,
                    seconds: float) -> None:
        """Atomically write one trained network with its held-out responses."""
        import zarr
        from safetensors.numpy import save_file

        from .._pytree_io import flatten

        info = {"model": plan.model_id, "seconds": seconds, "n_classes": int(heldout.readout.shape[1]),
                "categories": list(heldout.categories), "hardware": hardware()}
        with atomic_directory(self.unit_dir(plan.model_id), info) as tmp:
            save_file({**flatten(trained, "trained/"), **flatten(untrained, "untrained/")},
                      str(tmp / "params.safetensors"), metadata={"model": plan.model_id})
            history.to_parquet(tmp / "history.parquet", index=False)
            group = zarr.open_group(str(tmp / "heldout.zarr"), mode="w")
            for name, dims in (("labels", ("image",)), ("predictions", ("state", "image", "step")),
                               ("pooled", ("state", "image", "step", "unit")),
                               ("readout", ("state", "class", "unit"))):
                value = np.asarray(getattr(heldout, name))
                array = group.create_array(name, shape=value.shape, dtype=value.dtype, dimension_names=dims)
                array[...] = value
            group.attrs["states"] = list(STATES)

    def manifest(self, model_id: str) -> dict:
        manifest = read_manifest(self.unit_dir(model_id))
        if manifest is None:
            raise FileNotFoundError(f"model {model_id} is not complete in {self.root}")
        return manifest

    def history(self, model_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.unit_dir(model_id) / "history.parquet")

    def heldout(self, model_id: str) -> HeldOut:
        """The held-out responses of a complete model (checksums verified)."""
        import zarr

        verify(self.unit_dir(model_id))
        group = zarr.open_group(str(self.unit_dir(model_id) / "heldout.zarr"), mode="r")
        return HeldOut(*(np.asarray(group[k][...]) for k in ("labels", "predictions", "pooled", "readout")),
                       categories=tuple(self.manifest(model_id)["categories"]))

    def network(self, model_id: str, which: str = "trained"):
        """The :class:`rnnpop.vision.BLT` of a complete model (``which`` = 'trained' | 'untrained')."""
        import equinox as eqx
        import jax
        from safetensors.numpy import load_file

        from ..vision import BLT
        from .._pytree_io import unflatten

        if which not in ("trained", "untrained"):
            raise ValueError(f"which must be 'trained' or 'untrained', got {which!r}")
        verify(self.unit_dir(model_id))
        config = self.study.config(self.plan(model_id), self.manifest(model_id)["n_classes"])
        skeleton = eqx.filter_eval_shape(BLT, config, key=jax.random.key(0))
        return unflatten(skeleton, load_file(str(self.unit_dir(model_id) / "params.safetensors")), f"{which}/")
