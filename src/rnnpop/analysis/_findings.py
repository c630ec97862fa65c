"""The paper's claims, tested on a stored population (the report's findings table).

Each row quotes a claim of Maheswaranathan et al. (2019), names the statistic, gives
its value, its uncertainty or null, the networks it rests on (n), and a verdict:
"agrees", "does not agree", "inconclusive" (the interval straddles the claim) or
"not testable at this size" (too few analysed networks: fewer than the study's
``analysis.min_networks`` per label, or too few labels). Geometry is judged in the
paper's two views: cell type among tanh networks, activation among vanilla networks,
with the same statistic on the untrained networks as the control.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats

from ..store import RunStore
from ._stage import stored_similarity
from ._statistics import (bootstrap_interval, interval_verdict, jackknife, linear_fit, modal_fraction,
                          permutation_test, silhouette, wilson_interval)
from ._task_analyses import task_analyses
from ._topology_stage import load_topology

NOT_TESTABLE = "not testable at this size"
NO_CLAIM = "measured (the paper made no claim for this task)"
ALPHA = 0.05
SLOPE_TOLERANCE = 0.1
"""The sine claim "good alignment" is taken as a slope within 1 ± 0.1 (95 % interval)."""
SET_ASIDE_LIMIT = 0.10
"""The paper discarded "less than 10 % of the population" for a non-modal fixed-point count."""


@dataclasses.dataclass(frozen=True)
class Finding:
    """One claim of the paper and what this run measured."""

    task: str
    claim: str  # the paper's words and figure
    statistic: str
    measured: str
    uncertainty: str  # interval or null
    n: str  # the networks it rests on
    verdict: str


@dataclasses.dataclass(frozen=True)
class View:
    """One of the paper's two views: ``label`` compared among networks with ``fixed``."""

    label: str  # "cell" or "activation"
    fixed: str  # the column held fixed
    value: str  # its value

    @property
    def name(self) -> str:
        return f"{self.label} among {self.value} networks"


VIEWS = (View("cell", "activation", "tanh"), View("activation", "cell", "vanilla"))


def study_findings(store: RunStore) -> pd.DataFrame:
    """One row per tested claim (columns of :class:`Finding`), from the stored analyses."""
    findings: list[Finding] = []
    minimum = store.study.analysis.min_networks
    for task in store.study.tasks:
        similarity = stored_similarity(store, task.name)
        topology = load_topology(store, task.name)
        findings += geometry_findings(task.name, similarity, minimum)
        findings += topology_findings(task.name, similarity, topology, minimum)
        findings += dsa_findings(task.name, similarity, topology, minimum)
        if topology is not None:
            findings += task_analyses(task.name).findings(topology, minimum)
        if task_analyses(task.name).untrained_findings and similarity is not None:
            findings += untrained_findings(similarity.data, similarity.labels, minimum)
    return pd.DataFrame([dataclasses.asdict(f) for f in findings],
                        columns=[f.name for f in dataclasses.fields(Finding)])


def _units(labels: pd.DataFrame) -> np.ndarray:
    return (labels.group.astype(str) + "/" + labels.network_id.astype(str)).to_numpy()


def view_items(labels: pd.DataFrame, view: View, minimum: int) -> tuple[np.ndarray, str, list[str]]:
    """``(mask, n, dropped)``: the items of ``view`` whose label has at least ``minimum``
    networks, the networks per label as text, and the labels left out for too few."""
    in_view = (labels[view.fixed] == view.value).to_numpy()
    units = _units(labels)
    counts = {k: len(set(units[in_view & (labels[view.label] == k).to_numpy()]))
              for k in pd.unique(labels[view.label][in_view])}
    kept = [k for k, c in counts.items() if c >= minimum]
    mask = in_view & labels[view.label].isin(kept).to_numpy()
    n = ", ".join(f"{k} {c}" for k, c in counts.items()) or "none"
    return mask, n, [k for k in counts if k not in kept]


