"""Representational geometry: trajectories in PCA space, distance matrices, MDS maps."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._style import STABILITY_COLOURS, NothingToDraw, colour, figure, label_colours, note, pc_axes, sort_key


def pca(states: np.ndarray, n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``(mean (units,), components (n, units))`` of ``states (..., units)``."""
    flat = states.reshape(-1, states.shape[-1]).astype(np.float64)
    mean = flat.mean(axis=0)
    _, _, vt = np.linalg.svd(flat - mean, full_matrices=False)
    components = np.zeros((n, flat.shape[1]))
    components[: min(n, len(vt))] = vt[:n]
    return mean, components


def trajectories(states: Mapping[str, np.ndarray], *, trial_values: np.ndarray | None = None,
                 value_label: str = "", fixed_points: Mapping[str, np.ndarray] | None = None,
                 stable: Mapping[str, np.ndarray] | None = None, n_trials: int = 12,
                 title: str = "") -> Figure:
    """One 3-D panel per key (e.g. cell type): ``states[key] (trials, time, units)`` in
    its top-3 principal components, trials coloured by ``trial_values (trials,)`` when
    given (e.g. the cued frequency), with ``fixed_points[key] (M, units)`` projected
    into the same space (filled = stable, hollow = unstable)."""
    fig, axes = figure(len(states), width=3.6, height=3.6, projection="3d")
    lo, hi = (float(np.min(trial_values)), float(np.max(trial_values))) if trial_values is not None else (0, 1)
    for ax, (key, data) in zip(axes, states.items()):
        mean, comps = pca(data)
        shown = np.linspace(0, len(data) - 1, min(n_trials, len(data))).astype(int)
        for trial in shown:
            xyz = (data[trial] - mean) @ comps.T
            if trial_values is not None:
                shade = (trial_values[trial] - lo) / (hi - lo + 1e-12)
                line_colour = _viridis(shade)
            else:
                line_colour = colour(key)
            ax.plot(*xyz.T, color=line_colour, lw=0.7, alpha=0.8)
        if fixed_points is not None and key in fixed_points and len(fixed_points[key]):
            xyz = (fixed_points[key] - mean) @ comps.T
            is_stable = np.ones(len(xyz), bool) if stable is None else np.asarray(stable[key], bool)
            for flag in (True, False):
                sel = is_stable == flag
                ax.scatter(*xyz[sel].T, s=28, marker="o", depthshade=False,
                           facecolors=STABILITY_COLOURS[True] if flag else "none",
                           edgecolors=STABILITY_COLOURS[flag], label="stable" if flag else "unstable")
            ax.legend(loc="upper left", fontsize=8, frameon=False)
        ax.set_title(key, color=colour(key))
        pc_axes(ax)
    if trial_values is not None:
        from matplotlib import colormaps
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        fig.colorbar(ScalarMappable(Normalize(lo, hi), colormaps["viridis"]), ax=axes, shrink=0.6,
                     label=value_label or "trial value")
    if title:
        fig.suptitle(title)
    return fig


def _viridis(x: float):
    from matplotlib import colormaps

    return colormaps["viridis"](float(np.clip(x, 0.0, 1.0)))


def sorted_order(labels: pd.DataFrame) -> np.ndarray:
    """Row order by cell, then activation, trained before untrained, then network."""
    keys = [(*sort_key(r.cell, r.activation), not getattr(r, "trained", True), i)
            for i, r in enumerate(labels.itertuples())]
    return np.array([k[-1] for k in sorted(keys)], dtype=int)


def distance_matrix(D: np.ndarray, labels: pd.DataFrame, *, metric: str) -> Figure:
    """``D (N, N)`` sorted by cell/activation (columns ``cell``, ``activation``, optional
    ``trained``), with the blocks marked."""
    if len(D) < 2:
        raise NothingToDraw(f"{len(D)} network(s): no pairs to compare")
    order = sorted_order(labels)
    D, labels = D[np.ix_(order, order)], labels.iloc[order].reset_index(drop=True)
    fig, (ax,) = figure(1, width=5.6, height=5.0)
    image = ax.imshow(D, cmap="magma_r", interpolation="nearest")
    fig.colorbar(image, ax=ax, label=f"{metric} distance")
    block = [f"{r.cell}-{r.activation}" + ("" if getattr(r, "trained", True) else " (untrained)")
             for r in labels.itertuples()]
    starts = [i for i in range(len(block)) if i == 0 or block[i] != block[i - 1]]
    ends = starts[1:] + [len(block)]
    for s in starts[1:]:
        ax.axhline(s - 0.5, color="white", lw=0.8), ax.axvline(s - 0.5, color="white", lw=0.8)
    centres = [(s + e - 1) / 2 for s, e in zip(starts, ends)]
    ax.set_yticks(centres, [block[s] for s in starts], fontsize=8)
    ax.set_xticks(centres, [block[s] for s in starts], fontsize=8, rotation=90)
    ax.set_title(f"{metric} distance between networks")
    return fig


def mds_map(embedding: np.ndarray, groups: np.ndarray, *, title: str, ax=None,
            hollow: np.ndarray | None = None) -> Figure:
    """``embedding (N, 2)`` coloured by ``groups (N,)`` (cell or activation names);
    ``hollow (N,)`` marks e.g. untrained networks with open markers."""
    groups = np.asarray(groups)
    if not len(groups):
        raise NothingToDraw("no analysed networks")
    fig = ax.figure if ax is not None else None
    if ax is None:
        fig, (ax,) = figure(1)
    hollow = np.zeros(len(groups), bool) if hollow is None else np.asarray(hollow, bool)
    colours = label_colours(groups)
    for name, shade in colours.items():
        for open_marker in (False, True):
            sel = (groups == name) & (hollow == open_marker)
            if sel.any():
                ax.scatter(*embedding[sel, :2].T, s=30, facecolors="none" if open_marker else shade,
                           edgecolors=shade, label=f"{name}{' (untrained)' if open_marker else ''}")
    ax.set_xlabel("MDS 1 (distance units)"), ax.set_ylabel("MDS 2 (distance units)")
    ax.set_title(title), ax.legend(fontsize=8, frameon=False)
    return fig


def population_maps(embedding: np.ndarray, labels: pd.DataFrame, *, metric: str) -> Figure:
    """The paper's two views of one MDS map (Figs. 1c, 2c, 3c): tanh networks coloured by
    cell, vanilla networks coloured by activation. ``labels`` has ``cell``/``activation``."""
    views = [((labels.activation == "tanh").to_numpy(), "cell", "tanh networks by cell"),
             ((labels.cell == "vanilla").to_numpy(), "activation", "vanilla networks by activation")]
    kinds = [len(set(labels[by].to_numpy()[sel])) for sel, by, _ in views]
    drawn = [v for v, k in zip(views, kinds) if k >= 2]
    left_out = [f"{what} ({k} {by} among the analysed networks)" for (_, by, what), k in zip(views, kinds) if k < 2]
    if not len(labels):
        raise NothingToDraw("no analysed networks")
    if not drawn:
        raise NothingToDraw("neither of the paper's views has two groups to compare: " + "; ".join(left_out))
    fig, axes = figure(len(drawn))
    for ax, (sel, by, what) in zip(axes, drawn):
        mds_map(embedding[sel], labels[by].to_numpy()[sel], title=what, ax=ax)
    fig.suptitle(f"{metric} MDS")
    if left_out:
        note(fig, "not drawn: " + "; ".join(left_out))
    return fig
