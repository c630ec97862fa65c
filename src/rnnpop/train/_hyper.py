"""Per-network hyperparameters and the paper's random search over them."""

from __future__ import annotations

import dataclasses
import math
import zlib

import numpy as np

FIELDS = ("learning_rate", "decay", "momentum", "clip", "l2")


@dataclasses.dataclass(frozen=True)
class Hyperparameters:
    """One value per network; every field is an array of shape ``(n_networks,)``.

    ``learning_rate``: initial rate; ``decay``: the rate is multiplied by ``decay``
    every ``decay_steps`` iterations (smoothly, ``lr·decay^(k/decay_steps)``);
    ``momentum``: SGD momentum; ``clip``: maximum global gradient norm; ``l2``:
    strength of ``l2·Σ W²`` over the weight matrices; ``seed``: initial weights and
    the network's own stream of training batches.
    """

    learning_rate: np.ndarray
    decay: np.ndarray
    momentum: np.ndarray
    clip: np.ndarray
    l2: np.ndarray
    seed: np.ndarray

    def __post_init__(self):
        n = len(self.seed)
        for name in FIELDS:
            value = np.asarray(getattr(self, name), np.float32)
            if value.shape != (n,):
                raise ValueError(f"hyperparameter {name} must have shape ({n},), got {value.shape}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"hyperparameter {name} has a non-finite value: {value}")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "seed", np.asarray(self.seed, np.uint32))
        _require(self.learning_rate > 0, "learning_rate", "> 0")
        _require((self.decay > 0) & (self.decay <= 1), "decay", "in (0, 1]")
        _require((self.momentum >= 0) & (self.momentum <= 1), "momentum", "in [0, 1]")
        _require(self.clip > 0, "clip", "> 0")
        _require(self.l2 >= 0, "l2", ">= 0")

    def __len__(self) -> int:
        return len(self.seed)

    def select(self, index) -> "Hyperparameters":
        """The networks at ``index`` (an int array or slice)."""
        return Hyperparameters(**{k: v[index] for k, v in self.as_dict().items()})

    def as_dict(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in (*FIELDS, "seed")}

    @classmethod
    def concatenate(cls, parts: list["Hyperparameters"]) -> "Hyperparameters":
        return cls(**{k: np.concatenate([p.as_dict()[k] for p in parts]) for k in (*FIELDS, "seed")})


def _require(ok: np.ndarray, name: str, allowed: str) -> None:
    if not np.all(ok):
        raise ValueError(f"hyperparameter {name} must be {allowed}")


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """The random-search ranges (Maheswaranathan et al. 2019 defaults).

    ``clip`` and ``learning_rate`` are drawn log-uniformly, ``decay`` and
    ``momentum`` uniformly, each from its ``(low, high)`` range.
    """

    clip: tuple[float, float] = (0.1, 10.0)
    learning_rate: tuple[float, float] = (1e-5, 0.1)
    decay: tuple[float, float] = (0.1, 0.9)
    momentum: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self):
        for name, positive in (("clip", True), ("learning_rate", True), ("decay", True), ("momentum", False)):
            low, high = getattr(self, name)
            if not (math.isfinite(low) and math.isfinite(high) and low <= high):
                raise ValueError(f"search.{name} must be a finite [low, high] with low <= high, got {[low, high]}")
            if positive and low <= 0:
                raise ValueError(f"search.{name} must be > 0, got {[low, high]}")
        if self.decay[1] > 1 or not 0 <= self.momentum[0] <= self.momentum[1] <= 1:
            raise ValueError("search.decay must lie in (0, 1] and search.momentum in [0, 1]")

    def draw(self, n: int, *, seed: int) -> dict[str, np.ndarray]:
        """``n`` draws of (clip, learning_rate, decay, momentum), each ``(n,)`` float32."""
        rng = np.random.default_rng(seed)

        def log_uniform(bounds):
            return np.exp(rng.uniform(np.log(bounds[0]), np.log(bounds[1]), n))

        return {
            "clip": log_uniform(self.clip).astype(np.float32),
            "learning_rate": log_uniform(self.learning_rate).astype(np.float32),
            "decay": rng.uniform(*self.decay, n).astype(np.float32),
            "momentum": rng.uniform(*self.momentum, n).astype(np.float32),
        }


def derive_seed(*parts: int | str) -> int:
    """A stable 32-bit seed from ints and strings (same on every machine and run)."""
    words = [zlib.crc32(p.encode()) if isinstance(p, str) else int(p) for p in parts]
    return int(np.random.SeedSequence(words).generate_state(1)[0])
