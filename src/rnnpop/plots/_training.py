"""Training quality: final losses per configuration (Appendix C)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._style import colour, figure, sort_key


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
        ax.hist(ok.validation_loss, bins=bins, color=colour(cell), alpha=0.85,
                label=f"{len(ok)} ok, {len(rows) - len(ok)} diverged")
        ax.set_xscale("log")
        ax.set_xlabel("validation loss (MSE)"), ax.set_ylabel("networks")
        ax.set_title(f"{cell}-{activation}", fontsize=9), ax.legend(fontsize=6, frameon=False)
    return fig