def _clusters(D, labels: pd.DataFrame, view: View, minimum: int):
    """``(silhouette, p, n text, testable)`` of ``view`` on ``D`` over ``labels``' items."""
    mask, n, dropped = view_items(labels, view, minimum)
    if len(pd.unique(labels[view.label][mask])) < 2:
        return float("nan"), float("nan"), n, False
    sub = np.asarray(D)[np.ix_(mask, mask)]
    s, p = permutation_test(sub, labels[view.label].to_numpy()[mask], units=_units(labels)[mask])
    if dropped:
        n += f" (too few: {', '.join(dropped)})"
    return s, p, n, True


def _p(p: float) -> str:
    return "–" if not np.isfinite(p) else f"p = {p:.3f}"


def _f(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


GEOMETRY_CLAIMS = {
    "cell": "\u201crepresentational geometry is sensitive to model architecture (Figs. 1-3)\u201d",
    "activation": "\u201cthe geometry of neural representations varies considerably across RNNs with different "
                  "nonlinearities\u201d (Figs. 1d, 2c, 3c)",
}


def geometry_findings(task: str, similarity, minimum: int) -> list[Finding]:
    """Silhouette of the view's labels on each metric's distances, with a label
    permutation p-value; the untrained networks' silhouette as the control."""
    if similarity is None:
        return []
    data, labels = similarity.data, similarity.labels
    trained = labels.trained.to_numpy(bool)
    out = []
    for metric in data.attrs["metrics"]:
        if metric == "dsa":  # not a measure of geometry: dsa_findings
            continue
        D = data[metric].values
        for view in VIEWS:
            s, p, n, ok = _clusters(D[np.ix_(trained, trained)], labels[trained].reset_index(drop=True), view, minimum)
            su, pu, _, _ = (_clusters(D[np.ix_(~trained, ~trained)], labels[~trained].reset_index(drop=True), view,
                                      minimum) if (~trained).any() else (np.nan, np.nan, "", False))
            verdict = NOT_TESTABLE if not ok else "agrees" if s > 0 and p < ALPHA else "does not agree"
            out.append(Finding(task, GEOMETRY_CLAIMS[view.label],
                               f"silhouette of {view.name}, {metric.upper()} distances",
                               f"{_f(s)} (untrained: {_f(su)})", f"{_p(p)} (untrained: {_p(pu)}); 999 label permutations",
                               n, verdict))
    return out


DSA_QUESTION = ("DSA (Ostrow et al. 2023; not in the paper): do the dynamics, compared directly, cluster by "
                "{label}, and where does DSA sit between geometry (SVCCA) and topology?")


def dsa_findings(task: str, similarity, topology, minimum: int) -> list[Finding]:
    """Per view: the silhouette of the DSA distances with its label-permutation p (the
    untrained networks as control) — descriptive, no claim of the paper to agree with —
    and the silhouettes of SVCCA, DSA and topology distances on the same view side by side."""
    if similarity is None or "dsa" not in similarity.data.attrs["metrics"]:
        return []
    data, labels = similarity.data, similarity.labels
    trained = labels.trained.to_numpy(bool)
    tl = labels[trained].reset_index(drop=True)
    out = []
    for view in VIEWS:
        question = DSA_QUESTION.format(label=view.label)
        D = data["dsa"].values
        s, p, n, ok = _clusters(D[np.ix_(trained, trained)], tl, view, minimum)
        su, pu, _, ok_u = (_clusters(D[np.ix_(~trained, ~trained)], labels[~trained].reset_index(drop=True), view,
                                     minimum) if (~trained).any() else (np.nan, np.nan, "", False))
        verdict = NOT_TESTABLE if not ok else "does not cluster" if not (s > 0 and p < ALPHA) else (
            "clusters, as untrained networks do" if ok_u and su > 0 and pu < ALPHA else "clusters")
        out.append(Finding(task, question, f"silhouette of {view.name}, DSA distances",
                           f"{_f(s)} (untrained: {_f(su)})", f"{_p(p)} (untrained: {_p(pu)}); 999 label permutations",
                           n, verdict))
        sides = {"SVCCA": _clusters(data["svcca"].values[np.ix_(trained, trained)], tl, view, minimum)[0]
                 if "svcca" in data else np.nan, "DSA": s}
        if topology is not None:
            sides["topology"] = _clusters(topology.distances["matched"].values, topology.networks, view, minimum)[0]
        finite = {k: v for k, v in sides.items() if np.isfinite(v)}
        order = " > ".join(f"{k} {_f(v)}" for k, v in sorted(finite.items(), key=lambda kv: -kv[1]))
        between = (len(finite) == 3 and min(finite["SVCCA"], finite["topology"]) <= finite["DSA"]
                   <= max(finite["SVCCA"], finite["topology"]))
        out.append(Finding(task, question, f"silhouettes of {view.name}: SVCCA, DSA, topology",
                           order or "n/a", "point estimates (see the rows above for their p)", n,
                           NOT_TESTABLE if len(finite) < 3 or not ok else
                           "DSA between" if between else "DSA outside"))
    return out


def topology_findings(task: str, similarity, topology, minimum: int) -> list[Finding]:
    """Per view: the silhouette of topology (matched-graph) distances with its
    permutation p, the claim's direction; then the paper's comparison, topology
    clusters less than geometry: SVCCA silhouette − topology silhouette on the same
    networks with a leave-one-network-out (jackknife) 95 % interval."""
    if topology is None:
        return []
    table, distances = topology.networks, topology.distances
    analyses = task_analyses(task)
    claim, clusters = analyses.topology_claim
    D = distances["matched"].values
    out = []
    modal = table[table.modal].reset_index(drop=True)
    measures = [("matched-graph", table, D)]
    if analyses.paper_graph_distance and "graph" in distances:  # modal-count networks only
        measures.append(("the paper's graph", modal, distances["graph"].values))
    for view in VIEWS:
        for name, items, distance in measures:
            s, p, n, ok = _clusters(distance, items, view, minimum)
            significant = s > 0 and p < ALPHA
            verdict = (NOT_TESTABLE if not ok else NO_CLAIM if clusters.get(view.label) is None else
                       "agrees" if significant == clusters[view.label] else "does not agree")
            out.append(Finding(task, claim, f"silhouette of {view.name}, {name} topology distances",
                               _f(s), _p(p) + "; 999 permutations of network labels", n, verdict))
        if similarity is not None:
            out.append(_less_than_geometry(task, similarity, table, D, view, minimum))
    return out


def _less_than_geometry(task, similarity, table, D_topology, view: View, minimum: int) -> Finding:
    data, labels = similarity.data, similarity.labels
    trained = labels.trained.to_numpy(bool)
    geo_labels = labels[trained].reset_index(drop=True)
    metric = "svcca" if "svcca" in data.attrs["metrics"] else data.attrs["metrics"][0]
    D_geometry = data[metric].values[np.ix_(trained, trained)]
    geo_mask, _, _ = view_items(geo_labels, view, minimum)
    top_mask, n, _ = view_items(table, view, minimum)
    geo_units, top_units = _units(geo_labels), _units(table)
    shared = np.intersect1d(geo_units[geo_mask], top_units[top_mask])
    geo_mask &= np.isin(geo_units, shared)
    top_mask &= np.isin(top_units, shared)
    claim = ("\u201cthe fixed point topologies show far less variation across networks than the representations "
             "do\u201d (Fig. 1f, 2e, 3d)")
    statistic = f"silhouette of {view.name}: {metric.upper()} geometry − topology, same networks"
    if len(pd.unique(geo_labels[view.label][geo_mask])) < 2:
        return Finding(task, claim, statistic, "n/a", "–", n, NOT_TESTABLE)

    def difference(keep_units: np.ndarray) -> float:
        g = geo_mask & np.isin(geo_units, keep_units)
        t = top_mask & np.isin(top_units, keep_units)
        return (silhouette(D_geometry[np.ix_(g, g)], geo_labels[view.label].to_numpy()[g])
                - silhouette(D_topology[np.ix_(t, t)], table[view.label].to_numpy()[t]))

    estimate, se = jackknife(lambda keep: difference(shared[keep]), shared)
    low, high = estimate - 1.96 * se, estimate + 1.96 * se
    verdict = interval_verdict(low, high, 0.0, np.inf)
    return Finding(task, claim, statistic, _f(estimate), f"95 % jackknife interval [{_f(low)}, {_f(high)}]",
                   f"{len(shared)} networks", verdict)


def flipflop_findings(topology, minimum: int) -> list[Finding]:
    """The stable corners (modal stable count) and the paper's set-aside fraction."""
    table = topology.networks
    n = len(table)
    if n < minimum:
        return [Finding("flipflop", "fixed-point counts", "–", "–", "–", f"{n} networks", NOT_TESTABLE)]
    corners = 8  # 2**3: the paper's 3-bit task
    mode, fraction = modal_fraction(table.n_stable)
    exact = int((table.n_stable == corners).sum())
    low, high = wilson_interval(exact, n)
    cycles = ""
    if "n_cycles" in table and table.n_cycles.notna().all() and exact < n:
        # a discrete-time network can hold a bit on a stable cycle around a flip-unstable point
        on_cycles = int(((table.n_stable < corners) & (table.n_cycles > 0)
                         & (table.n_stable + table.n_cycles == corners)).sum())
        cycles = f"; of the other {n - exact}, {on_cycles} hold the 8 states on attractors that include stable cycles"
    out = [Finding("flipflop", "\u201cthe resulting trajectories roughly trace out the corners of a three-dimensional "
                   "cube\u201d: one stable fixed point per corner (Fig. 1b, 1e)",
                   "modal number of stable fixed points; share of networks with exactly 8",
                   f"mode {mode} ({fraction:.0%}); {exact} of {n} with 8 ({exact / n:.0%}){cycles}",
                   f"share with 8: 95 % Wilson [{low:.0%}, {high:.0%}]", f"{n} networks",
                   "agrees" if mode == corners else "does not agree")]
    points_mode, _ = modal_fraction(table.n_points)
    aside = int((~table.modal).sum())
    low, high = wilson_interval(aside, n)
    verdict = ("agrees" if aside / n <= SET_ASIDE_LIMIT else
               "does not agree" if low > SET_ASIDE_LIMIT else "inconclusive")
    slow = f"; {int(table.n_slow.sum())} slow points in all" if "n_slow" in table else ""
    out.append(Finding("flipflop", "\u201cNetworks with different numbers of fixed points than the modal number were "
                       "discarded (less than 10% of the population)\u201d (footnote 3)",
                       "share of networks whose total count (exact and slow) is not the modal count",
                       f"modal total {points_mode}; {aside} of {n} set aside ({aside / n:.0%}){slow}",
                       f"95 % Wilson [{low:.0%}, {high:.0%}]", f"{n} networks", verdict))
    return out


def _per_configuration(frame: pd.DataFrame):
    return frame.groupby(["cell", "activation"], sort=False)


def sine_findings(topology, minimum: int) -> list[Finding]:
    """Per configuration: the linear frequency against the input frequency (slope with
    a jackknife interval over networks, intercept, R²); across configurations: the
    per-network mean offset (Kruskal–Wallis), the systematic differences of Fig. 2f."""
    frequencies = topology.per_task
    out = []
    offsets = []
    claim = ("\u201cWe compared the frequency of the linear model to the input frequency and found generally good "
             "alignment\u201d (Fig. 2d, 2f)")
    for (cell, activation), rows in _per_configuration(frequencies):
        networks = rows.network_id.to_numpy()
        n = len(np.unique(_units(rows)))
        statistic = f"{cell}-{activation}: slope of linear vs input frequency (1 ± {SLOPE_TOLERANCE})"
        if n < minimum:
            out.append(Finding("sine", claim, statistic, "–", "–", f"{n} networks", NOT_TESTABLE))
            continue
        slope, intercept, r2 = linear_fit(rows.input_frequency, rows.linear_frequency)
        _, se = jackknife(lambda keep: linear_fit(rows.input_frequency[keep], rows.linear_frequency[keep])[0],
                          networks)
        low, high = slope - 1.96 * se, slope + 1.96 * se
        verdict = interval_verdict(low, high, 1 - SLOPE_TOLERANCE, 1 + SLOPE_TOLERANCE)
        out.append(Finding("sine", claim, statistic, f"slope {_f(slope)}, intercept {_f(intercept, 3)}, R² {_f(r2)}",
                           f"slope 95 % jackknife [{_f(low)}, {_f(high)}]", f"{n} networks", verdict))
        per_network = (rows.linear_frequency - rows.input_frequency).groupby(rows.network_id).mean().dropna()
        offsets.append((f"{cell}-{activation}", per_network.to_numpy()))
    offsets = [(name, values) for name, values in offsets if len(values) >= minimum]
    claim = ("\u201cWe averaged the linear frequency across all networks within architecture or activation and found "
             "small, but systematic differences\u201d (Fig. 2f)")
    if len(offsets) < 2:
        out.append(Finding("sine", claim, "Kruskal–Wallis on per-network mean offsets", "–", "–",
                           f"{len(offsets)} configurations testable", NOT_TESTABLE))
    else:
        h, p = stats.kruskal(*[values for _, values in offsets])
        out.append(Finding("sine", claim, "mean offset (linear − input frequency, rad/step) per configuration; "
                           "Kruskal–Wallis across them",
                           "; ".join(f"{name} {np.mean(v):+.4f}" for name, v in offsets), f"H = {h:.2f}, {_p(p)}",
                           ", ".join(f"{name} {len(v)}" for name, v in offsets),
                           "agrees" if p < ALPHA else "does not agree"))
    return out


def context_findings(topology, minimum: int) -> list[Finding]:
    """Gated cells use more slow modes than vanilla ones (Fig. 3e–f): per-network mean
    eigenvalues within 0.05 of 1 and modes for 90 % of the integral, gated vs vanilla
    (tanh networks, one-sided Mann–Whitney U); the vanilla network's single mode."""
    integration = topology.per_task
    tanh = integration[integration.activation == "tanh"]
    per_network = tanh.groupby(["group", "network_id", "cell"], as_index=False)[
        ["mean_near_one", "modes_for_90pct"]].mean()
    vanilla = per_network[per_network.cell == "vanilla"]
    gated = per_network[per_network.cell != "vanilla"]
    n = f"vanilla {len(vanilla)}, gated {len(gated)} (tanh)"
    out = []
    for column, claim, what in (
            ("mean_near_one", "\u201cthe gated architectures had many more eigenvalues near 1\u201d (Fig. 3e)",
             "eigenvalues within 0.05 of 1 per fixed point"),
            ("modes_for_90pct", "\u201c[the networks] systematically vary by architecture in terms of the number of "
             "modes they employ\u201d, the gated ones more (Fig. 3e–f)", "modes for 90 % of the integral")):
        statistic = f"{what}, per network: gated vs vanilla, one-sided Mann–Whitney U"
        if len(vanilla) < minimum or len(gated) < minimum:
            out.append(Finding("context", claim, statistic, "–", "–", n, NOT_TESTABLE))
            continue
        u, p = stats.mannwhitneyu(gated[column], vanilla[column], alternative="greater")
        by_cell = per_network.groupby("cell", sort=False)[column].median()
        out.append(Finding("context", claim, statistic,
                           "medians: " + ", ".join(f"{c} {v:.2f}" for c, v in by_cell.items()),
                           f"U = {u:.0f}, {_p(p)}", n, "agrees" if p < ALPHA else "does not agree"))
    claim = ("\u201cthe vanilla RNN ... integrated the input using a single linear mode with an eigenvalue of 1\u201d "
             "(Fig. 3e–f)")
    if len(vanilla) < minimum:
        out.append(Finding("context", claim, "modal modes for 90 % of the integral", "–", "–", n, NOT_TESTABLE))
    else:
        one = int((vanilla.modes_for_90pct.round() == 1).sum())
        low, high = wilson_interval(one, len(vanilla))
        mode, _ = modal_fraction(vanilla.modes_for_90pct.round().astype(int))
        out.append(Finding("context", claim, "vanilla networks (tanh) whose slowest mode alone gives 90 % of the "
                           "integral", f"{one} of {len(vanilla)}; modal number of modes {mode}",
                           f"95 % Wilson [{low:.0%}, {high:.0%}]", f"{len(vanilla)} networks",
                           "agrees" if mode == 1 else "does not agree"))
    return out


def untrained_gap(D: np.ndarray, labels: pd.DataFrame, *, seed: int = 0,
                  n_resamples: int = 2000) -> tuple[float, float, float, int, int]:
    """Fig. 4 on vanilla networks: mean distance between trained and untrained relu
    networks minus mean distance between trained relu and trained tanh networks, with
    a bootstrap 95 % interval (networks resampled within each activation; a relu
    network's trained and untrained forms stay together). Returns ``(difference, low,
    high, n relu, n tanh)``; negative: trained relu is closer to untrained relu."""
    vanilla = (labels.cell == "vanilla").to_numpy()
    ids = _units(labels)
    trained = labels.trained.to_numpy(bool)
    relu = vanilla & (labels.activation == "relu").to_numpy()
    tanh = vanilla & (labels.activation == "tanh").to_numpy()
    relu_ids = np.unique(ids[relu & trained])
    tanh_ids = np.unique(ids[tanh & trained])
    untrained_of = {key: i for i, key in enumerate(ids) if not trained[i]}
    trained_of = {key: i for i, key in enumerate(ids) if trained[i]}
    D = np.asarray(D, np.float64)

    def statistic(rng):
        r = relu_ids if rng is None else rng.choice(relu_ids, len(relu_ids))
        t = tanh_ids if rng is None else rng.choice(tanh_ids, len(tanh_ids))
        a = [trained_of[k] for k in r]
        b = [untrained_of[k] for k in r if k in untrained_of]
        c = [trained_of[k] for k in t]
        return D[np.ix_(a, b)].mean() - D[np.ix_(a, c)].mean()

    if len(relu_ids) == 0 or len(tanh_ids) == 0 or not any(k in untrained_of for k in relu_ids):
        return float("nan"), float("nan"), float("nan"), len(relu_ids), len(tanh_ids)
    estimate, low, high = bootstrap_interval(statistic, n_resamples=n_resamples, seed=seed)
    return estimate, low, high, len(relu_ids), len(tanh_ids)


def untrained_findings(data, labels: pd.DataFrame, minimum: int) -> list[Finding]:
    """Fig. 4 on the context task's inputs, per metric."""
    out = []
    claim = ("\u201cthe average canonical correlation between trained and untrained networks can be larger than "
             "between trained RNNs with different nonlinearities\u201d (Fig. 4, vanilla relu and tanh)")
    for metric in data.attrs["metrics"]:
        if metric == "dsa":  # Fig. 4 compares representations (CCA), not dynamics
            continue
        estimate, low, high, n_relu, n_tanh = untrained_gap(data[metric].values, labels)
        n = f"vanilla relu {n_relu}, vanilla tanh {n_tanh}"
        statistic = (f"{metric.upper()}: mean distance trained relu–untrained relu minus trained relu–trained tanh")
        if min(n_relu, n_tanh) < minimum or not np.isfinite(estimate):
            out.append(Finding("context", claim, statistic, "–", "–", n, NOT_TESTABLE))
            continue
        out.append(Finding("context", claim, statistic, f"{estimate:+.3f}",
                           f"95 % bootstrap [{low:+.3f}, {high:+.3f}]", n,
                           interval_verdict(low, high, -np.inf, 0.0)))
    return out
