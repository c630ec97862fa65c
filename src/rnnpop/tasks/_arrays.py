"""A user's own task, given as arrays of trials instead of a generator."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._base import Batch, sample_batch

if TYPE_CHECKING:
    import jax

ARRAY_KEYS = ("inputs", "targets", "mask", "conditions")
"""The names in a task's ``.npz``: ``inputs`` and ``targets`` required, ``mask`` and ``conditions`` optional."""


@dataclasses.dataclass(frozen=True, eq=False)
class ArrayTask:
    """The trials a user's networks were trained on, as arrays; rnnpop's analyses run on them
    as on its own tasks (its study name is ``"arrays"``).

    Attributes:
        inputs: ``(trials, time, n_inputs)``.
        targets: ``(trials, time, n_outputs)``.
        mask: ``(trials, time, n_outputs)``, 1 where the loss counts; ``None``: everywhere.
        fixed_inputs: ``(conditions, n_inputs)``, the static inputs under which fixed points
            are sought; ``None``: one condition, all inputs zero (the input-free dynamics).
        file: where the arrays are stored, relative to the run store (``ArrayTask.save``).

    Batches are trials drawn with replacement; the probe on which networks are compared is
    the first trials, as many as the requested samples need (all of them at most).
    """

    inputs: np.ndarray = dataclasses.field(repr=False)
    targets: np.ndarray = dataclasses.field(repr=False)
    mask: np.ndarray | None = dataclasses.field(default=None, repr=False)
    fixed_inputs: np.ndarray | None = dataclasses.field(default=None, repr=False)
    file: str = "task.npz"
    name: str = dataclasses.field(default="arrays", init=False)

    def __post_init__(self):
        arrays = {"inputs": self.inputs, "targets": self.targets, "mask": self.mask,
                  "conditions": self.fixed_inputs}
        for key, value in arrays.items():
            if value is None:
                continue
            value = np.asarray(value)
            if not np.issubdtype(value.dtype, np.number) or np.issubdtype(value.dtype, np.complexfloating):
                raise ValueError(f"task arrays: {key} must be real numbers, got dtype {value.dtype}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"task arrays: {key} holds NaN or infinite values")
            object.__setattr__(self, "fixed_inputs" if key == "conditions" else key,
                               np.ascontiguousarray(value, dtype=np.float32))
        x, y = self.inputs, self.targets
        if x.ndim != 3 or y.ndim != 3:
            raise ValueError(f"task arrays: inputs and targets must be (trials, time, features), "
                             f"got inputs {x.shape} and targets {y.shape}")
        if x.shape[:2] != y.shape[:2]:
            raise ValueError(f"task arrays: inputs {x.shape} and targets {y.shape} differ in trials or time")
        if 0 in x.shape or 0 in y.shape:
            raise ValueError(f"task arrays: empty inputs {x.shape} or targets {y.shape}")
        if self.mask is not None and self.mask.shape != y.shape:
            raise ValueError(f"task arrays: mask {self.mask.shape} must have the shape of targets {y.shape}")
        fixed = self.fixed_inputs
        if fixed is not None and (fixed.ndim != 2 or fixed.shape[1] != x.shape[2] or not len(fixed)):
            raise ValueError(f"task arrays: conditions must be (conditions, {x.shape[2]}) static inputs, "
                             f"got {fixed.shape}")

    @property
    def n_time(self) -> int:
        return self.inputs.shape[1]

    @property
    def n_trials(self) -> int:
        return self.inputs.shape[0]

    @property
    def n_inputs(self) -> int:
        return self.inputs.shape[2]

    @property
    def n_outputs(self) -> int:
        return self.targets.shape[2]

    @property
    def readout_grid(self) -> None:
        return None

    def generate(self, key: jax.Array, batch_size: int):
        """JAX definition of :meth:`sample`: ``batch_size`` trials drawn with replacement."""
        import jax
        import jax.numpy as jnp

        index = jax.random.randint(key, (batch_size,), 0, self.n_trials)
        mask = np.ones_like(self.targets) if self.mask is None else self.mask
        return tuple(jnp.asarray(a)[index] for a in (self.inputs, self.targets, mask))

    def sample(self, batch_size: int, seed: int) -> Batch:
        return sample_batch(self, batch_size, seed)

    def conditions(self) -> np.ndarray:
        """The static inputs ``(conditions, n_inputs)`` of the fixed-point search."""
        if self.fixed_inputs is None:
            return np.zeros((1, self.n_inputs), np.float32)
        return self.fixed_inputs

    def probe(self, n_samples: int) -> np.ndarray:
        """The first ``ceil(n_samples / time)`` trials' inputs (all trials at most)."""
        return self.inputs[:max(1, min(self.n_trials, math.ceil(n_samples / self.n_time)))]

    def digest(self) -> str:
        """SHA-256 of the arrays (shapes and values): the study file records it."""
        h = hashlib.sha256()
        for key in ARRAY_KEYS:
            value = self._array(key)
            if value is not None:
                h.update(f"{key}{value.shape}".encode())
                h.update(value.tobytes())
        return h.hexdigest()

    def study_options(self) -> dict[str, str]:
        """What a study file records of this task (``[tasks.arrays]``)."""
        return {"file": self.file, "sha256": self.digest()}

    def save(self, root: str | Path) -> Path:
        """Write the arrays to ``root / self.file`` (an ``.npz``, atomically); returns the path."""
        path = Path(root) / self.file
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "wb") as handle:
            np.savez(handle, **{k: v for k in ARRAY_KEYS if (v := self._array(k)) is not None})
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path, *, file: str | None = None, sha256: str | None = None) -> ArrayTask:
        """Read a task's ``.npz`` (``inputs``, ``targets``; ``mask``, ``conditions`` optional;
        read without pickle); with ``sha256``, refuse arrays that differ from those recorded."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"task arrays: no such file {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (ValueError, OSError) as err:
            raise ValueError(f"task arrays: {path} is not a readable .npz without pickled objects: {err}") from None
        unknown = sorted(set(arrays) - set(ARRAY_KEYS))
        missing = [k for k in ("inputs", "targets") if k not in arrays]
        if missing or unknown:
            raise ValueError(f"task arrays: {path} must hold inputs and targets (mask, conditions optional); "
                             f"missing {missing}, unknown {unknown}")
        task = cls(arrays["inputs"], arrays["targets"], arrays.get("mask"), arrays.get("conditions"),
                   file=file or path.name)
        if sha256 is not None and task.digest() != sha256:
            raise ValueError(f"task arrays: {path} differs from the arrays this study was made with (sha256)")
        return task

    def _array(self, key: str) -> np.ndarray | None:
        return self.fixed_inputs if key == "conditions" else getattr(self, key)
