"""Training a BLT network on an image set, and reading out its held-out responses."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from .._progress import Progress
from ._blt import BLT
from ._train import augment, make_train_step, vision_jit



def fit(net: BLT, images, *, epochs: int, batch_size: int, learning_rate: float, augmented: bool, seed: int,
        progress: Progress | None = None, checkpoint: Path | None = None,
        validation=None) -> tuple[BLT, pd.DataFrame]:
    """Train ``net`` with Adam on ``images`` (an image set: ``len``, ``raw(index)``,
    ``normalise``) for ``epochs`` passes in shuffled batches (the last partial batch is
    dropped), augmenting each batch when ``augmented``. Returns the trained network and
    a table with one row per epoch (``epoch``, ``loss`` = mean batch loss, ``seconds``;
    with a ``validation`` image set, as the authors' training script, also ``val_loss``,
    its loss per image, and ``val_accuracy_<t>``, its accuracy at each step t).

    Each epoch's order and augmentation are drawn from ``(seed, epoch)``, so with a
    ``checkpoint`` file (written after every epoch, atomically) an interrupted fit
    resumes at the next epoch and ends with the same weights as an uninterrupted one.
    """
    n = len(images)
    batch_size = min(batch_size, n)
    per_epoch = n // batch_size
    optimizer = optax.adam(learning_rate)
    opt_state = optimizer.init(eqx.filter(net, eqx.is_array))
    step = make_train_step(optimizer)
    rows, first, elapsed = [], 0, 0.0
    if checkpoint is not None and Path(checkpoint).is_file():
        net, opt_state, rows = _load_checkpoint(Path(checkpoint), net, opt_state)
        first, elapsed = len(rows), (rows[-1]["seconds"] if rows else 0.0)
    start = time.perf_counter() - elapsed
    for epoch in range(first, epochs):
        rng = np.random.default_rng([seed, epoch])
        order = rng.permutation(n)
        losses = []
        for b in range(per_epoch):
            index = np.sort(order[b * batch_size:(b + 1) * batch_size])
            raw, labels = images.raw(index)
            if augmented:
                raw = augment(raw, seed=int(rng.integers(2**31)))
            net, opt_state, loss = step(net, opt_state, jnp.asarray(images.normalise(raw)), jnp.asarray(labels))
            losses.append(loss)
            if progress is not None and (b % 10 == 9 or b == per_epoch - 1):
                progress("train", epoch * per_epoch + b + 1, epochs * per_epoch, loss=float(loss))
        mean = float(np.mean(jax.device_get(losses)))
        if not np.isfinite(mean):
            raise FloatingPointError(f"training diverged in epoch {epoch} (loss {mean}); "
                                     "lower train.learning_rate")
        row = {"epoch": epoch, "loss": mean, "seconds": time.perf_counter() - start}
        if validation is not None:
            row.update(evaluate(net, validation))
        rows.append(row)
        if checkpoint is not None:
            _save_checkpoint(Path(checkpoint), net, opt_state, rows)
    return net, pd.DataFrame(rows)


def _save_checkpoint(path: Path, net: BLT, opt_state, rows: list[dict]) -> None:
    from .._pytree_io import flatten

    tensors = {**flatten(net, "net/"), **flatten(opt_state, "opt/")}
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"history": json.dumps(rows)})
    os.replace(tmp, path)


def _load_checkpoint(path: Path, net: BLT, opt_state):
    from .._pytree_io import unflatten

    with safe_open(str(path), framework="numpy") as f:
        rows = json.loads(f.metadata()["history"])
    arrays = load_file(str(path))
    return unflatten(net, arrays, "net/"), unflatten(opt_state, arrays, "opt/"), rows


def _evaluate_batch(net: BLT, images, labels):
    logits, _ = net.forward_batch(images)  # (B, T, C)
    logp = jax.nn.log_softmax(logits, axis=-1)
    nll = -jnp.take_along_axis(logp, labels[:, None, None], axis=-1)[..., 0].sum(axis=1)
    return nll.sum(), jnp.sum(jnp.argmax(logits, axis=-1) == labels[:, None], axis=0)


def evaluate(net: BLT, images, *, batch: int = 250) -> dict[str, float]:
    """``val_loss`` (NLL summed over steps, mean over images) and ``val_accuracy_<t>``
    (fraction correct at step t) of ``net`` on ``images``."""
    program, loss, correct = vision_jit(_evaluate_batch), 0.0, 0
    for start in range(0, len(images), batch):
        raw, labels = images.raw(slice(start, min(start + batch, len(images))))
        total, right = program(net, jnp.asarray(images.normalise(raw)), jnp.asarray(labels))
        loss, correct = loss + float(total), correct + np.asarray(right)
    n = len(images)
    return {"val_loss": loss / n, **{f"val_accuracy_{t}": float(c) / n for t, c in enumerate(correct)}}


def _responses(net: BLT, images):
    logits, pooled = net.forward_batch(images)
    return jnp.argmax(logits, axis=-1), pooled


def responses(net: BLT, images, *, batch: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """The network's prediction and pooled representation at every step for every image
    of ``images``: ``(predictions (N, T) int, pooled (N, T, D) float32)``."""
    program, predictions, pooled = vision_jit(_responses), [], []
    for start in range(0, len(images), batch):
        raw, _ = images.raw(slice(start, min(start + batch, len(images))))
        p, h = program(net, jnp.asarray(images.normalise(raw)))
        predictions.append(np.asarray(p))
        pooled.append(np.asarray(h))
    return np.concatenate(predictions).astype(np.int32), np.concatenate(pooled).astype(np.float32)
