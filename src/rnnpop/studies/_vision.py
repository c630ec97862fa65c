"""Run a vision study into its run store: each network trained, its held-out responses
(trained and untrained) recorded, and the whole written atomically; resumable per network."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from .._progress import Progress
from ..store import CorruptGroupError, HeldOut, VisionStore, open_store
from ..store._atomic import read_manifest, verify
from ..studyfile import ModelPlan, StudyError, VisionStudy
from ._run import _for_unit


def model_seed(study: VisionStudy, plan: ModelPlan) -> int:
    """The seed of one network: initial weights depend on the study seed and the seed index
    only, so every variant of one seed starts from the same bottom-up weights."""
    return study.seed * 1000 + plan.seed


def train_model(store: VisionStore, plan: ModelPlan, data, progress=None) -> str:
    """Train, evaluate and write one network unless it is complete or claimed elsewhere.
    ``data`` = ``(train, validation, test)`` image sets. Returns 'done', 'complete' or 'claimed'."""
    import jax

    from ..vision import BLT, fit, responses

    if store.is_complete(plan.model_id):
        return "complete"
    with store.claim_unit(plan.model_id) as held:
        if held is None:
            return "claimed"
        if store.is_complete(plan.model_id):
            return "complete"
        study, (train, validation, test) = store.study, data
        seed = model_seed(study, plan)
        config = study.config(plan, len(train.categories))
        initial = BLT(config, key=jax.random.key(seed))
        start = time.perf_counter()
        checkpoint = store.checkpoint_path(plan.model_id)
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


def run_vision_study(study: VisionStudy, root: str | Path, *, progress: Progress | None = None,
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
    claimed = []
    for plan in todo:
        if train_model(store, plan, data, _for_unit(progress, plan.model_id)) == "claimed":
            claimed.append(plan)
    while claimed:  # held by a concurrent run: wait, or take over when its owner died
        time.sleep(2.0)
        claimed = [p for p in claimed if train_model(store, p, data) == "claimed"]
    return store


def _summary(store, _key, progress) -> None:
    from ..analysis import analyse_vision

    analyse_vision(store, progress=progress)


def _status(store):
    """One row per network: state, epochs, final loss, training seconds."""
    import pandas as pd

    from ._units import unit_state

    rows = []
    for plan in store.study.models():
        state = unit_state(store, plan.model_id)
        row = {"network": plan.model_id, "state": state, "epochs": "", "final loss": "", "seconds": ""}
        if state == "done":
            history = store.history(plan.model_id)
            row.update({"epochs": str(len(history)), "final loss": f"{history.loss.iloc[-1]:.4g}",
                        "seconds": f"{store.manifest(plan.model_id)['seconds']:.0f}"})
        rows.append(row)
    return pd.DataFrame(rows)


def _report(store, path=None):
    from ..report import build_vision_report

    return build_vision_report(store, path)


def _build_vision_kind():
    from ._kind import Stage, StudyKind

    return StudyKind(
        name="vision",
        train=run_vision_study,
        train_unit=None,  # one network after another, in-process (its data read once)
        task_of=lambda study, unit_id: None,
        stages=(Stage("vision", "study", _summary),),
        status=_status,
        report=_report,
        rate=lambda study: ("img/s", float(study.train.batch_size)),
    )


VISION = _build_vision_kind()
