import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from rnnpop import plots

rng = np.random.default_rng(0)


def _labels(n_per=3):
    cells = ["vanilla", "gru", "vanilla", "gru"]
    activations = ["tanh", "tanh", "relu", "relu"]
    return pd.DataFrame({"cell": np.repeat(cells, n_per), "activation": np.repeat(activations, n_per)})


def test_trajectories_one_3d_panel_per_cell_with_fixed_points():
    states = {"vanilla": rng.normal(size=(5, 20, 6)), "gru": rng.normal(size=(5, 20, 6))}
    fig = plots.trajectories(states, n_trials=4, fixed_points={"gru": rng.normal(size=(3, 6))},
                             stable={"gru": np.array([True, False, True])})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert all(ax.name == "3d" for ax in fig.axes)
    assert len(fig.axes[0].lines) == 4 and len(fig.axes[1].lines) == 4
    assert len(fig.axes[1].collections) == 2  # stable and unstable markers
    assert [ax.get_title() for ax in fig.axes] == ["vanilla", "gru"]


def test_pca_finds_the_plane_of_planar_data():
    basis = np.linalg.qr(rng.normal(size=(10, 2)))[0]
    data = rng.normal(size=(200, 2)) * [3.0, 1.0] @ basis.T + 5.0
    mean, comps = plots.pca(data)
    np.testing.assert_allclose(mean, data.mean(0))
    np.testing.assert_allclose(np.abs(comps[:2] @ basis).max(axis=1), 1.0, atol=1e-2)


def test_distance_matrix_sorted_into_cell_activation_blocks():
    labels = _labels().sample(frac=1.0, random_state=0).reset_index(drop=True)
    key = (labels.cell + labels.activation).to_numpy()
    D = (key[:, None] != key[None, :]).astype(float)
    fig = plots.distance_matrix(D, labels, metric="svcca")
    image = fig.axes[0].images[0].get_array()
    # after sorting, the matrix is block diagonal: four blocks of zeros
    assert np.allclose(image, np.kron(1 - np.eye(4), np.ones((3, 3))))
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["vanilla-relu", "vanilla-tanh", "gru-relu", "gru-tanh"]


def test_population_maps_two_views_coloured_consistently():
    labels = _labels()
    fig = plots.population_maps(rng.normal(size=(12, 2)), labels, metric="cka")
    left, right = fig.axes[:2]
    assert {t.get_text() for t in left.get_legend().get_texts()} == {"vanilla", "gru"}
    assert {t.get_text() for t in right.get_legend().get_texts()} == {"tanh", "relu"}
    vanilla = [c for c in left.collections if c.get_label() == "vanilla"][0]
    assert len(vanilla.get_offsets()) == 3
    assert np.allclose(vanilla.get_facecolor()[0][:3], plt_rgb(plots.CELL_COLOURS["vanilla"]))


def plt_rgb(hex_colour):
    from matplotlib.colors import to_rgb

    return to_rgb(hex_colour)


def test_mds_map_hollow_markers_for_untrained():
    fig = plots.mds_map(rng.normal(size=(4, 2)), np.array(["tanh"] * 4), hollow=np.array([0, 0, 1, 1], bool), title="t")
    labels = [c.get_label() for c in fig.axes[0].collections]
    assert labels == ["tanh", "tanh (untrained)"]
    assert fig.axes[0].collections[1].get_facecolor().size == 0  # open markers


def test_fixed_point_graph_draws_one_line_per_transition():
    graph = np.array([[1.0, 0, 0], [0.5, 0, 0.5], [0, 0, 1.0]])
    fig = plots.fixed_point_graph(rng.normal(size=(3, 10, 5)), rng.normal(size=(3, 5)), np.array([1, 0, 1], bool), graph)
    ax = fig.axes[0]
    assert len(ax.lines) == 3 + 2  # three trajectories, two off-diagonal transitions
    widths = sorted(line.get_linewidth() for line in ax.lines[3:])
    assert widths == pytest.approx([0.4 + 2.5 * 0.5] * 2)
    cycles = [rng.normal(size=(2, 5)), rng.normal(size=(4, 5))]
    ax = plots.fixed_point_graph(rng.normal(size=(3, 10, 5)), rng.normal(size=(3, 5)), np.array([1, 0, 1], bool),
                                 graph, cycles=cycles).axes[0]
    loops = ax.lines[5:]  # a closed dotted loop per cycle, through its points in order
    assert [len(line.get_data_3d()[0]) for line in loops] == [3, 5] and {line.get_linestyle() for line in loops} == {":"}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["stable (2)", "unstable (1)", "stable cycles (2)"]


