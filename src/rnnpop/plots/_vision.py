"""Figures of a vision study, from its summary table (:func:`rnnpop.vision.summarise`
rows with ``model``, ``variant``, ``interaction``, ``seed``) and its readout weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.cluster.hierarchy import dendrogram

from ._style import NothingToDraw, figure

VARIANT_COLOURS = {"B": "#777777", "BL": "#4477AA", "BT": "#EE6677", "BLT": "#228833"}
INTERACTION_STYLES = {"additive": "-", "multiplicative": "--"}


def _label(variant: str, interaction: str) -> str:
    return variant if variant == "B" else f"{variant} {interaction[:4]}."


def _mean_curves(table: pd.DataFrame, quantity: str, state: str = "trained"):
    """``{(variant, interaction): (steps, mean over seeds)}``."""
    rows = table[(table.quantity == quantity) & (table.state == state)]
    curves = {}
    for (variant, interaction), part in rows.groupby(["variant", "interaction"], sort=False):
        mean = part.groupby("step").value.mean()
        curves[(variant, interaction)] = (mean.index.to_numpy(), mean.to_numpy())
    return curves


def accuracy_over_time(table: pd.DataFrame) -> Figure:
    """Held-out accuracy at each time step per model (mean over seeds), trained and untrained."""
    fig, (left, right) = figure(2, width=4.2)
    for ax, state in ((left, "trained"), (right, "untrained")):
        for (variant, interaction), (steps, values) in _mean_curves(table, "accuracy", state).items():
            ax.plot(steps, values, INTERACTION_STYLES.get(interaction, "-"), marker="o", ms=3,
                    color=VARIANT_COLOURS.get(variant, "k"), label=_label(variant, interaction))
        ax.set(title=f"{state}", xlabel="time step", ylabel="accuracy")
    left.legend(fontsize=8)
    return fig


def stability_profile(table: pd.DataFrame) -> Figure:
    """Fraction of held-out images whose prediction settles correctly at each step (t_stable)."""
    fig, (ax,) = figure(1, width=5.0)
    rows = table[table.quantity == "t_stable"]
    for (variant, interaction), part in rows.groupby(["variant", "interaction"], sort=False):
        mean = part.groupby("t_stable").value.mean()
        ax.plot(mean.index, mean.values, INTERACTION_STYLES.get(interaction, "-"), marker="o", ms=3,
                color=VARIANT_COLOURS.get(variant, "k"), label=_label(variant, interaction))
    ax.set(xlabel="t_stable (first step of the final, correct prediction)", ylabel="fraction of images")
    ax.legend(fontsize=8)
    return fig


def continued_evolution(table: pd.DataFrame, models: list[str]) -> Figure:
    """Step sizes ‖h_{t+1} − h_t‖ of stable-correct images by t_stable group (colour), for
    each of ``models`` (one panel each): trained (solid) and the same network untrained
    (dashed, same images). The grey line marks where each group settles."""
    fig, axes = figure(len(models), width=3.6)
    rows = table[table.quantity == "evolution"]
    for ax, model in zip(axes, models):
        part = rows[rows.model == model]
        groups = sorted(part.t_stable.unique())
        colours = [f"C{k % 10}" for k in range(len(groups))]
        for t, c in zip(groups, colours):
            for state, style in (("trained", "-"), ("untrained", "--")):
                curve = part[(part.t_stable == t) & (part.state == state)].sort_values("step")
                ax.plot(curve.step + 0.5, curve.value, style, color=c, lw=1.2,
                        label=f"t_stable {t}" if state == "trained" else None)
            ax.axvline(t, color=c, lw=0.5, alpha=0.4)
        ax.set(title=model, xlabel="time step t → t+1", ylabel="‖h_t+1 − h_t‖")
    labelled = [ax for ax in axes if ax.get_legend_handles_labels()[0]]
    if not labelled:
        raise NothingToDraw("no held-out image settled on its correct class in the networks shown")
    labelled[0].legend(fontsize=8, ncol=2)
    return fig


def readout_geometry(table: pd.DataFrame) -> Figure:
    """Three panels over the recurrent networks (mean over networks, per step): norms of
    images already stable vs. stable later; their cosine with the winning readout vector;
    over pairs of not-yet-stable images in one zone, the cosine with the future class vs.
    the other image's class (the authors' definition)."""
    fig, axes = figure(3, width=3.6)
    recurrent = table[table.variant != "B"]
    for ax, (a, b, title, ylabel) in zip(axes, (
            ("norm_already", "norm_later", "norm", "‖h_t‖"),
            ("cosine_already", "cosine_later", "position in the readout zone", "cos(h_t, w_winning)"),
            ("future_true", "future_others", "towards the future class (pairs)", "cos(h_t, w_c)"))):
        for quantity, colour, label in ((a, "#222222", a.split("_")[1]), (b, "#EE7733", b.split("_")[1])):
            rows = recurrent[(recurrent.quantity == quantity) & (recurrent.state == "trained")]
            mean = rows.groupby("step").value.mean()
            ax.plot(mean.index, mean.values, marker="o", ms=3, color=colour, label=label)
        ax.set(title=title, xlabel="time step", ylabel=ylabel)
        ax.legend(fontsize=8)
    return fig


def per_network(table: pd.DataFrame, quantities: dict[str, str], ylabel: str) -> Figure:
    """One small panel per recurrent network: each of ``quantities`` ({label: quantity})
    over the time steps, so a claim can be read network by network, not only on average."""
    recurrent = [m for m in dict.fromkeys(table.model) if not m.startswith("B-")]
    columns = min(4, max(1, len(recurrent)))
    rows = -(-len(recurrent) // columns) if recurrent else 1
    fig = Figure(figsize=(3.0 * columns, 2.4 * rows), layout="constrained")
    colours = ("#222222", "#EE7733", "#AA3377")
    for k, model in enumerate(recurrent):
        ax = fig.add_subplot(rows, columns, k + 1)
        part = table[(table.model == model) & (table.state == "trained")]
        for (label, quantity), colour in zip(quantities.items(), colours):
            curve = part[part.quantity == quantity].sort_values("step")
            ax.plot(curve.step, curve.value, marker="o", ms=2.5, color=colour, label=label)
        ax.set_title(model, fontsize=8)
        ax.set_xlabel("time step", fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=8)
        if k == 0:
            ax.legend(fontsize=8)
    return fig


def readout_dendrogram(W: np.ndarray, categories, linkage: np.ndarray) -> Figure:
    """Ward dendrogram of the readout vectors ``W (C, D)`` (``linkage`` from
    :func:`rnnpop.vision.readout_linkage`), leaves labelled with ``categories``."""
    fig, (ax,) = figure(1, width=max(4.0, 0.25 * len(W)), height=3.2)
    dendrogram(linkage, labels=list(categories), ax=ax, color_threshold=0, above_threshold_color="#4477AA",
               leaf_rotation=90, leaf_font_size=7)
    ax.set(ylabel="Ward distance on (1 − cos)/2")
    return fig


def training_curves(histories: dict[str, pd.DataFrame]) -> Figure:
    """Per epoch, one line per network: the mean training loss (summed over time steps)
    and, where recorded, the validation loss and the validation accuracy at the last step."""
    validated = all("val_loss" in h for h in histories.values()) and histories
    fig, axes = figure(3 if validated else 1, width=4.2 if validated else 5.0)
    for model, history in histories.items():
        variant, interaction = model.split("-")[:2]
        style = dict(color=VARIANT_COLOURS.get(variant, "k"), label=model)
        line = INTERACTION_STYLES.get(interaction, "-")
        axes[0].plot(history.epoch + 1, history.loss, line, **style)
        if validated:
            last = sorted(c for c in history if c.startswith("val_accuracy_"))[-1]
            axes[1].plot(history.epoch + 1, history.val_loss, line, **style)
            axes[2].plot(history.epoch + 1, history[last], line, **style)
    axes[0].set(xlabel="epoch", ylabel="training loss (NLL summed over steps)")
    if validated:
        axes[1].set(xlabel="epoch", ylabel="validation loss")
        axes[2].set(xlabel="epoch", ylabel="validation accuracy, last step")
    axes[0].legend(fontsize=8)
    return fig
