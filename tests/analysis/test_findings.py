"""Each finding's verdict on constructed data where the answer is known."""

import numpy as np
import pandas as pd
import xarray as xr

from rnnpop.analysis._stage import TaskSimilarity
from rnnpop.analysis._topology_stage import TaskTopology
from rnnpop.analysis._findings import (context_findings, dsa_findings, flipflop_findings, geometry_findings,
                                       sine_findings, topology_findings, untrained_findings)


def population(configurations, per_config, *, trained=(True,)):
    rows = [{"group": f"{cell}-{act}", "network_id": k, "cell": cell, "activation": act, "trained": t}
            for t in trained for cell, act in configurations for k in range(per_config)]
    return pd.DataFrame(rows)


def distances(labels: pd.DataFrame, key, spread, seed=0):
    """Distances between points drawn around one centre per value of ``key(labels)``."""
    rng = np.random.default_rng(seed)
    keys = key(labels).to_numpy()
    centres = {k: 3.0 * rng.normal(size=5) for k in sorted(set(keys))}  # sorted: set order varies with PYTHONHASHSEED
    x = np.array([centres[k] for k in keys]) + spread * rng.normal(size=(len(keys), 5))
    return np.linalg.norm(x[:, None] - x[None], axis=-1)


TANH = [("vanilla", "tanh"), ("ugrnn", "tanh"), ("gru", "tanh"), ("lstm", "tanh")]
VIEWS = TANH + [("vanilla", "relu")]


def similarity(labels, D):
    return TaskSimilarity(xr.Dataset({"svcca": (("network", "network_b"), D)}, attrs={"metrics": ["svcca"]}), labels)


def verdicts(findings):
    return [f.verdict for f in findings]


def test_geometry_clustered_by_configuration_agrees_in_both_views():
    labels = population(VIEWS, 4, trained=(True, False))
    D = distances(labels, lambda l: l.cell + l.activation + l.trained.astype(str), 0.2)
    found = geometry_findings("flipflop", similarity(labels, D), minimum=3)
    assert verdicts(found) == ["agrees", "agrees"]
    assert "untrained" in found[0].measured and found[0].n == "vanilla 4, ugrnn 4, gru 4, lstm 4"


def test_geometry_without_structure_does_not_agree_and_too_few_is_not_testable():
    labels = population(VIEWS, 4)
    D = distances(labels, lambda l: l.network_id.astype(str) + l.group, 1.0)  # every network on its own
    assert verdicts(geometry_findings("flipflop", similarity(labels, D), minimum=3)) == ["does not agree"] * 2
    few = population(VIEWS, 2)
    D = distances(few, lambda l: l.cell + l.activation, 0.1)
    assert verdicts(geometry_findings("flipflop", similarity(few, D), minimum=3)) == [
        "not testable at this size"] * 2


def test_context_topology_by_activation_and_less_than_geometry():
    labels = population(VIEWS, 5)
    table = labels.drop(columns="trained").assign(modal=True)
    # topology: clusters by activation only; geometry: by every configuration, tightly
    D_top = distances(table, lambda l: l.activation, 0.5, seed=1)
    D_geo = distances(labels, lambda l: l.cell + l.activation, 0.1, seed=2)
    found = topology_findings("context", similarity(labels, D_geo), TaskTopology(table, xr.Dataset(
        {"matched": (("item", "item_b"), D_top)})), minimum=3)
    cell, cell_vs_geometry, activation, activation_vs_geometry = found
    assert cell.verdict == "agrees"  # "did not cluster strongly by architecture"
    assert activation.verdict == "agrees"  # "but did cluster based on activation"
    assert cell_vs_geometry.verdict == "agrees" and "jackknife" in cell_vs_geometry.uncertainty


def flipflop_table(n_points, n_stable):
    n_points = np.asarray(n_points)
    mode = pd.Series(n_points).mode().iloc[0]
    return TaskTopology(pd.DataFrame({"n_points": n_points, "n_stable": n_stable, "modal": n_points == mode,
                         "n_slow": 0}), xr.Dataset())


def test_flipflop_counts():
    good = flipflop_findings(flipflop_table([27] * 19 + [25], [8] * 20), minimum=3)
    assert verdicts(good) == ["agrees", "agrees"]  # 8 corners; 5 % set aside
    bad = flipflop_findings(flipflop_table([27] * 10 + [25] * 6 + [23] * 4, [8] * 12 + [7] * 8), minimum=3)
    assert verdicts(bad) == ["agrees", "does not agree"]  # 50 % set aside: the interval is above 10 %
    assert verdicts(flipflop_findings(flipflop_table([27, 27], [8, 8]), minimum=3)) == ["not testable at this size"]


