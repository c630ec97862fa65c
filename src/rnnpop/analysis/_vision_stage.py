"""The vision study's analyses: one summary table over every complete network, and the
paper's claims measured on it (Thorat, Doerig & Kietzmann, CCN 2023)."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from .._progress import Progress
from ..store import VisionStore
from ..store._atomic import atomic_directory, is_complete, read_manifest
from ._findings import Finding



def _summary_dir(store: VisionStore):
    return store.stage("vision")


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


def _majority_below(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """Per model: whether ``a < b`` at more than half of the steps where both are defined
    (NaN for a model with no such step)."""
    a, b = a.align(b, join="inner")
    ok = np.isfinite(a.values) & np.isfinite(b.values)
    below = np.where(ok, a.values < b.values, False).sum(axis=1)
    n = ok.sum(axis=1)
    return pd.Series(np.where(n > 0, below > n / 2, np.nan), index=a.index)


CONTINUED = 0.05
"""Representations "continue to evolve" when their mean step after t_stable exceeds this
fraction of their norm."""
CLAIM = ("\u201cupon inference, representations continued to evolve after correct classification\u201d",
         "\u201cmisclassified representations exhibit activation patterns with lower L2 norm\u201d",
         "\u201c[misclassified representations] are positioned more peripherally in the readout zones\u201d",
         "\u201cSuch arrangements help the misclassified representations move into the correct zones as "
         "time progresses\u201d")


def _count(flags: pd.Series, what: str, minimum: int = 3, alpha: float = 0.05,
           control: bool = False) -> tuple[str, str, str, str]:
    """``(measured, uncertainty, n, verdict)`` for "``what`` holds per network": the count,
    a one-sided sign test against chance (p of k or more of n under 1/2). A ``control``
    row says whether the statistic "holds" rather than whether a claim agrees."""
    from scipy.stats import binomtest

    flags = flags.dropna().astype(bool)
    n, k = len(flags), int(flags.sum())
    if n < minimum:
        return f"{k} of {n} networks {what}", "–", f"{n} networks", "not testable at this size"
    p = binomtest(k, n, 0.5, alternative="greater").pvalue
    verdict = "agrees" if p < alpha else "does not agree" if k <= n / 2 else "inconclusive"
    if control:
        verdict = {"agrees": "holds", "does not agree": "does not hold"}.get(verdict, verdict)
    return f"{k} of {n} networks {what}", f"sign test p = {p:.3f}", f"{n} networks", verdict


def vision_findings(table: pd.DataFrame) -> pd.DataFrame:
    """The paper's claims tested per recurrent network (columns of
    :class:`rnnpop.analysis.Finding`): each row counts the networks in which the claim
    holds, with a one-sided sign test (verdict "agrees" at p < 0.05, "inconclusive" for a
    majority that is not significant, "not testable at this size" below 3 networks), and
    a control row beside it ("holds" / "does not hold"): the same network untrained for
    continued evolution, stable-incorrect images for the norm and readout-zone claims."""
    columns = [f.name for f in dataclasses.fields(Finding)]
    if table is None or table.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    acc = _series(table, "accuracy")
    recurrent = [m for m in acc.index if not m.startswith("B-")]
    if not recurrent:
        return pd.DataFrame(columns=columns)
    table = table[table.model.isin(recurrent)]
    acc = acc.loc[recurrent]
    gain = acc.iloc[:, -1] - acc.iloc[:, 0]
    rows.append(Finding("vision", "recurrent networks become more accurate over time steps (Fig. 1)",
                        "last − first step accuracy > 0, per network",
                        *_count(gain > 0, f"gain (median {gain.median():+.3f})")))
    evolution = table[(table.quantity == "evolution") & (table.step >= table.t_stable)]
    relative = {}
    for state in ("trained", "untrained"):
        step = evolution[evolution.state == state].groupby("model").value.mean()
        norm = table[(table.quantity == "norm") & (table.state == state)].groupby("model").value.mean()
        relative[state] = (step / norm).dropna()
    if len(relative["trained"]):
        r = relative["trained"]
        rows.append(Finding("vision", CLAIM[0], f"mean ‖h_t+1 − h_t‖ after t_stable > {CONTINUED:.0%} of ‖h_t‖",
                            *_count(r > CONTINUED, f"move on (median {r.median():.1%} of ‖h‖ per step)")))
        both = pd.concat(relative, axis=1).dropna()
        settle = both.trained < both.untrained
        rows.append(Finding("vision", "control: an untrained network also moves; does training make it settle?",
                            "relative step after t_stable: trained < the same network untrained (same images)",
                            *_count(settle, f"settle more than untrained (untrained median "
                                            f"{both.untrained.median():.1%})", control=True)))
    for (later, already, incorrect), claim in zip(
            (("norm_later", "norm_already", "norm_incorrect"), ("cosine_later", "cosine_already", "cosine_incorrect")),
            CLAIM[1:3]):
        what = "lower norm" if later.startswith("norm") else "lower cosine with the winning readout vector"
        rows.append(Finding("vision", claim, f"not-yet-stable images: {what} than already-stable ones, "
                            "at most steps", *_count(_majority_below(_series(table, later), _series(table, already)),
                                                      f"show a {what}")))
        rows.append(Finding("vision", "control: images that settle on a wrong class",
                            f"stable-incorrect images: {what} than already-stable correct ones, at most steps",
                            *_count(_majority_below(_series(table, incorrect), _series(table, already)),
                                    "show it for stable-incorrect images", control=True)))
    wins = _series(table, "future_wins")
    if not wins.empty:
        per_model = wins.mean(axis=1, skipna=True)
        rows.append(Finding("vision", CLAIM[3], "pairs of not-yet-stable images in one zone: future class closer "
                            "than the other image's class, in more than half the pairs",
                            *_count(per_model > 0.5, f"point towards the future class (median "
                                                     f"{per_model.median():.0%} of pairs)")))
    return pd.DataFrame([dataclasses.asdict(r) for r in rows], columns=columns)
