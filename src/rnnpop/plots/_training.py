"""Training quality: final losses per configuration (Appendix C)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._style import NothingToDraw, colour, figure, sort_key


def loss_histograms(table: pd.DataFrame) -> Figure:
    """Histograms of the validation loss of every network (columns ``cell``,
    ``activation``, ``validation_loss``, ``status``), one row of bars per configuration,
    on a log axis; diverged networks are counted in the legend, not drawn."""
    configs = sorted(table.groupby(["cell", "activation"]), key=lambda kv: sort_key(*kv[0]))
    fig, axes = figure(max(len(configs), 1), width=2.6, height=2.6)
    finite = table.validation_loss[np.isfinite(table.validation_loss) & (table.validation_loss > 0)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (1e-4, 1.0)
    bins = np.geomspace(lo * 0.9, hi * 1.1, 20)
    for ax, ((cell, activation), rows) in zip(axes, configs):
        ok = rows[(rows.status == "ok") & np.isfinite(rows.validation_loss)]
        ax.hist(ok.validation_loss, bins=bins, color=colour(cell), alpha=0.85)
        ax.set_xscale("log")
        _sparse_log_ticks(ax.xaxis, max_ratio=10)
        ax.set_xlabel("validation loss (MSE)"), ax.set_ylabel("networks")
        ax.set_title(f"{cell}-{activation}\n{len(ok)} ok, {len(rows) - len(ok)} diverged", fontsize=9)
    return fig


def loss_curves(curves: dict[tuple[str, str], np.ndarray], *, log_every: int) -> Figure:
    """Training loss over iterations, one panel per configuration ``(cell, activation)``:
    ``curves[config] (networks, log_steps)`` (the seed networks), each a thin line, their
    median thick, on a log axis; step k covers iterations ``[k, k+1)·log_every``."""
    configs = sorted(curves, key=lambda c: sort_key(*c))
    if not configs or all(curves[c].shape[1] < 2 for c in configs):
        raise NothingToDraw("fewer than two logged points per network: no curve to draw")
    fig, axes = figure(len(configs), width=2.6, height=2.6)
    for ax, config in zip(axes, configs):
        data = np.asarray(curves[config], float)
        iterations = (np.arange(data.shape[1]) + 1) * log_every
        for row in data:
            ax.plot(iterations, row, color=colour(config[0]), lw=0.6, alpha=0.4)
        finite = np.where(np.isfinite(data), data, np.nan)
        if np.isfinite(finite).any():
            ax.plot(iterations, np.nanmedian(finite, axis=0), color=colour(config[0]), lw=2.0,
                    label=f"median of {len(data)}")
            ax.legend(fontsize=8, frameon=False)
        ax.set_yscale("log")
        _sparse_log_ticks(ax.yaxis, max_ratio=100)
        ax.set_xlabel("iteration"), ax.set_ylabel("training loss (MSE)")
        ax.set_title("-".join(config), fontsize=9)
    return fig


def _sparse_log_ticks(axis, max_ratio: float) -> None:
    """Readable labels on a log axis. Over a short range matplotlib labels a changing subset
    of the minor ticks in scientific notation, and the labels crowd or run into each other:
    where the range spans less than ``max_ratio``, label 1, 2 and 5 × 10ᵏ (every digit where
    none of those is in range) as plain numbers; elsewhere the powers of ten only. Call after
    plotting."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax = axis.axes
    lo, hi = sorted(ax.get_xlim() if axis is ax.xaxis else ax.get_ylim())  # the limits after autoscaling
    axis.set_minor_formatter(NullFormatter())
    if not (lo > 0 and hi / lo < max_ratio):
        return
    decades = range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
    subs = (1.0, 2.0, 5.0)
    if not any(lo <= s * 10.0**k <= hi for k in decades for s in subs):
        subs = tuple(float(s) for s in range(1, 10))
    axis.set_major_locator(LogLocator(base=10.0, subs=subs, numticks=100))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