def test_flipflop_networks_holding_the_bits_on_cycles_are_counted_but_do_not_change_the_verdict():
    table = flipflop_table([27] * 6, [8, 8, 8, 8, 0, 0])
    table.networks["n_cycles"] = [0, 0, 0, 0, 8, 3]  # the fifth: 8 stable cycles; the sixth: too few
    (corners, _) = flipflop_findings(table, minimum=3)
    assert corners.verdict == "agrees" and corners.measured.endswith("of the other 2, 1 hold the 8 states on "
                                                                     "attractors that include stable cycles")
    table.networks["n_cycles"] = np.nan  # a store written before attractors were recorded: nothing said
    assert "cycles" not in flipflop_findings(table, minimum=3)[0].measured


def sine_table(slopes, offsets, n=4):
    rows = []
    for (cell, act), slope in slopes.items():
        for k in range(n):
            for w in np.linspace(0.1, 0.6, 11):
                rows.append({"group": cell + act, "cell": cell, "activation": act, "network_id": k,
                             "input_frequency": w,
                             "linear_frequency": slope * w + offsets[(cell, act)] + 1e-3 * np.sin(7 * k + 3 * w)})
    return TaskTopology(pd.DataFrame(), xr.Dataset(), pd.DataFrame(rows))


def test_sine_slopes_and_systematic_offsets():
    found = sine_findings(sine_table({("gru", "tanh"): 1.0, ("lstm", "tanh"): 0.6},
                                     {("gru", "tanh"): 0.01, ("lstm", "tanh"): -0.01}), minimum=3)
    assert verdicts(found) == ["agrees", "does not agree", "agrees"]
    same = sine_findings(sine_table({("gru", "tanh"): 1.0, ("lstm", "tanh"): 1.0},
                                    {("gru", "tanh"): 0.0, ("lstm", "tanh"): 0.0}), minimum=3)
    assert same[-1].verdict == "does not agree"  # no systematic offset between configurations


def integration_table(near_one: dict, modes: dict, n=5):
    rows = [{"group": cell, "network_id": k, "cell": cell, "activation": "tanh", "context": c,
             "mean_near_one": near_one[cell] + 0.1 * k, "modes_for_90pct": modes[cell]}
            for cell in near_one for k in range(n) for c in (0, 1)]
    return TaskTopology(pd.DataFrame(), xr.Dataset(), pd.DataFrame(rows))


def test_context_gated_cells_use_more_slow_modes():
    found = context_findings(integration_table({"vanilla": 1.0, "gru": 4.0, "lstm": 6.0},
                                               {"vanilla": 1, "gru": 3, "lstm": 5}), minimum=3)
    assert verdicts(found) == ["agrees", "agrees", "agrees"]
    flat = context_findings(integration_table({"vanilla": 1.0, "gru": 1.0}, {"vanilla": 2, "gru": 2}), minimum=3)
    assert verdicts(flat) == ["does not agree", "does not agree", "does not agree"]


def test_trained_relu_closer_to_untrained_relu_than_to_trained_tanh():
    labels = population([("vanilla", "relu"), ("vanilla", "tanh")], 5, trained=(True, False))
    close = distances(labels, lambda l: l.activation + np.where(l.activation == "tanh", l.trained.astype(str), ""),
                      0.2)
    assert verdicts(untrained_findings(labels=labels, data=similarity(labels, close).data, minimum=3)) == ["agrees"]
    far = distances(labels, lambda l: l.trained.astype(str), 0.2)  # trained networks together
    assert verdicts(untrained_findings(labels=labels, data=similarity(labels, far).data, minimum=3)) == ["does not agree"]


def test_dsa_clustering_that_untrained_networks_share_is_said_so():
    labels = population(TANH, 4, trained=(True, False))
    by_cell = distances(labels, lambda l: l.cell, 0.2)  # trained and untrained alike cluster by cell
    only_trained = distances(labels, lambda l: l.cell.where(l.trained, l.network_id.astype(str) + l.cell), 0.2)
    noise = distances(labels, lambda l: l.network_id.astype(str) + l.group + l.trained.astype(str), 1.0)
    found = {}
    for name, D in {"both": by_cell, "trained": only_trained, "none": noise}.items():
        data = xr.Dataset({"dsa": (("network", "network_b"), D), "svcca": (("network", "network_b"), D)},
                          attrs={"metrics": ["svcca", "dsa"]})
        rows = dsa_findings("flipflop", TaskSimilarity(data, labels), None, minimum=3)
        found[name] = [f.verdict for f in rows if f.statistic.endswith("DSA distances")][0]
    assert found == {"both": "clusters, as untrained networks do", "trained": "clusters", "none": "does not cluster"}
