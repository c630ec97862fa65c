"""Fixed points of any step function: batched optimisation, then exact Newton refinement."""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._buckets import on_padded_rows
from ._linearise import Step, eigen_decomposition, jacobians


@dataclasses.dataclass(frozen=True)
class FixedPoints:
    """Unique fixed points of a map and its linearisation at each (M points, n units).

    ``states (M, n)``, ``inputs (M, n_in)``, ``q (M,)`` = ½‖step(h, x) − h‖²,
    ``jacobians (M, n, n)`` = d step / d h, ``input_jacobians (M, n, n_in)``,
    ``eigenvalues (M, n)`` complex, sorted by |λ| descending, ``right_eigenvectors
    (M, n, n)`` (columns), ``left_eigenvectors (M, n, n)`` (rows; L·R = I),
    ``n_unstable (M,)`` = #{|λ| > 1}, ``is_stable (M,)`` (discrete time) and
    ``is_slow (M,)``: an approximate point (q above the exact threshold, below the
    slow one), "not truly fixed but very slow on the time scale of the task".
    """

    states: np.ndarray
    inputs: np.ndarray
    q: np.ndarray
    jacobians: np.ndarray
    input_jacobians: np.ndarray
    eigenvalues: np.ndarray
    right_eigenvectors: np.ndarray
    left_eigenvectors: np.ndarray
    n_unstable: np.ndarray
    is_stable: np.ndarray
    is_slow: np.ndarray

    def __len__(self) -> int:
        return len(self.states)

    def select(self, index) -> "FixedPoints":
        return FixedPoints(**{f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)})

    @classmethod
    def from_states(cls, step: Step, states: np.ndarray, inputs: np.ndarray, *,
                    q_threshold: float = 1e-10) -> "FixedPoints":
        """Linearise ``step`` at the given (fixed or slow) states; points with
        q > ``q_threshold`` are marked slow."""
        states, inputs = np.asarray(states, np.float32), np.asarray(inputs, np.float32)
        q = np.asarray(on_padded_rows(lambda h, x: _speeds(step, h, x), states, inputs))
        dh, dx = jacobians(step, states, inputs)
        values, right, left = eigen_decomposition(dh)
        n_unstable = np.sum(np.abs(values) > 1.0, axis=-1)
        return cls(states, inputs, q, dh, dx, values, right, left, n_unstable, n_unstable == 0, q > q_threshold)


def _speed(step: Step, h, x):
    r = step(h, x) - h
    return 0.5 * jnp.sum(r * r)


@eqx.filter_jit
def _speeds(step, states, inputs):
    return jax.vmap(lambda h, x: _speed(step, h, x))(states, inputs)


@eqx.filter_jit
def _minimise(step, states, inputs, n_iterations, learning_rate):
    return _adam(step, states, inputs, n_iterations, learning_rate)


@eqx.filter_jit
def _minimise_population(step, networks, states, inputs, n_iterations, learning_rate):
    def one(net, s, x):
        return _adam(lambda h, u: step(net, h, u), s, x, n_iterations, learning_rate)

    return eqx.filter_vmap(one)(networks, states, inputs)


def _adam(step, states, inputs, n_iterations, learning_rate):
    opt = optax.adam(learning_rate)

    def loss(h):
        return jnp.sum(jax.vmap(lambda a, b: _speed(step, a, b))(h, inputs))

    def body(carry, _):
        h, state = carry
        updates, state = opt.update(jax.grad(loss)(h), state)
        return (optax.apply_updates(h, updates), state), None

    (h, _), _ = jax.lax.scan(body, (states, opt.init(states)), None, length=n_iterations)
    return h


