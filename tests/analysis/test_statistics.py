import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import pdist, squareform

from rnnpop.analysis import jackknife, linear_fit, modal_fraction, permutation_test, silhouette, wilson_interval
from rnnpop.analysis._statistics import interval_verdict


def test_perfectly_clustered_distances_have_silhouette_one():
    labels = np.repeat(["gru", "lstm", "vanilla"], 4)
    D = (labels[:, None] != labels[None, :]).astype(float)
    assert silhouette(D, labels) == pytest.approx(1.0)


def test_labels_unrelated_to_identical_distances_have_silhouette_zero():
    labels = np.repeat(["a", "b"], 5)
    D = 1.0 - np.eye(10)  # every pair equally far: no structure
    assert silhouette(D, labels) == pytest.approx(0.0)


def test_silhouette_is_nan_with_one_label():
    assert np.isnan(silhouette(np.ones((3, 3)) - np.eye(3), ["x"] * 3))


def test_silhouette_known_value_two_clusters_on_a_line():
    points = np.array([0.0, 1.0, 10.0, 11.0])[:, None]
    D = squareform(pdist(points))
    # point 0: a = 1, b = mean(10, 11) = 10.5 -> s = 1 - 1/10.5; symmetric for all four
    assert silhouette(D, ["a", "a", "b", "b"]) == pytest.approx(1 - (1 / 10.5 + 1 / 9.5) / 2)


def test_modal_fraction():
    assert modal_fraction([8, 8, 8, 6]) == (8, 0.75)


def test_linear_fit_recovers_slope_and_perfect_r2():
    x = np.linspace(0.1, 0.6, 11)
    slope, intercept, r2 = linear_fit(x, 0.9 * x + 0.02)
    assert (slope, intercept, r2) == pytest.approx((0.9, 0.02, 1.0))
    assert np.isnan(linear_fit(x, np.ones_like(x))[2])


def clustered(labels, spread, seed=0, separation=3.0):
    """Points around one centre per label (spread 0: all labels at one centre)."""
    rng = np.random.default_rng(seed)
    names = sorted(set(labels))
    centres = {k: separation * rng.normal(size=4) for k in names}
    x = np.array([centres[k] for k in labels]) + spread * rng.normal(size=(len(labels), 4))
    return np.linalg.norm(x[:, None] - x[None], axis=-1)


def test_permutation_test_finds_clusters_and_not_their_absence():
    labels = np.repeat(["gru", "lstm", "vanilla"], 5)
    s, p = permutation_test(clustered(labels, 0.3), labels, n_permutations=199)
    assert s > 0.5 and p == pytest.approx(1 / 200)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(15, 4))  # no structure: labels unrelated to the points
    s, p = permutation_test(np.linalg.norm(x[:, None] - x[None], axis=-1), labels, n_permutations=199)
    assert p > 0.05


def test_permutation_test_keeps_a_units_items_together():
    # 6 networks, two items each, 3 networks per label: only C(6, 3) = 20 labellings of
    # networks exist and two of them (the observed and its swap) reach the observed
    # silhouette, so the exact p is 0.1; permuting the 12 items independently would
    # wrongly give about 2 / C(12, 6) = 0.002
    labels = np.repeat(["a", "b"], 6)
    units = np.repeat(np.arange(6), 2)
    D = clustered(labels, 0.2)
    _, p = permutation_test(D, labels, units=units, n_permutations=1999)
    assert p == pytest.approx(0.1, abs=0.03)
    _, p_items = permutation_test(D, labels, n_permutations=1999)
    assert p_items < 0.01
    with pytest.raises(ValueError, match="one label"):
        permutation_test(D, labels, units=np.arange(12) % 5)  # a unit with two labels cannot be permuted


def test_jackknife_standard_error_of_a_mean_is_the_textbook_one():
    x = np.random.default_rng(0).normal(size=20)
    estimate, se = jackknife(lambda keep: x[keep].mean(), np.arange(20))
    assert estimate == pytest.approx(x.mean())
    assert se == pytest.approx(x.std(ddof=1) / np.sqrt(20), rel=1e-12)


def test_wilson_interval_known_values():
    low, high = wilson_interval(8, 10)
    assert (low, high) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    assert wilson_interval(0, 10)[0] == pytest.approx(0.0, abs=1e-12)


def test_interval_verdicts():
    assert interval_verdict(0.95, 1.05, 0.9, 1.1) == "agrees"
    assert interval_verdict(0.5, 0.8, 0.9, 1.1) == "does not agree"
    assert interval_verdict(0.85, 1.05, 0.9, 1.1) == "inconclusive"
    assert interval_verdict(np.nan, 1.0, 0.9, 1.1) == "not testable at this size"


@settings(max_examples=30, deadline=None)
@given(n=st.integers(3, 25), k=st.integers(2, 5), seed=st.integers(0, 10_000))
def test_silhouette_equals_scikit_learns(n, k, seed):
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    if not 2 <= len(set(labels)) < n:
        return
    x = rng.normal(size=(n, 3))
    D = squareform(pdist(x))
    assert silhouette(D, labels) == pytest.approx(silhouette_score(D, labels, metric="precomputed"), abs=1e-12)
