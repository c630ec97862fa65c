import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rnnpop.similarity import METRICS, cka, pairwise, procrustes, svcca


def rng_rep(seed, n=120, d=8):
    return np.random.default_rng(seed).normal(size=(n, d)) @ np.random.default_rng(seed + 1).normal(size=(d, d))


def orthogonal(d, seed):
    return np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))[0]


# --- independent reference implementations (kernel form, straight from the papers) ---

def hsic_biased(K, L):
    n = len(K)
    H = np.eye(n) - 1.0 / n
    return np.trace(K @ H @ L @ H) / (n - 1) ** 2


def hsic_unbiased(K, L):
    """Song et al. (2012), eq. 5."""
    n = len(K)
    K, L = K.copy(), L.copy()
    np.fill_diagonal(K, 0)
    np.fill_diagonal(L, 0)
    one = np.ones(n)
    return (np.trace(K @ L) + (one @ K @ one) * (one @ L @ one) / ((n - 1) * (n - 2))
            - 2.0 / (n - 2) * one @ K @ L @ one) / (n * (n - 3))


def cka_reference(X, Y, hsic):
    K, L = X @ X.T, Y @ Y.T
    return hsic(K, L) / np.sqrt(hsic(K, K) * hsic(L, L))


def cca_reference(X, Y):
    """Canonical correlations via whitening: eigen-decomposition of Σxx⁻¹ Σxy Σyy⁻¹ Σyx."""
    X, Y = X - X.mean(0), Y - Y.mean(0)
    Sxx, Syy, Sxy = X.T @ X, Y.T @ Y, X.T @ Y
    M = np.linalg.solve(Sxx, Sxy) @ np.linalg.solve(Syy, Sxy.T)
    rho2 = np.sort(np.linalg.eigvals(M).real)[::-1][: min(X.shape[1], Y.shape[1])]
    return np.sqrt(np.clip(rho2, 0, 1))


# --- closed forms and invariances ---

@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100.0))
def test_cka_and_procrustes_invariant_to_orthogonal_scaling_translation(seed, scale):
    X = rng_rep(seed)
    Y = scale * X @ orthogonal(8, seed + 7) + np.random.default_rng(seed).normal(size=8)
    assert cka(X, Y) == pytest.approx(1.0, abs=1e-9)
    assert cka(X, Y, debiased=True) == pytest.approx(1.0, abs=1e-9)
    assert procrustes(X, Y) == pytest.approx(0.0, abs=2e-6)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
@example(seed=157)  # cond(X·A) 1.4e5: the Gram-route basis alone gave 1 − 1.0e-9
def test_svcca_invariant_to_invertible_maps_and_cka_is_not(seed):
    X = rng_rep(seed)
    A = np.random.default_rng(seed + 3).normal(size=(8, 8)) + 3 * np.eye(8)
    A[:, 0] *= 20  # strongly anisotropic, so CKA must notice
    assert svcca(X, X @ A, variance=1.0) == pytest.approx(1.0, abs=1e-9)
    assert cka(X, X @ A) < 0.99


def test_cka_matches_the_kernel_form_reference_biased_and_unbiased():
    X, Y = rng_rep(1, n=60, d=5), rng_rep(2, n=60, d=9)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    assert cka(X, Y) == pytest.approx(cka_reference(Xc, Yc, hsic_biased), rel=1e-10)
    assert cka(X, Y, debiased=True) == pytest.approx(cka_reference(Xc, Yc, hsic_unbiased), rel=1e-9)
    assert cka(X, Y, debiased=True) != pytest.approx(cka(X, Y), rel=1e-3)


