"""Run a vision study into its run store: each network trained, its held-out responses
(trained and untrained) recorded, and the whole written atomically; resumable per network."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Callable, ContextManager

import jax
import numpy as np

from ..store import CorruptGroupError, HeldOut, VisionStore, claim, open_store, read_manifest, remove_leftovers, verify
from ..studyfile import ModelPlan, StudyError, VisionStudy

ModelProgress = Callable[[ModelPlan, int], ContextManager]
"""``model_progress(plan, total_batches)`` opens a ``progress(done, total, loss)`` callback."""


def model_seed(study: VisionStudy, plan: ModelPlan) -> int:
    """The seed of one network: initial weights depend on the study seed and the seed index
    only, so every variant of one seed starts from the same bottom-up weights."""
    return study.seed * 1000 + plan.seed


def train_model(store: VisionStore, plan: ModelPlan, data, progress=None) -> str:
    """Train, evaluate and write one network unless it is complete or claimed elsewhere.
    ``data`` = ``(train, validation, test)`` image sets. Returns 'done', 'complete' or 'claimed'."""
    from ..vision import BLT, fit, responses

    if store.is_complete(plan.model_id):
        return "complete"
    with claim(store.root / "models", plan.model_id) as held:
        if held is None:
            return "claimed"
        if store.is_complete(plan.model_id):
            return "complete"
        remove_leftovers(store.root / "models", plan.model_id)
        study, (train, validation, test) = store.study, data
        seed = model_seed(study, plan)
        config = study.config(plan, len(train.categories))
        initial = BLT(config, key=jax.random.key(seed))
        start = time.perf_counter()
        checkpoint = store.root / "models" / f".checkpoint-{plan.model_id}.safetensors"
        trained, history = fit(initial, train, epochs=study.train.epochs, batch_size=study.train.batch_size,
                               learning_rate=study.train.learning_rate, augmented=study.train.augment,
                               seed=seed, progress=progress, checkpoint=checkpoint, validation=validation)
        seconds = float(history.seconds.iloc[-1]) if len(history) else time.perf_counter() - start
        answers = [responses(net, test, batch=study.train.eval_batch) for net in (trained, initial)]
        labels = test.raw(slice(0, len(test)))[1]
        heldout = HeldOut(labels=labels.astype(np.int64),
                          predictions=np.stack([a[0] for a in answers]),
                          pooled=np.stack([a[1] for a in answers]),
                          readout=np.stack([np.asarray(n.readout.weight, np.float32) for n in (trained, initial)]),
                          categories=tuple(train.categories))
        store.write_model(plan, trained, initial, history, heldout, seconds)
        checkpoint.unlink(missing_ok=True)
    return "done"


def run_vision_study(study: VisionStudy, root: str | Path, *, model_progress: ModelProgress | None = None,
                     on_skip: Callable[[ModelPlan], None] | None = None,
                     on_corrupt: Callable[[ModelPlan, str], None] | None = None) -> VisionStore:
    """Train every network of ``study`` not yet complete in the store at ``root``.

    The data are read (or generated) once, before any training, so a bad data file fails
    first. Complete networks are skipped; incomplete or corrupt ones are trained again
    (``on_corrupt`` hears which file failed its checksum). Networks another process holds
    are waited for.
    """
    from ..vision import load_images

    store = open_store(root, study)
    todo = []
    for plan in study.models():
        try:
            verify(store.unit_dir(plan.model_id))
            if on_skip is not None:
                on_skip(plan)
        except CorruptGroupError as err:
            if on_corrupt is not None and read_manifest(store.unit_dir(plan.model_id)) is not None:
                on_corrupt(plan, str(err))
            todo.append(plan)
    if not todo:
        return store
    try:
        data = load_images(study.data, study.model.image_size, seed=study.seed)
    except (ValueError, KeyError, OSError) as err:
        raise StudyError(f"data: {err}") from None
    n_batches = study.train.epochs * (len(data[0]) // min(study.train.batch_size, len(data[0])))
    claimed = []
    for plan in todo:
        opener = model_progress(plan, n_batches) if model_progress else contextlib.nullcontext(None)
        with opener as progress:
            if train_model(store, plan, data, progress) == "claimed":
                claimed.append(plan)
    while claimed:  # held by a concurrent run: wait, or take over when its owner died
        time.sleep(2.0)
        claimed = [p for p in claimed if train_model(store, p, data) == "claimed"]
    return store