def test_frequency_response_panel_per_activation_with_identity():
    frame = pd.DataFrame({"cell": ["gru"] * 4 + ["lstm"] * 4, "activation": ["tanh"] * 8,
                          "input_frequency": [0.1, 0.2] * 4, "linear_frequency": [0.1, 0.2] * 4})
    fig = plots.frequency_response(frame)
    ax = fig.axes[0]
    assert {line.get_label() for line in ax.lines} == {"gru", "lstm", "identity"}
    assert "rad / step" in ax.get_xlabel() and "rad / step" in ax.get_ylabel()


def test_eigenvalue_spectra_counts_values_near_one_in_title():
    values = np.array([[1.01 + 0j, 0.5, 0.2], [0.99, 0.97, 0.1]])
    fig = plots.eigenvalue_spectra({"gru": values})
    assert fig.axes[0].get_title().startswith("gru: 1.5 within 0.05 of 1")


def test_mode_zeroing_normalises_by_the_full_linearisation():
    curves = np.array([[0.0, 0.5, 1.0, 2.0], [0.0, 1.0, 2.0, 4.0]])
    fig = plots.mode_zeroing({"lstm": curves})
    line = fig.axes[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), [0.0, 0.25, 0.5, 1.0])


def test_loss_histograms_one_panel_per_configuration_counting_diverged():
    table = pd.DataFrame({"cell": ["gru"] * 3 + ["vanilla"] * 3, "activation": ["tanh"] * 6,
                          "validation_loss": [0.1, 0.2, np.nan, 0.3, 0.01, 0.02],
                          "status": ["ok", "ok", "diverged", "ok", "ok", "ok"]})
    fig = plots.loss_histograms(table)
    assert [ax.get_title() for ax in fig.axes] == ["vanilla-tanh\n3 ok, 0 diverged", "gru-tanh\n2 ok, 1 diverged"]
    assert sum(p.get_height() for p in fig.axes[0].patches) == 3


def test_topology_maps_without_modal_embedding():
    fig = plots.topology_maps(rng.normal(size=(5, 2)), np.array(["gru"] * 5), None, None, modal_count=3)
    assert len(fig.axes) == 1 and len(fig.axes[0].collections) == 1


def _vision_summary():
    from rnnpop.vision import summarise

    frames = []
    for k, (variant, interaction) in enumerate([("B", "additive"), ("BLT", "additive"), ("BLT", "multiplicative")]):
        r = np.random.default_rng(k)
        labels = r.integers(0, 4, size=40)
        predictions = np.where(r.random((2, 40, 5)) < 0.6, labels[None, :, None], r.integers(0, 4, (2, 40, 5)))
        frame = summarise(labels, predictions, r.random((2, 40, 5, 8)), r.normal(size=(2, 4, 8)))
        frame.insert(0, "interaction", interaction)
        frame.insert(0, "variant", variant)
        frame.insert(0, "model", f"{variant}-{interaction}-s0")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_vision_accuracy_figure_draws_each_models_curve():
    table = _vision_summary()
    fig = plots.accuracy_over_time(table)
    trained, untrained = fig.axes[:2]
    assert len(trained.lines) == len(untrained.lines) == 3
    expected = table[(table.model == "BLT-additive-s0") & (table.quantity == "accuracy")
                     & (table.state == "trained")].sort_values("step").value
    line = next(l for l in trained.lines if l.get_label() == "BLT addi.")
    np.testing.assert_allclose(line.get_ydata(), expected)


def test_vision_evolution_geometry_dendrogram_and_training_figures():
    from rnnpop.vision import readout_linkage

    table = _vision_summary()
    fig = plots.continued_evolution(table, ["BLT-additive-s0", "BLT-multiplicative-s0"])
    assert [ax.get_title() for ax in fig.axes] == ["BLT-additive-s0", "BLT-multiplicative-s0"]
    groups = table[(table.model == "BLT-additive-s0") & (table.quantity == "evolution")].t_stable.nunique()
    assert len(fig.axes[0].lines) == 3 * groups  # per t_stable group: trained, untrained, where it settles
    first_empty = table[~((table.model == "BLT-additive-s0") & (table.quantity == "evolution"))]
    fig = plots.continued_evolution(first_empty, ["BLT-additive-s0", "BLT-multiplicative-s0"])
    assert fig.axes[0].get_legend() is None and fig.axes[1].get_legend() is not None  # the legend where lines are
    with pytest.raises(plots.NothingToDraw, match="no held-out image settled"):
        plots.continued_evolution(table[table.quantity != "evolution"], ["BLT-additive-s0"])
    assert len(plots.readout_geometry(table).axes) == 3
    assert len(plots.stability_profile(table).axes[0].lines) == 3
    W = rng.normal(size=(5, 8))
    fig = plots.readout_dendrogram(W, list("abcde"), readout_linkage(W))
    assert sorted(t.get_text() for t in fig.axes[0].get_xticklabels()) == list("abcde")
    history = pd.DataFrame({"epoch": [0, 1], "loss": [3.0, 2.0]})
    assert len(plots.training_curves({"B-additive-s0": history}).axes[0].lines) == 1
