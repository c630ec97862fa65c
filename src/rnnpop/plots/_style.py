"""One palette and one figure factory, so every figure labels and colours alike."""

from __future__ import annotations

from matplotlib.figure import Figure

CELL_COLOURS = {"vanilla": "#4477AA", "ugrnn": "#EE6677", "gru": "#228833", "lstm": "#CCBB44",
                "gru_torch": "#994F00"}
ACTIVATION_COLOURS = {"tanh": "#AA3377", "relu": "#66CCEE"}
STABILITY_COLOURS = {True: "#222222", False: "#EE7733"}
CELL_ORDER = tuple(CELL_COLOURS)
ACTIVATION_ORDER = ("relu", "tanh")


LABEL_COLOURS = ("#0077BB", "#EE7733", "#009988", "#CC3311", "#33BBEE", "#EE3377", "#BBBBBB", "#000000")
"""Paul Tol's vibrant scheme: the colours of a user's own group labels, in order."""


def colour(key: str) -> str:
    """The colour of a cell type or an activation (grey for anything else)."""
    return CELL_COLOURS.get(key) or ACTIVATION_COLOURS.get(key) or "#777777"


def label_colours(names) -> dict[str, str]:
    """A colour per distinct name: a cell's or an activation's own, else the next of
    :data:`LABEL_COLOURS` (cycling past eight labels)."""
    out, k = {}, 0
    for name in dict.fromkeys(names):
        if name in CELL_COLOURS or name in ACTIVATION_COLOURS:
            out[name] = colour(name)
        else:
            out[name], k = LABEL_COLOURS[k % len(LABEL_COLOURS)], k + 1
    return out


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
    """Lines under the panels saying what was left out and why (wrapped to the figure's width)."""
    import textwrap

    characters = max(20, int(fig.get_figwidth() * 72 / 8 * 1.6))  # 8-pt text: about 1.6 characters per point-em
    fig.supxlabel("\n".join(textwrap.wrap(text, characters)), fontsize=8, color="#555555")


def pc_axes(ax) -> None:
    """Label a 3-D axes as principal components, without tick labels (PC units are
    arbitrary; their numbers would crowd the axis names)."""
    ax.set_xlabel("PC 1", labelpad=-8), ax.set_ylabel("PC 2", labelpad=-8), ax.set_zlabel("PC 3", labelpad=-8)
    ax.set_xticklabels([]), ax.set_yticklabels([]), ax.set_zticklabels([])
    ax.set_box_aspect(None, zoom=0.85)


def sort_key(cell: str, activation: str) -> tuple[int, int]:
    return (CELL_ORDER.index(cell) if cell in CELL_ORDER else len(CELL_ORDER),
            ACTIVATION_ORDER.index(activation) if activation in ACTIVATION_ORDER else len(ACTIVATION_ORDER))
