"""The paper's claims, measured on a stored population (the report's findings table).

The functions on arrays are the definitions; :func:`study_findings` applies them to the
analyses stored in a run (similarity, dynamics, topology) and returns one row per claim.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from sklearn.metrics import silhouette_score

from ..store import RunStore
from ._stage import stored_similarity
from ._topology_stage import load_topology


@dataclasses.dataclass(frozen=True)
class Finding:
    """One claim of the paper and what this run measured."""

    task: str
    claim: str
    paper: str
    measured: str
    agrees: bool | None  # None: not measurable on this population


def silhouette(D: np.ndarray, labels) -> float:
    """Mean silhouette of ``labels (N,)`` on the precomputed distances ``D (N, N)``:
    1 for tight, well separated clusters, about 0 for none; NaN when there are fewer
    than two labels or no label with two members."""
    labels = np.asarray(labels)
    n_labels = len(set(labels.tolist()))
    if n_labels < 2 or n_labels >= len(labels):
        return float("nan")
    D = np.asarray(D, np.float64)
    D = np.maximum((D + D.T) / 2, 0.0)
    np.fill_diagonal(D, 0.0)
    return float(silhouette_score(D, labels, metric="precomputed"))


def modal_fraction(counts) -> tuple[int, float]:
    """``(modal value, fraction of items with it)`` of ``counts (N,)``."""
    counts = np.asarray(counts)
    if counts.size == 0:
        return 0, float("nan")
    values, n = np.unique(counts, return_counts=True)
    return int(values[np.argmax(n)]), float(n.max() / counts.size)


def linear_fit(x, y) -> tuple[float, float, float]:
    """Least-squares ``y ≈ slope · x + intercept``: ``(slope, intercept, R²)``."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 2 or np.ptp(x) == 0:
        return float("nan"), float("nan"), float("nan")
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = np.sum((y - y.mean()) ** 2)
    r2 = 1.0 - np.sum(residual**2) / total if total > 0 else float("nan")
    return float(slope), float(intercept), float(r2)


