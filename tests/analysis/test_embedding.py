import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import pdist, squareform

from rnnpop.analysis import mds
from rnnpop.analysis._embedding import classical_mds


def test_mds_recovers_planar_points_up_to_rigid_motion():
    points = np.random.default_rng(0).normal(size=(30, 2))
    D = squareform(pdist(points))
    embedding, stress = mds(D, seed=1)
    assert stress < 1e-3
    np.testing.assert_allclose(squareform(pdist(embedding)), D, atol=1e-2)


def test_mds_is_seeded_and_checks_its_input():
    D = squareform(pdist(np.random.default_rng(1).normal(size=(12, 5))))
    a, _ = mds(D, seed=3)
    b, _ = mds(D, seed=3)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="symmetric"):
        mds(D + np.triu(np.ones_like(D)))
    with pytest.raises(ValueError, match="square"):
        mds(D[:3])


def test_mds_of_coincident_points_is_exact_at_the_origin():
    for n in (1, 3):
        embedding, stress = mds(np.zeros((n, n)))
        assert embedding.shape == (n, 2) and not embedding.any() and stress == 0.0


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
