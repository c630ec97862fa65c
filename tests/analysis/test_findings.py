import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import pdist, squareform

from rnnpop.analysis import linear_fit, modal_fraction, silhouette, trained_untrained_gap
from rnnpop.analysis._embedding import classical_mds


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


def test_trained_untrained_gap_on_constructed_distances():
    labels = pd.DataFrame({"cell": ["vanilla"] * 4, "activation": ["relu", "relu", "tanh", "tanh"],
                           "trained": [True, False, True, False]})
    # trained relu – untrained relu 0.2, trained tanh – untrained tanh 0.4, trained relu – trained tanh 0.9
    D = np.full((4, 4), 1.0)
    np.fill_diagonal(D, 0.0)
    D[0, 1] = D[1, 0] = 0.2
    D[2, 3] = D[3, 2] = 0.4
    D[0, 2] = D[2, 0] = 0.9
    within, across, what = trained_untrained_gap(D, labels)
    assert (within, across, what) == (pytest.approx(0.3), pytest.approx(0.9), "vanilla activations")


@settings(max_examples=20, deadline=None)
@given(st.integers(3, 12), st.integers(0, 10_000))
def test_classical_mds_preserves_planar_distances(n, seed):
    points = np.random.default_rng(seed).normal(size=(n, 2))
    D = squareform(pdist(points))
    embedded = classical_mds(D, 2)
    np.testing.assert_allclose(squareform(pdist(embedded)), D, atol=1e-8)


def test_classical_mds_zeroes_missing_dimensions():
    # collinear points have one dimension; the others are exactly zero at any scale, not
    # square roots of rounding-level eigenvalues (once seen as 3e-8 in a CI run)
    for seed, scale in enumerate([1e-3, 1.0, 7.0, 1e3]):
        x = np.random.default_rng(seed).normal(size=(6, 1)) * scale
        embedded = classical_mds(squareform(pdist(x)), 3)
        assert np.all(embedded[:, 1:] == 0.0)
        assert np.allclose(squareform(pdist(embedded)), squareform(pdist(x)), rtol=1e-9, atol=1e-12 * scale)
