"""One palette and one figure factory, so every figure labels and colours alike."""

from __future__ import annotations

from matplotlib.figure import Figure

CELL_COLOURS = {"vanilla": "#4477AA", "ugrnn": "#EE6677", "gru": "#228833", "lstm": "#CCBB44",
                "gru_torch": "#994F00"}
ACTIVATION_COLOURS = {"tanh": "#AA3377", "relu": "#66CCEE"}
STABILITY_COLOURS = {True: "#222222", False: "#EE7733"}
CELL_ORDER = tuple(CELL_COLOURS)
ACTIVATION_ORDER = ("relu", "tanh")


def colour(key: str) -> str:
    """The colour of a cell type or an activation (grey for anything else)."""
    return CELL_COLOURS.get(key) or ACTIVATION_COLOURS.get(key) or "#777777"


def figure(n_panels: int = 1, *, width: float = 4.0, height: float = 3.4, projection: str | None = None):
    """A Figure with ``n_panels`` side by side: ``(fig, [axes])``.

    Built with the object API (no pyplot state), so figures are independent and
    thread-safe; the caller owns the Figure.
    """
    fig = Figure(figsize=(width * n_panels, height), layout="constrained")
    axes = [fig.add_subplot(1, n_panels, k + 1, projection=projection) for k in range(n_panels)]
    return fig, axes


class NothingToDraw(ValueError):
    """The data cannot make a meaningful figure (e.g. one group where groups are compared);
    the message says why, for the reader, in place of the figure."""


def note(fig, text: str) -> None:
    """A line under the panels saying what was left out and why."""
    fig.supxlabel(text, fontsize=8, color="#555555")


def pc_axes(ax) -> None:
    """Label a 3-D axes as principal components, without tick labels (PC units are
    arbitrary; their numbers would crowd the axis names)."""
    ax.set_xlabel("PC 1", labelpad=-8), ax.set_ylabel("PC 2", labelpad=-8), ax.set_zlabel("PC 3", labelpad=-8)
    ax.set_xticklabels([]), ax.set_yticklabels([]), ax.set_zticklabels([])
    ax.set_box_aspect(None, zoom=0.85)


def sort_key(cell: str, activation: str) -> tuple[int, int]:
    return (CELL_ORDER.index(cell) if cell in CELL_ORDER else len(CELL_ORDER),
            ACTIVATION_ORDER.index(activation) if activation in ACTIVATION_ORDER else len(ACTIVATION_ORDER))
