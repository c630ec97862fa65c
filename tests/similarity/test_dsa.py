"""DSA: the per-network HAVOK operator equals dsa-metric's; the per-pair distance has the
invariances of a metric over vector fields, matches a brute-force search where one is
possible, and is never more than 1e-2 rad above dsa-metric's own optimisation (both are
local searches of a non-convex problem); the Wasserstein score equals dsa-metric's."""

import numpy as np
import pytest

from rnnpop.similarity import dsa_distances, havok_operator, operator_distances
from rnnpop.similarity._dsa import _leading_right_vectors, delay_embedding


def rnn_trajectories(seed, n=8, trials=16, T=60, gain=1.2):
    rng = np.random.default_rng(seed)
    W = gain * rng.normal(size=(n, n)) / np.sqrt(n)
    h, out = rng.normal(size=(trials, n)), []
    for _ in range(T):
        h = np.tanh(h @ W.T)
        out.append(h)
    return np.stack(out, 1)


def rotation(n, seed=0):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def _signs(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """The ±1 per singular vector that makes S·ours·S agree with theirs: ours ⊙ theirs is
    about s sᵀ ⊙ |A|², so s is the sign pattern of its leading eigenvector."""
    product = ours * theirs
    _, vectors = np.linalg.eigh(product + product.T)
    signs = np.sign(vectors[:, -1])
    return np.where(signs == 0, 1.0, signs)


def test_rotated_copy_is_at_zero_and_distances_are_symmetric():
    A = havok_operator(rnn_trajectories(0), n_delays=3, rank=12)
    Q = rotation(12, 1)
    others = [havok_operator(rnn_trajectories(s), n_delays=3, rank=12) for s in (2, 3)]
    D = operator_distances([A, Q @ A @ Q.T, *others])
    assert D[0, 1] < 1e-4 and np.all(np.diag(D) == 0) and np.array_equal(D, D.T)
    assert D[0, 2] > 0.1
    # d(A, X) = d(QAQᵀ, X): the distance sees only the dynamics, not the coordinates
    assert abs(D[0, 2] - D[1, 2]) < 5e-3 and abs(D[0, 3] - D[1, 3]) < 5e-3
    # a network whose units are rotated has the same operator up to rotation: distance 0
    X = rnn_trajectories(0)
    rotated = X @ rotation(8, 4)
    assert dsa_distances([X, rotated], n_delays=3, rank=12)[0, 1] < 1e-3


def test_two_by_two_matches_a_brute_force_search_over_o2():
    rng = np.random.default_rng(5)
    A, B = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    A, B = A / np.linalg.norm(A), B / np.linalg.norm(B)
    best = -np.inf
    for angle in np.linspace(0, 2 * np.pi, 20001):
        c, s = np.cos(angle), np.sin(angle)
        for C in (np.array([[c, -s], [s, c]]), np.array([[c, s], [s, -c]])):
            best = max(best, np.trace(A.T @ C @ B @ C.T))
    assert operator_distances([A, B])[0, 1] == pytest.approx(np.arccos(best), abs=1e-4)


def test_leading_vectors_from_the_gram_matrix_equal_the_svd_up_to_sign():
    rng = np.random.default_rng(3)
    H = rng.normal(size=(500, 12)) * np.geomspace(10, 0.1, 12)  # well conditioned: the Gram path
    deficient = np.hstack([H[:, :4], H[:, :4] @ rng.normal(size=(4, 8))])  # rank 4: the SVD path
    for matrix, r in ((H, 12), (H, 5), (deficient, 6)):
        ours = _leading_right_vectors(matrix, r)
        svd = np.linalg.svd(matrix, full_matrices=False)[0][:, :r]
        np.testing.assert_allclose(np.abs(np.sum(ours * svd, axis=0)), 1.0, atol=1e-6)  # the same vectors
        np.testing.assert_allclose(ours.T @ ours, np.eye(r), atol=1e-6)


def test_too_short_trajectories_name_the_setting():
    with pytest.raises(ValueError, match="too short for n_delays=20"):
        havok_operator(np.zeros((2, 10, 3)), n_delays=20)
    with pytest.raises(ValueError, match="dsa_rank=50"):
        havok_operator(rnn_trajectories(0), n_delays=3, rank=50)


def test_equal_to_dsa_metric_havok_and_wasserstein_and_no_worse_angular():
    torch = pytest.importorskip("torch")
    dsa = pytest.importorskip("DSA")
    from DSA.dmd import DMD, embed_signal_torch

    X = [rnn_trajectories(s) for s in range(3)]
    # the embedding and the operator, as dsa-metric computes them
    np.testing.assert_allclose(delay_embedding(X[0], 4, 2), embed_signal_torch(torch.from_numpy(X[0]), 4, 2).numpy())
    for data in (X[0], X[0][0]):  # (trials, time, units) and (time, units)
        model = DMD(torch.from_numpy(data), n_delays=3, rank=10, lamb=0)
        model.fit()
        ours, theirs = havok_operator(data, n_delays=3, rank=10), model.A_v.numpy().astype(np.float64)
        # singular vectors are defined up to sign: compare S A S with the signs that match
        signs = _signs(ours, theirs)
        # to 1e-4: dsa-metric mixes float32 into its regression (its identity matrix)
        np.testing.assert_allclose(signs[:, None] * ours * signs[None, :], theirs, atol=1e-4)
    data = [torch.from_numpy(x).float() for x in X]
    torch.manual_seed(0)
    reference = np.asarray(dsa.DSA(data, n_delays=3, rank=10, score_method="wasserstein").fit_score())
    np.testing.assert_allclose(dsa_distances(X, n_delays=3, rank=10, score="wasserstein"), reference, atol=1e-5)
    torch.manual_seed(0)
    reference = np.asarray(dsa.DSA(data, n_delays=3, rank=10, score_method="angular", iters=1500,
                                   lr=5e-3).fit_score())
    ours = dsa_distances(X, n_delays=3, rank=10)
    upper = np.triu_indices(3, 1)
    # both minimise over O(r) by local search (non-convex): a lower angle is a better optimum;
    # rnnpop's is never more than 1e-2 rad above dsa-metric's, here it is lower on average
    assert np.all(ours[upper] <= reference[upper] + 1e-2), (ours, reference)
    assert ours[upper].mean() <= reference[upper].mean()


def test_blocks_spread_over_devices_give_the_same_distances_and_large_ranks_stay_finite():
    # rank 30 of slowly decaying dynamics: Adam's first steps are large; unclipped, the
    # products-only retraction left O(r) and returned NaN
    X = [rnn_trajectories(s, n=32, trials=8, T=60, gain=0.9) for s in range(4)]
    operators = [havok_operator(x, n_delays=10, rank=30) for x in X]
    operators.append(rotation(30, 7) @ operators[0] @ rotation(30, 7).T)
    whole = operator_distances(operators)
    assert np.all(np.isfinite(whole)) and whole[0, 4] < 1e-3
    others = whole + np.eye(5)
    others[0, 4] = others[4, 0] = 1.0
    assert np.all(others > 0.05)
    # ten pairs in blocks of four: two full blocks and a padded one
    np.testing.assert_allclose(operator_distances(operators, block_size=4), whole, atol=1e-5)


def test_search_settings_are_checked():
    A = havok_operator(rnn_trajectories(0), n_delays=3, rank=6)
    with pytest.raises(ValueError, match="keep must be between 1 and the 21 starts"):
        operator_distances([A, A], keep=22)
    with pytest.raises(ValueError, match="iters at least 3"):
        operator_distances([A, A], iters=2)


def test_two_host_devices_give_the_distances_of_one(tmp_path):
    # the pairs are sharded over JAX's devices (the cores after configure_cpu); run in a
    # fresh interpreter, since the device count is fixed when JAX starts
    import subprocess
    import sys

    operators = np.stack([havok_operator(rnn_trajectories(s), n_delays=3, rank=10) for s in range(5)])
    np.save(tmp_path / "operators.npy", operators)
    script = ("import sys, numpy as np\n"
              "from rnnpop.train import configure_cpu\n"
              "configure_cpu(2)\n"
              "import jax\n"
              "from rnnpop.similarity import operator_distances\n"
              "assert len(jax.local_devices()) == 2\n"
              "np.save(sys.argv[2], operator_distances(list(np.load(sys.argv[1])), block_size=4))\n")
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "operators.npy"), str(tmp_path / "two.npy")],
                   check=True, timeout=300)
    np.testing.assert_allclose(np.load(tmp_path / "two.npy"), operator_distances(list(operators)), atol=1e-5)