@eqx.filter_jit
def _newton(step, states, inputs, n_steps, damping):
    """Levenberg–Marquardt on r(h) = step(h, x) − h; converges to saddles as well.

    A step is kept only when it lowers the speed. The loop ends after ``n_steps`` or
    as soon as no candidate's speed falls by at least half in a step: converging
    candidates gain orders of magnitude per step, so stopping then only spares
    work on points that have reached float precision or are not converging.
    """
    eye = jnp.eye(states.shape[1], dtype=states.dtype)

    def update(h, x):
        r = step(h, x) - h
        Jr = jax.jacfwd(step)(h, x) - eye
        JtJ = Jr.T @ Jr
        scale = damping * (jnp.trace(JtJ) / h.shape[0] + 1e-12)
        h_new = h - jnp.linalg.solve(JtJ + scale * eye, Jr.T @ r)
        q, q_new = _speed(step, h, x), _speed(step, h_new, x)
        return jnp.where(q_new <= q, h_new, h), q_new < 0.5 * q

    def body(carry):
        h, _, i = carry
        h, progress = jax.vmap(update)(h, inputs)
        return h, jnp.any(progress), i + 1

    def cond(carry):
        _, improving, i = carry
        return improving & (i < n_steps)

    return jax.lax.while_loop(cond, body, (states, jnp.array(True), 0))[0]


def find_fixed_points(step: Step, initial_states, inputs, *, q_threshold: float = 1e-10,
                      q_slow: float | None = None, n_iterations: int = 500, learning_rate: float = 1e-2, newton_steps: int = 20,
                      newton_damping: float = 1e-6, unique_tolerance: float = 1e-3,
                      outlier_distance: float = 10.0) -> FixedPoints:
    """Fixed points ``h* = step(h*, x)`` reached from ``initial_states (K, n)``.

    Minimises q(h) = ½‖step(h, x) − h‖² from every initial state at once with Adam
    (vmapped and jitted), then refines one representative of each cluster of
    candidates with ``newton_steps`` Levenberg–Marquardt steps on ``step(h, x) − h``, so true fixed points (saddles
    too) are exact to float32 precision and approximate ones settle at a local minimum
    of q. Keeps exact points (``q <= q_threshold``) and, with ``q_slow``, slow points
    (``q <= q_slow``, marked ``is_slow``; :func:`slow_q` turns "moves at most a fraction
    of the states' spread in one trial" into this bound), merges points closer than
    ``unique_tolerance`` (relative to the spread of the initial states) keeping the
    slowest, and drops points further than ``outlier_distance`` spreads from the
    initial states' centre (FixedPointFinder's rule and default).

    ``inputs`` is one static input ``(n_in,)`` for all, or ``(K, n_in)``.

    Example:
        >>> fps = find_fixed_points(net.step, h0, np.zeros(3))
        >>> fps.n_unstable   # per point: 0 for a stable point, k for a k-dimensional saddle
    """
    states, inputs = _check(initial_states, inputs)
    h = _minimise(step, states, inputs, n_iterations, learning_rate)
    return _finish(step, np.asarray(states), np.asarray(inputs), np.asarray(h), q_threshold=q_threshold,
                   q_slow=q_slow, newton_steps=newton_steps, newton_damping=newton_damping, unique_tolerance=unique_tolerance,
                   outlier_distance=outlier_distance)


def find_population_fixed_points(step, networks, initial_states, inputs, *, q_threshold: float = 1e-10,
                                 q_slow=None, n_iterations: int = 500, learning_rate: float = 1e-2, newton_steps: int = 20,
                                 newton_damping: float = 1e-6, unique_tolerance: float = 1e-3,
                                 outlier_distance: float = 10.0) -> list[FixedPoints]:
    """:func:`find_fixed_points` for N networks at once: the optimisation is vmapped
    across the networks (one jitted program), the refinement and filtering done per network.

    ``step(net, h, x) -> h_next`` (a function defined once, e.g. at module level, so it
    compiles once); ``networks`` a pytree with a leading network axis N;
    ``initial_states (N, K, n)``; ``inputs (n_in,)`` for all or ``(N, K, n_in)``.
    ``q_slow`` is one bound for all or one per network ``(N,)``.
    Returns one :class:`FixedPoints` per network, equal to calling
    :func:`find_fixed_points` on each.
    """
    states, inputs = _check(initial_states, inputs, "N, K")
    h = np.asarray(_minimise_population(step, networks, states, inputs, n_iterations, learning_rate))
    slow = np.broadcast_to(np.asarray(q_slow if q_slow is not None else np.nan, np.float64), states.shape[:1])
    out = []
    for i in range(states.shape[0]):
        net = jax.tree_util.tree_map(lambda a: a[i] if eqx.is_array(a) else a, networks)
        out.append(_finish(jax.tree_util.Partial(step, net), np.asarray(states[i]), np.asarray(inputs[i]), h[i],
                           q_threshold=q_threshold, q_slow=None if np.isnan(slow[i]) else float(slow[i]),
                           newton_steps=newton_steps, newton_damping=newton_damping,
                           unique_tolerance=unique_tolerance, outlier_distance=outlier_distance))
    return out


