import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform

from rnnpop.analysis import mds


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
