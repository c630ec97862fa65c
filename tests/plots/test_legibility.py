"""Every figure a report can show: no text outside its figure, no text under 8 pt, and
a colour scale wherever colour encodes a value."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from rnnpop import plots

rng = np.random.default_rng(1)
CONFIGS = [("vanilla", "tanh"), ("ugrnn", "tanh"), ("gru", "tanh"), ("lstm", "tanh"), ("vanilla", "relu")]


def labels(n_per=3, trained=(True,)):
    rows = [{"cell": c, "activation": a, "trained": t, "group": f"{c}-{a}", "network_id": k}
            for c, a in CONFIGS for t in trained for k in range(n_per)]
    return pd.DataFrame(rows)


def texts_outside(fig, tolerance: float = 1.0) -> list[str]:
    """What is drawn outside the figure, after layout: each axes (its tick labels, axis
    labels, title and legend) and each figure-level text, as the renderer lays them out."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height

    def outside(box) -> bool:
        return (box.x0 < -tolerance or box.y0 < -tolerance or box.x1 > width + tolerance
                or box.y1 > height + tolerance)

    found = [f"axes {ax.get_title() or ax.get_label()!r}" for ax in fig.axes
             if ax.get_visible() and outside(ax.get_tightbbox(renderer))]
    found += [repr(t.get_text()) for t in fig.texts if t.get_visible() and t.get_text().strip()
              and outside(t.get_window_extent(renderer))]
    return found


def small_texts(fig) -> list[str]:
    FigureCanvasAgg(fig).draw()
    return sorted({f"{t.get_text()!r} at {t.get_fontsize()} pt" for t in fig.findobj(Text)
                   if t.get_visible() and t.get_text().strip() and t.get_fontsize() < 8})


