"""Dynamics: fixed points with their transitions, frequencies, spectra near 1, mode zeroing."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._geometry import pca
from ._style import STABILITY_COLOURS, NothingToDraw, colour, figure, note, pc_axes, sort_key


def fixed_point_graph(states: np.ndarray, points: np.ndarray, stable: np.ndarray,
                      graph: np.ndarray | None = None, *, cycles=(), title: str = "") -> Figure:
    """Fixed points ``points (M, units)`` of one network in the top-3 PCs of its
    trajectories ``states (trials, time, units)``; stable filled, unstable hollow; the
    transition graph ``graph (M, M)`` drawn as lines whose width is the probability; the
    points of stable ``cycles`` (each ``(period, units)``, in the order visited) as
    filled diamonds joined by a dotted loop."""
    fig, (ax,) = figure(1, width=4.6, height=4.2, projection="3d")
    mean, comps = pca(states)
    for trial in states[: min(8, len(states))]:
        ax.plot(*((trial - mean) @ comps.T).T, color="#BBBBBB", lw=0.5)
    xyz = (np.asarray(points) - mean) @ comps.T
    stable = np.asarray(stable, bool)
    if graph is not None:
        for i, j in zip(*np.nonzero(graph)):
            if i != j:
                ax.plot(*xyz[[i, j]].T, color="#0077BB", lw=0.4 + 2.5 * graph[i, j], alpha=0.7)
    for flag in (True, False):
        sel = stable == flag
        ax.scatter(*xyz[sel].T, s=40, depthshade=False, facecolors=STABILITY_COLOURS[True] if flag else "none",
                   edgecolors=STABILITY_COLOURS[flag], label=f"{'stable' if flag else 'unstable'} ({sel.sum()})")
    for i, cycle in enumerate(cycles):
        loop = (np.concatenate([cycle, cycle[:1]]) - mean) @ comps.T
        ax.plot(*loop.T, color=STABILITY_COLOURS[True], lw=0.8, ls=":")
        ax.scatter(*loop[:-1].T, s=36, marker="D", depthshade=False, color=STABILITY_COLOURS[True],
                   label=f"stable cycles ({len(cycles)})" if i == 0 else None)
    pc_axes(ax)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.set_title(title or "fixed points and transitions\n(line width = probability)", fontsize=10)
    return fig


def frequency_response(frame: pd.DataFrame) -> Figure:
    """Linearised vs. input frequency (Fig. 2d, 2f). ``frame`` columns: ``cell``,
    ``activation``, ``input_frequency``, ``linear_frequency`` (radians per step)."""
    if frame.input_frequency.nunique() < 2:
        raise NothingToDraw(f"{frame.input_frequency.nunique()} input frequency: no response curve to draw")
    fig, axes = figure(frame.activation.nunique())
    top = max(float(frame.input_frequency.max()), float(frame.linear_frequency.max()), 1e-3) * 1.05
    for ax, (activation, rows) in zip(axes, sorted(frame.groupby("activation"), key=lambda kv: kv[0])):
        for cell, sub in sorted(rows.groupby("cell"), key=lambda kv: sort_key(kv[0], activation)):
            ax.scatter(sub.input_frequency, sub.linear_frequency, s=8, alpha=0.35, color=colour(cell))
            mean = sub.groupby("input_frequency").linear_frequency.mean()
            ax.plot(mean.index, mean.values, color=colour(cell), lw=1.5, label=cell)
        ax.plot([0, top], [0, top], "k--", lw=0.8, label="identity")
        ax.set_xlim(0, top), ax.set_ylim(0, top)
        ax.set_xlabel("input frequency (rad / step)"), ax.set_ylabel("linearised frequency (rad / step)")
        ax.set_title(f"{activation} networks"), ax.legend(fontsize=8, frameon=False)
    return fig


def eigenvalue_spectra(eigenvalues: Mapping[str, np.ndarray], *, radius: float = 0.05) -> Figure:
    """Eigenvalues of the linearisations at the line-attractor fixed points (Fig. 3e),
    one panel per key: ``eigenvalues[key] (M, n)`` complex. The disc of radius
    ``radius`` around 1 is drawn; the title counts eigenvalues in it per point."""
    eigenvalues = {k: v for k, v in eigenvalues.items() if np.asarray(v).size}
    if not eigenvalues:
        raise NothingToDraw("no fixed points of a line attractor among the analysed networks")
    fig, axes = figure(len(eigenvalues), width=3.2, height=3.2)
    theta = np.linspace(0, 2 * np.pi, 400)
    for ax, (key, values) in zip(axes, eigenvalues.items()):
        values = np.asarray(values)
        ax.plot(np.cos(theta), np.sin(theta), color="#999999", lw=0.8)
        ax.plot(1 + radius * np.cos(theta), radius * np.sin(theta), color="#CC3311", lw=0.8)
        ax.scatter(values.real.ravel(), values.imag.ravel(), s=5, alpha=0.4, color=colour(key))
        near = (np.abs(values - 1) <= radius).sum(axis=-1).mean() if values.size else 0.0
        ax.set_xlim(-1.2, 1.2), ax.set_ylim(-1.2, 1.2), ax.set_aspect("equal")
        ax.set_xlabel("Re λ"), ax.set_ylabel("Im λ")
        ax.set_title(f"{key}: {near:.1f} within {radius} of 1", color=colour(key), fontsize=9)
    return fig


def mode_zeroing(curves: Mapping[str, np.ndarray]) -> Figure:
    """Integration of a unit input pulse keeping the top-k modes (Fig. 3f):
    ``curves[key] (items, n + 1)`` (entry k = readout with k modes kept; the last is
    the full linearisation), shown normalised by the full value, mean ± s.d."""
    curves = {k: np.asarray(v, np.float64) for k, v in curves.items() if len(v)}
    if not curves:
        raise NothingToDraw("no fixed points of a line attractor among the analysed networks")
    fig, (ax,) = figure(1, width=4.6)
    for key, data in curves.items():
        full = data[:, -1:]
        normalised = data / np.where(np.abs(full) > 1e-12, full, 1.0)
        k = np.arange(data.shape[1])
        mean, sd = normalised.mean(axis=0), normalised.std(axis=0)
        ax.plot(k, mean, color=colour(key), label=key)
        ax.fill_between(k, mean - sd, mean + sd, color=colour(key), alpha=0.15)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("modes kept (largest |λ| first)"), ax.set_ylabel("integrated pulse / full linearisation")
    ax.axhline(1.0, color="k", lw=0.6, ls="--")
    ax.set_title("mode zeroing"), ax.legend(fontsize=8, frameon=False)
    return fig


def topology_maps(matched: np.ndarray, cells, paper: np.ndarray | None = None, paper_cells=None, *,
                  modal_count: int | None = None) -> Figure:
    """MDS of the topology distances coloured by cell: ``matched (N, 2)`` (every
    network) and, when given, the paper's graph distance ``paper (M, 2)`` (networks
    with the modal fixed-point count)."""
    from ._geometry import mds_map

    with_paper = paper is not None and len(paper) >= 3
    fig, axes = figure(2 if with_paper else 1)
    mds_map(matched, np.asarray(cells), ax=axes[0], title="matched-graph distance")
    if with_paper:
        mds_map(paper, np.asarray(paper_cells), ax=axes[1], title=f"paper's graph distance ({modal_count} fixed points)")
    elif paper is not None:
        note(fig, f"the paper's graph distance is not drawn: {len(paper)} network(s) with the modal "
                  f"fixed-point count ({modal_count}), fewer than 3")
    return fig
