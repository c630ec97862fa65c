"""Training configuration and the shape that defines a group."""

from __future__ import annotations

import dataclasses

from ..models._names import ACTIVATION_NAMES, CELL_NAMES, MATMULS


@dataclasses.dataclass(frozen=True)
class GroupSpec:
    """Networks that share a shape are one group: same cell, activation and width."""

    cell: str
    activation: str
    n_units: int

    def __post_init__(self):
        if self.cell not in CELL_NAMES:
            raise ValueError(f"cell must be one of {sorted(CELL_NAMES)}, got {self.cell!r}")
        if self.activation not in ACTIVATION_NAMES:
            raise ValueError(f"activation must be one of {sorted(ACTIVATION_NAMES)}, got {self.activation!r}")
        if not (isinstance(self.n_units, int) and self.n_units > 0):
            raise ValueError(f"units must be a positive integer, got {self.n_units!r}")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """How every network of a group is trained (the paper's recipe by default).

    ``decay_steps``: iterations per factor of ``decay`` in the learning rate
    (default ``n_iterations // 4``). ``log_every``: iterations per jitted chunk and
    per point of the loss curve. ``vmap_size``: networks vectorised together inside
    the group program; the rest are looped over sequentially (``None`` picks the
    measured best for the backend: 1 on a CPU, the whole group on an accelerator).
    ``matmul``: the training loss's recurrent matrix products from ``"float32"`` operands
    (the default) or ``"bfloat16"`` ones, accumulated in float32 either way — about 1.5× faster
    products on a CPU with AVX512-BF16 (rnnpop's native kernels; refused elsewhere). Validation
    losses are float32 always.
    """

    n_iterations: int = 20_000
    batch_size: int = 64
    decay_steps: int | None = None
    log_every: int = 100
    validation_size: int = 512
    validation_seed: int = 2_024_001
    vmap_size: int | None = None
    matmul: str = "float32"

    def __post_init__(self):
        if self.matmul not in MATMULS:
            raise ValueError(f"train.matmul must be one of {list(MATMULS)}, got {self.matmul!r}")
        for name in ("n_iterations", "batch_size", "log_every", "validation_size"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value > 0):
                raise ValueError(f"train.{name} must be a positive integer, got {value!r}")
        for name in ("decay_steps", "vmap_size"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int) and value > 0):
                raise ValueError(f"train.{name} must be a positive integer or absent, got {value!r}")
        if self.n_iterations % self.log_every:
            raise ValueError(f"train.log_every must divide train.n_iterations={self.n_iterations}, "
                             f"got {self.log_every}")

    @property
    def resolved_decay_steps(self) -> int:
        return self.decay_steps or max(1, self.n_iterations // 4)

    @property
    def n_chunks(self) -> int:
        return -(-self.n_iterations // self.log_every)

    def resolved_vmap_size(self, n_networks: int) -> int:
        if self.vmap_size is not None:
            return min(self.vmap_size, n_networks)
        import jax

        return 1 if jax.default_backend() == "cpu" else n_networks
