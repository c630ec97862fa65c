"""The vision study's analyses: one summary table over every complete network, and the
paper's claims measured on it (Thorat, Doerig & Kietzmann, CCN 2023)."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import pandas as pd

from ..store import VisionStore, atomic_directory, is_complete, read_manifest
from ._findings import Finding

Progress = Callable[[str, int, int], None]


def _summary_dir(store: VisionStore):
    return store.root / "analysis" / "vision"


def analyse_vision(store: VisionStore, *, progress: Progress | None = None) -> pd.DataFrame:
    """Summarise every complete network (:func:`rnnpop.vision.summarise`) into
    ``analysis/vision/summary.parquet``: the columns of the summary plus ``model``,
    ``variant``, ``interaction`` and ``seed``. Kept when it already covers exactly the
    complete networks; redone (atomically) otherwise."""
    from ..vision import summarise

    models = store.complete_models()
    path = _summary_dir(store)
    manifest = read_manifest(path)
    if manifest is not None and manifest.get("models") == models and is_complete(path):
        return load_vision_summary(store)
    start, frames = time.perf_counter(), []
    for k, model_id in enumerate(models):
        plan, heldout = store.plan(model_id), store.heldout(model_id)
        frame = summarise(heldout.labels, heldout.predictions, heldout.pooled, heldout.readout)
        frame.insert(0, "seed", plan.seed)
        frame.insert(0, "interaction", plan.interaction)
        frame.insert(0, "variant", plan.variant)
        frame.insert(0, "model", model_id)
        frames.append(frame)
        if progress is not None:
            progress("vision analyses", k + 1, len(models))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    with atomic_directory(path, {"models": models, "seconds": time.perf_counter() - start}) as tmp:
        table.to_parquet(tmp / "summary.parquet", index=False)
    return table


def load_vision_summary(store: VisionStore) -> pd.DataFrame | None:
    """The stored summary table, or ``None`` when :func:`analyse_vision` has not run."""
    path = _summary_dir(store)
    if not is_complete(path):
        return None
    return pd.read_parquet(path / "summary.parquet")


def _series(table: pd.DataFrame, quantity: str, state: str = "trained") -> pd.DataFrame:
    rows = table[(table.quantity == quantity) & (table.state == state)]
    return rows.pivot_table(index="model", columns="step", values="value")


def _fraction_below(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Fraction of (model, step) pairs, defined in both, where ``a < b``."""
    a, b = a.align(b, join="inner")
    ok = np.isfinite(a.values) & np.isfinite(b.values)
    return float(np.mean(a.values[ok] < b.values[ok])) if ok.any() else float("nan")


CONTINUED = 0.05
"""Representations "continue to evolve" when their mean step after t_stable exceeds this
fraction of their norm."""


def vision_findings(table: pd.DataFrame) -> pd.DataFrame:
    """The paper's claims next to what this run measured, one row each (columns of
    :class:`rnnpop.analysis.Finding`), over the recurrent networks. Thresholds: a claim
    about two curves agrees when it holds at more than half of the (network, step) pairs
    where both are defined; continued evolution when the mean step after t_stable exceeds
    :data:`CONTINUED` × the norm."""
    columns = ["task", "claim", "paper", "measured", "agrees"]
    if table is None or table.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    acc = _series(table, "accuracy")
    recurrent = [m for m in acc.index if not m.startswith("B-")]
    if recurrent:
        gain = acc.loc[recurrent].iloc[:, -1] - acc.loc[recurrent].iloc[:, 0]
        rows.append(Finding("vision", "recurrent networks become more accurate over time steps",
                            "accuracy rises over the 10 steps",
                            f"last − first step accuracy: median {gain.median():+.3f} over {len(gain)} networks "
                            f"(min {gain.min():+.3f})", bool(gain.median() > 0)))
    evolution = table[table.quantity == "evolution"]
    trained = evolution[(evolution.state == "trained") & (evolution.step >= evolution.t_stable)]
    untrained = evolution[(evolution.state == "untrained") & (evolution.step >= evolution.t_stable)]
    if len(trained) and recurrent:
        keep = trained.model.isin(recurrent)
        t, u = trained[keep].value.mean(), untrained[untrained.model.isin(recurrent)].value.mean()
        norm = table[(table.quantity == "norm_already") & table.model.isin(recurrent)].value.mean()
        rows.append(Finding("vision", "representations continue to evolve after correct classification",
                            "no notion of being 'done with classification': h keeps moving after t_stable",
                            f"mean ‖h_t+1 − h_t‖ after t_stable: {t:.3g} = {t / norm:.0%} of ‖h_t‖ "
                            f"(same network untrained, same images: {u:.3g})",
                            bool(t / norm > CONTINUED)))
    for later, already, claim, paper in (
            ("norm_later", "norm_already", "images that settle later have a lower norm",
             "misclassified representations have lower L2 norm"),
            ("cosine_later", "cosine_already", "images that settle later lie more peripherally in the readout zones",
             "lower cosine with the winning readout vector"),
            ("future_others", "future_true", "before settling, h is closer to its future class than to the zone's "
             "other classes", "peripheral representations point towards the correct zone")):
        fraction = _fraction_below(_series(table, later), _series(table, already))
        if np.isfinite(fraction):
            rows.append(Finding("vision", claim, paper,
                                f"{later} < {already} at {fraction:.0%} of (network, step) pairs", bool(fraction > 0.5)))
    return pd.DataFrame([r.__dict__ for r in rows], columns=columns)