def test_svcca_matches_classical_cca_on_the_retained_subspace():
    X, Y = rng_rep(3, n=200, d=6), rng_rep(4, n=200, d=4)
    assert svcca(X, Y, variance=1.0) == pytest.approx(np.mean(cca_reference(X, Y)), abs=1e-9)
    # with fewer components kept, it is CCA between the top principal components of each

    def top_components(A, variance):
        U, s, _ = np.linalg.svd(A - A.mean(0), full_matrices=False)
        k = int(np.searchsorted(np.cumsum(s**2) / np.sum(s**2), variance) + 1)
        return U[:, :k] * s[:k]

    reduced = cca_reference(top_components(X, 0.8), top_components(Y, 0.8))
    assert svcca(X, Y, variance=0.8) == pytest.approx(np.mean(reduced), abs=1e-9)


def test_procrustes_is_a_metric_on_examples():
    reps = [rng_rep(s, n=50, d=6) for s in range(5)]
    D = np.array([[procrustes(a, b) for b in reps] for a in reps])
    assert np.allclose(D, D.T, atol=1e-9) and np.allclose(np.diag(D), 0, atol=2e-6)
    for i in range(5):
        for j in range(5):
            for k in range(5):
                assert D[i, k] <= D[i, j] + D[j, k] + 1e-9


def test_symmetry():
    X, Y = rng_rep(5), rng_rep(6, d=11)
    for f in (cka, svcca, procrustes):
        assert f(X, Y) == pytest.approx(f(Y, X), abs=1e-9)


# --- pairwise ---

@pytest.mark.parametrize("metric", METRICS)
def test_pairwise_equals_the_per_pair_functions_with_mixed_widths(metric):
    reps = [rng_rep(s, n=90, d=d) for s, d in enumerate([3, 7, 7, 12, 5])]
    D = pairwise(reps, metric=metric, block_size=2)
    per_pair = {"cka": lambda a, b: 1 - cka(a, b), "svcca": lambda a, b: 1 - svcca(a, b),
                "procrustes": procrustes}[metric]
    expected = np.array([[0.0 if i == j else per_pair(a, b) for j, b in enumerate(reps)]
                         for i, a in enumerate(reps)])
    np.testing.assert_allclose(D, expected, atol=1e-6)
    assert np.array_equal(D, D.T) and np.all(np.diag(D) == 0)


def test_pairwise_debiased_cka_and_progress():
    reps = [rng_rep(s, n=40, d=4) for s in range(4)]
    calls = []
    D = pairwise(reps, metric="cka", debiased=True, block_size=3, progress=lambda _step, d, t: calls.append((d, t)))
    assert D[0, 1] == pytest.approx(1 - cka(reps[0], reps[1], debiased=True), abs=1e-6)
    assert calls[-1] == (3, 3)


# --- degenerate input: a clear error or a defined value, never a silent NaN ---

def test_constant_columns_are_fine_but_all_constant_is_an_error():
    X = rng_rep(7)
    Xc = np.concatenate([X, np.ones((len(X), 2))], axis=1)  # two dead units
    assert cka(X, Xc) == pytest.approx(1.0, abs=1e-9) and svcca(X, Xc) == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError, match="no variance"):
        cka(X, np.ones_like(X))
    with pytest.raises(ValueError, match="no variance"):
        pairwise([X, np.zeros_like(X)], metric="svcca")


def test_fewer_samples_than_units_gives_defined_values():
    X, Y = rng_rep(8, n=10, d=30), rng_rep(9, n=10, d=40)
    for value in (cka(X, Y), svcca(X, Y), procrustes(X, Y), *pairwise([X, Y], metric="svcca").ravel()):
        assert np.isfinite(value)


def test_nan_and_shape_errors_are_named():
    X = rng_rep(10)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cka(X, bad)
    with pytest.raises(ValueError, match=r"reps\[1\].*NaN"):
        pairwise([X, bad], metric="cka")
    with pytest.raises(ValueError, match="same number of samples"):
        svcca(X, X[:50])
    with pytest.raises(ValueError, match="metric"):
        pairwise([X, X], metric="cca")
    with pytest.raises(ValueError, match="variance"):
        svcca(X, X, variance=0.0)