def block_mean(D: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> float:
    """Mean of ``D[rows][:, cols]`` over distinct pairs (the diagonal left out)."""
    rows, cols = np.flatnonzero(rows), np.flatnonzero(cols)
    block = np.asarray(D, np.float64)[np.ix_(rows, cols)]
    mask = rows[:, None] != cols[None, :]
    return float(block[mask].mean()) if mask.any() else float("nan")


def trained_untrained_gap(D: np.ndarray, labels: pd.DataFrame) -> tuple[float, float, str]:
    """Fig. 4: ``(trained–untrained distance within a configuration, trained–trained
    distance across configurations, what the configurations are)``.

    With vanilla networks of both activations the configurations are the activations
    of the vanilla networks (the paper's comparison); otherwise the cell types.
    ``labels`` columns: ``cell``, ``activation``, ``trained``.
    """
    trained = labels.trained.to_numpy(bool)
    vanilla = (labels.cell == "vanilla").to_numpy()
    if vanilla.any() and labels.activation[vanilla].nunique() >= 2:
        key, scope, what = labels.activation.to_numpy(), vanilla, "vanilla activations"
    else:
        key, scope, what = (labels.cell + "-" + labels.activation).to_numpy(), np.ones(len(labels), bool), "cells"
    within = [block_mean(D, scope & trained & (key == k), scope & ~trained & (key == k)) for k in np.unique(key[scope])]
    across = [block_mean(D, scope & trained & (key == a), scope & trained & (key == b))
              for a in np.unique(key[scope]) for b in np.unique(key[scope]) if a < b]
    return float(np.nanmean(within)) if within else float("nan"), \
        float(np.nanmean(across)) if across else float("nan"), what


def _fmt(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def study_findings(store: RunStore) -> pd.DataFrame:
    """One row per measured claim (columns of :class:`Finding`), from the stored analyses."""
    findings: list[Finding] = []
    for task in store.study.tasks:
        findings += _geometry_findings(store, task.name)
        findings += _topology_findings(store, task.name)
    return pd.DataFrame([dataclasses.asdict(f) for f in findings],
                        columns=[f.name for f in dataclasses.fields(Finding)])


def _geometry_findings(store: RunStore, task: str) -> list[Finding]:
    stored = stored_similarity(store, task)
    if stored is None:
        return []
    data, labels = stored
    trained = labels.trained.to_numpy(bool)
    out = []
    topology = load_topology(store, task)
    configuration = (labels.cell + "-" + labels.activation).to_numpy()
    geometry = {}
    for metric in data.attrs["metrics"]:
        D = data[metric].values[np.ix_(trained, trained)]
        scores = {name: silhouette(D, values[trained]) for name, values in
                  (("configuration", configuration), ("cell", labels.cell.to_numpy()),
                   ("activation", labels.activation.to_numpy()))}
        geometry[metric] = scores["configuration"]
        best = max((v for v in scores.values() if np.isfinite(v)), default=float("nan"))
        out.append(Finding(task, f"geometry ({metric}) clusters by architecture",
                           "clear clusters by cell and by activation (Figs. 1c, 2c, 3c)",
                           "silhouette by " + ", ".join(f"{k} {_fmt(v)}" for k, v in scores.items()),
                           None if not np.isfinite(best) else bool(best > 0.25)))
        within, across, what = trained_untrained_gap(data[metric].values, labels)
        if np.isfinite(within) and np.isfinite(across):
            out.append(Finding(task, f"trained vs. untrained ({metric})",
                               "trained–untrained distance of one configuration can be below the trained–trained "
                               "distance across configurations (Fig. 4, vanilla relu vs. tanh)",
                               f"trained–untrained {_fmt(within, 3)} vs. trained–trained across {what} "
                               f"{_fmt(across, 3)}", bool(within < across)))
    if topology is not None:
        table, distances, _ = topology
        s = silhouette(distances["matched"].values, (table.cell + "-" + table.activation).to_numpy())
        reference = max((v for v in geometry.values() if np.isfinite(v)), default=float("nan"))
        out.append(Finding(task, "topology does not cluster by architecture",
                           "fixed-point topology is shared across architectures (Figs. 1f, 2e, 3d)",
                           f"silhouette by configuration on matched-graph distances {_fmt(s)} "
                           f"(geometry: {_fmt(reference)})",
                           None if not (np.isfinite(s) and np.isfinite(reference))
                           else bool(s < 0.25 and s < reference)))
    return out


def _topology_findings(store: RunStore, task: str) -> list[Finding]:
    topology = load_topology(store, task)
    if topology is None:
        return []
    table, _, per_task = topology
    out = []
    if task == "flipflop":
        mode, fraction = modal_fraction(table.n_stable)
        out.append(Finding(task, "stable fixed points of the 3-bit flip-flop",
                           "8 stable fixed points (the cube's corners) in every architecture (Fig. 1d)",
                           f"modal count {mode} in {fraction:.0%} of {len(table)} networks; "
                           f"{int((table.n_stable == 8).sum())} networks with exactly 8", mode == 8))
        points_mode, points_fraction = modal_fraction(table.n_points)
        out.append(Finding(task, "fixed-point count (stable and unstable)",
                           "networks with a non-modal count are set aside from the graph comparison",
                           f"modal count {points_mode} in {points_fraction:.0%}; "
                           f"{int((~table.modal).sum())} set aside", None))
    elif task == "sine":
        for (cell, activation), rows in per_task.groupby(["cell", "activation"]):
            slope, _, r2 = linear_fit(rows.input_frequency, rows.linear_frequency)
            out.append(Finding(task, f"linearised frequency tracks the input ({cell}-{activation})",
                               "linear-model frequency ≈ input frequency for every architecture (Fig. 2d, 2f)",
                               f"slope {_fmt(slope)}, R² {_fmt(r2)}",
                               None if not np.isfinite(r2) else bool(r2 > 0.8 and 0.5 < slope < 1.5)))
    elif task == "context":
        for (cell, activation), rows in per_task.groupby(["cell", "activation"]):
            near = float(rows.mean_near_one.mean())
            out.append(Finding(task, f"slow modes of the line attractor ({cell}-{activation})",
                               "about one eigenvalue within 0.05 of 1 per fixed point, in every architecture "
                               "(Fig. 3e); a few modes carry the integration (Fig. 3f)",
                               f"{near:.2f} eigenvalues within 0.05 of 1 per point; "
                               f"median modes for 90% of the integral {int(rows.modes_for_90pct.median())}",
                               bool(0.5 <= near <= 3.0)))
    return out