def _check(initial_states, inputs, lead: str = "K"):
    """``initial_states (*lead, n)`` and ``inputs`` ``(n_in,)`` or ``(*lead, n_in)``, as float32,
    the inputs broadcast over the leading axes (``lead`` names them, e.g. ``"N, K"``)."""
    n_lead = lead.count(",") + 1
    states = jnp.asarray(initial_states, jnp.float32)
    if states.ndim != n_lead + 1:
        raise ValueError(f"initial_states must be ({lead}, n_units), got shape {states.shape}")
    inputs = jnp.asarray(inputs, jnp.float32)
    if inputs.ndim == 1:
        inputs = jnp.broadcast_to(inputs, (*states.shape[:-1], inputs.shape[-1]))
    if inputs.shape[:-1] != states.shape[:-1]:
        raise ValueError(f"inputs must be (n_in,) or ({lead}={states.shape[:-1]}, n_in), got shape {inputs.shape}")
    return states, inputs


def slow_q(trajectories: np.ndarray, n_steps: int, fraction: float) -> float:
    """The q below which a point is slow: at speed ``sqrt(2q)`` per step, ``n_steps``
    steps (a trial) move the state by at most ``fraction`` of the RMS spread of
    ``trajectories (..., n)`` about their mean: ``q = ½ (fraction · spread / n_steps)²``."""
    flat = np.asarray(trajectories, np.float64).reshape(-1, np.shape(trajectories)[-1])
    spread = np.sqrt(np.mean(np.sum((flat - flat.mean(axis=0)) ** 2, axis=1)))
    return float(0.5 * (fraction * spread / n_steps) ** 2)


def _finish(step, states: np.ndarray, inputs: np.ndarray, h: np.ndarray, *, q_threshold, q_slow, newton_steps,
            newton_damping, unique_tolerance, outlier_distance) -> FixedPoints:
    """Refine the optimised candidates ``h (K, n)`` and keep the unique fixed points."""
    centre, spread = states.mean(axis=0), _spread(states)
    tolerance = unique_tolerance * spread
    x = inputs
    if newton_steps > 0:
        # candidates that the optimiser brought together converge to the same point:
        # refine one representative of each
        picked = _unique(h, x, np.asarray(_speeds(step, jnp.asarray(h), jnp.asarray(x))), tolerance)
        h = np.asarray(on_padded_rows(lambda a, b: _newton(step, a, b, newton_steps, newton_damping),
                                      h[picked], x[picked]))
        x = x[picked]
    q = np.asarray(on_padded_rows(lambda a, b: _speeds(step, a, b), h, x))
    inliers = np.linalg.norm(h - centre, axis=1) <= outlier_distance * spread
    keep = inliers & (q <= max(q_threshold, q_slow or 0.0)) & np.isfinite(q)
    h, x, q = h[keep], x[keep], q[keep]
    order = _unique(h, x, q, tolerance)
    return FixedPoints.from_states(step, h[order], x[order], q_threshold=q_threshold)


def _spread(states: np.ndarray) -> float:
    centre = states.mean(axis=0)
    return float(max(np.max(np.linalg.norm(states - centre, axis=1)), 1e-6))


def _unique(points: np.ndarray, inputs: np.ndarray, q: np.ndarray, tolerance: float) -> np.ndarray:
    """Indices of unique (point, input) pairs: greedily, slowest first, each point kept
    unless it lies within ``tolerance`` of an already kept point with the same input."""
    if len(points) == 0:
        return np.zeros(0, dtype=int)
    points = np.asarray(points, np.float64)  # the squared-norm expansion cancels in float32
    squared = np.sum(points**2, axis=1)
    distance = np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * points @ points.T, 0.0))
    same_input = np.all(inputs[:, None, :] == inputs[None, :, :], axis=-1)
    close = (distance <= tolerance) & same_input
    kept: list[int] = []
    for i in np.argsort(q, kind="stable"):
        if not close[i, kept].any():
            kept.append(int(i))
    return np.array(kept, dtype=int)
