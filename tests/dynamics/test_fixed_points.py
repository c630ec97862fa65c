import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnpop.dynamics import eigen_decomposition, find_fixed_points, slow_q, transition_graph


def test_affine_map_fixed_point_jacobian_and_eigen_decomposition():
    rng = np.random.default_rng(0)
    n, n_in = 6, 2
    A = rng.normal(size=(n, n)) / np.sqrt(n) * 0.7  # non-normal, spectral radius < 1
    B, b = rng.normal(size=(n, n_in)), rng.normal(size=n)
    x = np.array([0.5, -1.0])

    def step(h, u):
        return jnp.asarray(A, jnp.float32) @ h + jnp.asarray(B, jnp.float32) @ u + jnp.asarray(b, jnp.float32)

    fps = find_fixed_points(step, rng.normal(size=(32, n)), x)
    assert len(fps) == 1
    np.testing.assert_allclose(fps.states[0], np.linalg.solve(np.eye(n) - A, B @ x + b), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fps.jacobians[0], A, atol=1e-6)
    np.testing.assert_allclose(fps.input_jacobians[0], B, atol=1e-6)
    expected = np.linalg.eigvals(A)
    np.testing.assert_allclose(np.sort(np.abs(fps.eigenvalues[0]))[::-1], np.sort(np.abs(expected))[::-1],
                               rtol=1e-5)
    assert np.all(np.diff(np.abs(fps.eigenvalues[0])) <= 1e-12)  # sorted by |λ| descending
    L, R = fps.left_eigenvectors[0], fps.right_eigenvectors[0]
    np.testing.assert_allclose(L @ R, np.eye(n), atol=1e-8)
    np.testing.assert_allclose((R * fps.eigenvalues[0]) @ L, A, atol=1e-5)
    assert fps.is_stable[0] and fps.n_unstable[0] == 0 and fps.q[0] <= 1e-10


def test_separable_tanh_map_has_all_nine_fixed_points_with_their_saddles():
    gain = 2.0
    star = 0.9575040240772687  # the positive root of h = tanh(2 h)

    def step(h, x):
        return jnp.tanh(gain * h)

    grid = np.array(list(itertools.product(np.linspace(-1.2, 1.2, 7), repeat=2)))
    starts = grid + np.random.default_rng(1).normal(scale=0.05, size=grid.shape)
    fps = find_fixed_points(step, starts, np.zeros(1), n_iterations=300)
    assert len(fps) == 9
    expected = {tuple(p): sum(v == 0 for v in p) for p in itertools.product([-star, 0.0, star], repeat=2)}
    for state, n_unstable in zip(fps.states, fps.n_unstable):
        key = min(expected, key=lambda p: np.linalg.norm(np.array(p) - state))
        np.testing.assert_allclose(state, key, atol=1e-5)
        assert n_unstable == expected[key]  # the origin is a 2-D saddle (a source), the axes 1-D saddles
    assert fps.is_stable.sum() == 4 and np.all(fps.q <= 1e-10)
    # the derivative at ±h* is gain·(1 − h*²), the stable multiplier
    stable = fps.select(fps.is_stable)
    np.testing.assert_allclose(np.abs(stable.eigenvalues), gain * (1 - star**2), rtol=1e-4)


def test_rotation_like_system_has_the_known_eigen_angle():
    theta, radius = 0.3, 0.95
    R = radius * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])

    def step(h, x):
        return jnp.asarray(R, jnp.float32) @ h + x

    fps = find_fixed_points(step, np.random.default_rng(2).normal(size=(8, 2)), np.array([0.1, 0.2]))
    assert len(fps) == 1
    np.testing.assert_allclose(np.sort(np.abs(np.angle(fps.eigenvalues[0]))), [theta, theta], rtol=1e-5)
    np.testing.assert_allclose(np.abs(fps.eigenvalues[0]), radius, rtol=1e-5)


def test_transition_graph_of_a_symmetric_bistable_system_splits_evenly():
    def step(h, x):
        return jnp.tanh(2.0 * h)

    fps = find_fixed_points(step, np.linspace(-1, 1, 21)[:, None], np.zeros(1))
    assert len(fps) == 3
    graph = transition_graph(step, fps, n_perturbations=400, noise_scale=0.01, seed=0)
    np.testing.assert_allclose(graph.sum(axis=1), 1.0)
    saddle = int(np.flatnonzero(~fps.is_stable)[0])
    stable = np.flatnonzero(fps.is_stable)
    for i in stable:
        assert graph[i, i] == 1.0
    assert graph[saddle, saddle] == 0.0
    np.testing.assert_allclose(graph[saddle, stable], 0.5, atol=0.08)


def test_slow_points_are_kept_only_with_a_larger_threshold_and_outliers_dropped():
    def step(h, x):  # a slow drift everywhere: no fixed point near the start
        return h + 1e-3

    starts = np.zeros((4, 3))
    assert len(find_fixed_points(step, starts, np.zeros(1), n_iterations=10, newton_steps=0)) == 0
    kept = find_fixed_points(step, starts, np.zeros(1), n_iterations=10, newton_steps=0, q_threshold=1e-3)
    assert len(kept) == 1 and kept.q[0] == pytest.approx(1.5e-6, rel=1e-3)


