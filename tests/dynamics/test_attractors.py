"""Attractors by iteration: closed-form maps whose stable fixed points and cycles are known."""

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq

from rnnpop.dynamics import find_attractors, find_fixed_points, find_population_attractors


def flip(a):
    """h -> tanh(−a h): for a > 1 the origin is a fixed point with eigenvalue −a (unstable),
    and ±h* with h* = tanh(a h*) is a stable period-2 orbit (multiplier a²(1 − h*²)² < 1)."""
    return lambda h, x: jnp.tanh(-a * h)


def test_a_flip_unstable_point_is_surrounded_by_a_stable_two_cycle():
    a = 2.0
    h_star = brentq(lambda h: h - np.tanh(a * h), 0.1, 2.0)
    starts = np.random.default_rng(0).normal(size=(128, 1))
    found = find_attractors(flip(a), starts, np.zeros(1))
    assert found.period.tolist() == [2] and found.count.tolist() == [128] and found.n_unresolved == 0
    np.testing.assert_allclose(np.abs(found.states[0]), [h_star], rtol=1e-5)
    np.testing.assert_allclose(found.mean_states[0], [0.0], atol=1e-6)  # the orbit's two points average to 0
    np.testing.assert_allclose(np.sort(found.iterates[0, :2, 0]), [-h_star, h_star], rtol=1e-5)  # the orbit itself
    points = find_fixed_points(flip(a), starts, np.zeros(1))
    assert len(points) == 1 and not points.is_stable[0]  # fixed points alone show no attractor
    np.testing.assert_allclose(points.eigenvalues[0].real, [-a], rtol=1e-5)


def test_periods_of_a_shift_register_are_its_sign_patterns_orbits():
    # h -> P tanh(2h), P the cyclic shift of 4 units: each unit settles at ±h*, and the 16
    # sign patterns fall into orbits of the shift: ++++ and −−−− (period 1), +−+− (2) and
    # three orbits of 4 patterns (period 4)
    shift = jnp.asarray(np.roll(np.eye(4), 1, axis=0), jnp.float32)
    starts = np.random.default_rng(1).normal(size=(512, 4))
    found = find_attractors(lambda h, x: shift @ jnp.tanh(2.0 * h), starts, np.zeros(1))
    assert sorted(found.period.tolist()) == [1, 1, 2, 4, 4, 4]
    assert found.count.sum() == 512 and found.n_unresolved == 0
    signs = {tuple(np.sign(s)) for s in found.states}
    assert len(signs) == 6  # one point of each orbit, no two on the same orbit


def test_a_contraction_has_its_fixed_point_and_a_rotation_no_period():
    x = np.full(3, 0.2)
    found = find_attractors(lambda h, u: jnp.tanh(0.5 * h + u), np.random.default_rng(2).normal(size=(64, 3)), x)
    fixed = find_fixed_points(lambda h, u: jnp.tanh(0.5 * h + u), np.random.default_rng(2).normal(size=(64, 3)), x)
    assert found.period.tolist() == [1] and fixed.is_stable.all() and len(fixed) == 1
    np.testing.assert_allclose(found.states[0], fixed.states[0], atol=1e-5)
    # a rotation by an irrational multiple of 2π never returns: every start unresolved
    c, s = np.cos(2 * np.pi * (np.sqrt(5) - 1) / 2), np.sin(2 * np.pi * (np.sqrt(5) - 1) / 2)
    rotation = jnp.asarray([[c, -s], [s, c]], jnp.float32)
    found = find_attractors(lambda h, u: rotation @ h, np.random.default_rng(3).normal(size=(32, 2)), np.zeros(1))
    assert len(found) == 0 and found.n_unresolved == 32


@pytest.mark.parametrize("period", [2, 3])
def test_the_population_search_equals_one_search_per_network(period):
    # h -> R tanh(g h): a saturating map, then a rotation by 2π/period; one gain g per network
    gains = np.array([0.5, 2.0, 3.0])
    angle = 2 * np.pi / period
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])

    def step(gain, h, x):
        return jnp.asarray(rotation, jnp.float32) @ jnp.tanh(gain * h)

    starts = np.random.default_rng(4).normal(size=(3, 40, 2))
    together = find_population_attractors(step, jnp.asarray(gains, jnp.float32), starts, np.zeros(1))
    for gain, start, found in zip(gains, starts, together):
        alone = find_attractors(lambda h, x: step(jnp.float32(gain), h, x), start, np.zeros(1))
        assert found.period.tolist() == alone.period.tolist() and found.count.tolist() == alone.count.tolist()
        np.testing.assert_allclose(found.states, alone.states, atol=1e-6)
    assert together[0].period.tolist() == [1]  # gain 0.5: the origin attracts