FIGURES = {
    "trajectories": lambda: plots.trajectories(
        {c: rng.normal(size=(6, 30, 8)) for c in ("vanilla", "ugrnn", "gru", "lstm")},
        trial_values=np.linspace(0.1, 0.6, 6), value_label="input frequency"),
    "trajectories with fixed points": lambda: plots.trajectories(
        {"gru": rng.normal(size=(6, 30, 8))}, fixed_points={"gru": rng.normal(size=(4, 8))},
        stable={"gru": np.array([True, False, True, False])}),
    "distance matrix": lambda: plots.distance_matrix(
        np.abs(rng.normal(size=(30, 30))), labels(trained=(True, False)), metric="svcca"),
    "population maps": lambda: plots.population_maps(rng.normal(size=(15, 2)), labels(), metric="cka"),
    "loss histograms": lambda: plots.loss_histograms(labels().assign(
        validation_loss=rng.uniform(1e-3, 1e-1, 15), status="ok")),
    "loss curves": lambda: plots.loss_curves({c: rng.uniform(1e-3, 1, size=(3, 6)) for c in CONFIGS}, log_every=100),
    "frequency response": lambda: plots.frequency_response(pd.DataFrame(
        [{"cell": c, "activation": a, "input_frequency": w, "linear_frequency": w * 1.1}
         for c, a in CONFIGS for w in np.linspace(0.1, 0.6, 6)])),
    "eigenvalue spectra": lambda: plots.eigenvalue_spectra(
        {c: rng.normal(size=(5, 16)) + 1j * rng.normal(size=(5, 16)) for c in ("vanilla", "gru", "lstm")}),
    "mode zeroing": lambda: plots.mode_zeroing({c: rng.uniform(size=(4, 17)) for c in ("vanilla", "gru")}),
    "topology maps": lambda: plots.topology_maps(rng.normal(size=(15, 2)), labels().cell, rng.normal(size=(10, 2)),
                                                 labels().cell[:10], modal_count=27),
    "population maps, one view and a note": lambda: plots.population_maps(
        rng.normal(size=(12, 2)), labels()[labels().activation == "tanh"].reset_index(drop=True), metric="svcca"),
    "mds map by user labels": lambda: plots.mds_map(rng.normal(size=(12, 2)), np.repeat(["lab-a", "lab-b", "x"], 4),
                                                    title="svcca MDS by group label"),
    "loss histograms, narrow range": lambda: plots.loss_histograms(labels().assign(
        validation_loss=rng.uniform(0.95, 1.3, 15), status="ok")),
    "loss curves, six decades": lambda: plots.loss_curves({c: np.geomspace(1.0, 1e-6, 8)[None] * rng.uniform(
        0.9, 1.1, size=(3, 8)) for c in CONFIGS[:2]}, log_every=100),
    "loss curves, narrow range": lambda: plots.loss_curves({c: rng.uniform(0.31, 0.44, size=(3, 6))
                                                            for c in CONFIGS[:2]}, log_every=100),
    "fixed point graph": lambda: plots.fixed_point_graph(rng.normal(size=(8, 30, 6)), rng.normal(size=(5, 6)),
                                                         np.array([1, 0, 1, 0, 1], bool), rng.uniform(size=(5, 5))),
    "fixed point graph with cycles": lambda: plots.fixed_point_graph(
        rng.normal(size=(8, 30, 6)), rng.normal(size=(5, 6)), np.zeros(5, bool), rng.uniform(size=(5, 5)),
        cycles=[rng.normal(size=(2, 6)) for _ in range(8)]),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_no_text_leaves_the_figure_and_none_is_too_small(name):
    fig = FIGURES[name]()
    assert texts_outside(fig) == []
    assert small_texts(fig) == []


def test_colour_by_value_has_a_colourbar():
    fig = FIGURES["trajectories"]()
    assert any(ax.get_label() == "<colorbar>" for ax in fig.axes)
    assert fig.axes[-1].get_ylabel() == "input frequency"


def test_degenerate_data_is_not_drawn_and_says_why():
    one_activation = labels()[labels().activation == "tanh"].reset_index(drop=True)
    fig = plots.population_maps(rng.normal(size=(len(one_activation), 2)), one_activation, metric="svcca")
    assert len(fig.axes) == 1  # the activation view has one activation: left out, and said
    assert "vanilla networks by activation (1 activation among the analysed networks)" in " ".join(
        fig.get_supxlabel().split())
    with pytest.raises(plots.NothingToDraw, match="1 input frequency"):
        plots.frequency_response(pd.DataFrame({"cell": ["gru"] * 3, "activation": "tanh", "input_frequency": 0.2,
                                               "linear_frequency": [0.1, 0.2, 0.3]}))
    with pytest.raises(plots.NothingToDraw, match="no pairs"):
        plots.distance_matrix(np.zeros((1, 1)), labels().iloc[:1], metric="cka")
    single = plots.topology_maps(rng.normal(size=(5, 2)), labels().cell[:5], rng.normal(size=(1, 2)),
                                 labels().cell[:1], modal_count=27)
    assert len(single.axes) == 1 and "fewer than 3" in single.get_supxlabel()


@pytest.mark.parametrize("name", ["loss histograms", "loss histograms, narrow range", "loss curves",
                                  "loss curves, six decades", "loss curves, narrow range"])
def test_tick_labels_do_not_run_into_each_other(name):
    fig = FIGURES[name]()
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes:
        for axis, (lo, hi) in ((ax.xaxis, sorted(ax.get_xlim())), (ax.yaxis, sorted(ax.get_ylim()))):
            boxes = [t.get_window_extent(renderer) for t, tick in zip(axis.get_ticklabels(which="both"),
                                                                       axis.get_ticklocs(minor=False).tolist()
                                                                       + axis.get_ticklocs(minor=True).tolist())
                     if t.get_visible() and t.get_text().strip() and lo <= tick <= hi]
            assert not any(a.overlaps(b) for k, a in enumerate(boxes) for b in boxes[k + 1:]), ax.get_title()


def test_user_labels_get_distinct_colours():
    from rnnpop.plots._style import label_colours

    colours = label_colours(["lab-a", "lab-b", "gru", "lab-c"])
    assert colours["gru"] == plots._style.CELL_COLOURS["gru"]
    assert len({colours[k] for k in ("lab-a", "lab-b", "lab-c")}) == 3 and "#777777" not in colours.values()