def test_eigen_decomposition_orders_and_biorthogonalises():
    J = np.array([[[2.0, 1.0], [0.0, 0.5]]])
    values, right, left = eigen_decomposition(J)
    np.testing.assert_allclose(values[0], [2.0, 0.5])
    np.testing.assert_allclose(left[0] @ right[0], np.eye(2), atol=1e-12)


def test_bad_shapes_are_named():
    def step(h, x):
        return h

    with pytest.raises(ValueError, match="initial_states"):
        find_fixed_points(step, np.zeros(3), np.zeros(1))
    with pytest.raises(ValueError, match="inputs"):
        find_fixed_points(step, np.zeros((3, 2)), np.zeros((2, 1)))


class _Gains(eqx.Module):
    gain: jax.Array  # (n,)


def _gain_step(net, h, x):
    return jnp.tanh(net.gain * h) + x


def test_population_search_equals_one_network_at_a_time():
    from rnnpop.dynamics import find_population_fixed_points

    gains = np.array([[2.0, 3.0], [1.5, 0.5], [4.0, 2.5]], np.float32)  # 9, 3 and 9 fixed points
    starts = np.random.default_rng(3).uniform(-1.5, 1.5, size=(3, 64, 2)).astype(np.float32)
    together = find_population_fixed_points(_gain_step, _Gains(jnp.asarray(gains)), starts, np.zeros(2))
    assert [len(p) for p in together] == [9, 3, 9]
    for k in range(3):
        alone = find_fixed_points(lambda h, x, g=gains[k]: jnp.tanh(g * h) + x, starts[k], np.zeros(2))
        order_a, order_b = np.lexsort(together[k].states.T), np.lexsort(alone.states.T)
        np.testing.assert_allclose(together[k].states[order_a], alone.states[order_b], atol=1e-5)
        np.testing.assert_array_equal(together[k].n_unstable[order_a], alone.n_unstable[order_b])


def test_a_line_attractor_yields_slow_points_along_the_line():
    """A linear map with one eigenvalue 0.9999 (along v) and 0.5 elsewhere: its only
    exact fixed point is 0, but every point on the line through v is very slow."""
    v = np.array([1.0, 1.0, 0.0]) / np.sqrt(2)
    basis = np.linalg.qr(np.stack([v, [1.0, -1.0, 0.0], [0.0, 0.0, 1.0]], 1))[0]
    A = basis @ np.diag([0.9999, 0.5, 0.5]) @ basis.T
    step = lambda h, x: jnp.asarray(A, jnp.float32) @ h  # noqa: E731
    along = np.linspace(-1.0, 1.0, 41)
    starts = along[:, None] * v + 0.01 * np.random.default_rng(0).normal(size=(41, 3))
    q_slow = slow_q(starts, n_steps=100, fraction=0.05)
    found = find_fixed_points(step, starts, np.zeros(1), q_slow=q_slow)
    position = found.states @ v
    assert position.min() < -0.8 and position.max() > 0.8  # the whole line, not only its exact point
    assert np.allclose(found.states - position[:, None] * v, 0.0, atol=1e-4)  # on the line
    assert np.all(found.q <= q_slow)
    np.testing.assert_array_equal(found.is_slow, found.q > 1e-10)
    assert found.is_slow[np.abs(position) > 0.2].all()  # far from 0 the points are slow, not exact
    exact_only = find_fixed_points(step, starts, np.zeros(1))
    assert not exact_only.is_slow.any() and np.all(np.abs(exact_only.states @ v) < 0.15)


def test_slow_q_is_a_fraction_of_the_spread_per_trial():
    states = np.array([[1.0, 0.0], [-1.0, 0.0]])  # RMS spread 1
    q = slow_q(states, n_steps=50, fraction=0.1)
    assert q == pytest.approx(0.5 * (0.1 / 50) ** 2)
    assert slow_q(3.0 * states, n_steps=50, fraction=0.1) == pytest.approx(9 * q)  # scales with the states


def test_padded_rows_equal_the_plain_call_with_one_program_per_power_of_two():
    from rnnpop.dynamics._buckets import on_padded_rows

    traced = []

    @jax.jit
    def rows(a, b):  # row by row: (M, 3), (M, 3) -> (M,), (M, 3)
        traced.append(a.shape[0])
        return jnp.sum(jnp.tanh(a) * b, axis=1), 2 * a

    rng = np.random.default_rng(0)
    for m in (0, 1, 2, 3, 5, 6, 7, 8, 9):
        a, b = rng.normal(size=(2, m, 3)).astype(np.float32)
        dots, doubled = on_padded_rows(rows, a, b)
        np.testing.assert_allclose(dots, np.sum(np.tanh(a) * b, axis=1), rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(doubled, 2 * a)
    assert traced == [0, 1, 2, 4, 8, 16]
