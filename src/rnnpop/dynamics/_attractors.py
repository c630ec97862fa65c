"""Attractors reached by iterating a map: stable fixed points and stable cycles.

A discrete-time network can hold a memory on a stable cycle as well as on a stable fixed
point: when a fixed point's leading eigenvalue is real and below −1 (a flip instability),
the iterates near it can settle on a stable period-2 orbit around it, whose two points the
readout may not tell apart. Fixed points alone then show only unstable points where the
network in fact has attractors. This module finds the attractors directly, by iterating
the map from many states until the iterates repeat.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import numpy as np

from ._fixed_points import _check, _spread
from ._linearise import Step
from ._transitions import iterate


@dataclasses.dataclass(frozen=True)
class Attractors:
    """The orbits that iterates of a map from K starts settle on (A orbits, n units).

    ``states (A, n)``: one point of each orbit; ``iterates (A, P, n)``: the next ``P``
    (the search's ``max_period``) iterates from it, so that orbit a's points are
    ``iterates[a, :period[a]]``; ``mean_states (A, n)``: the mean over the orbit's points (a
    linear readout of it is the orbit's mean readout); ``inputs (A, n_in)``;
    ``period (A,)``: 1 for a stable fixed point, p for a cycle through p points;
    ``count (A,)``: how many starts reached it. ``n_unresolved``: starts whose iterates did
    not repeat with a period up to the search's ``max_period`` (still moving, a longer
    cycle, quasi-periodic or chaotic motion, or a divergence).
    """

    states: np.ndarray
    iterates: np.ndarray
    mean_states: np.ndarray
    inputs: np.ndarray
    period: np.ndarray
    count: np.ndarray
    n_unresolved: int

    def __len__(self) -> int:
        return len(self.states)


def _iterate(step, h, x, n_steps: int, max_period: int):
    """``(h_T, [h_{T+1} … h_{T+max_period}])`` after ``n_steps`` iterations from ``h``."""
    h = iterate(step, h, x, n_steps)

    def body(v, _):
        v = step(v, x)
        return v, v

    return h, jax.lax.scan(body, h, None, length=max_period)[1]


@eqx.filter_jit
def _settle(step, starts, inputs, n_steps, max_period):
    return jax.vmap(lambda h, x: _iterate(step, h, x, n_steps, max_period))(starts, inputs)


@eqx.filter_jit
def _settle_population(step, networks, starts, inputs, n_steps, max_period):
    def one(net, s, x):
        return jax.vmap(lambda h, u: _iterate(lambda a, b: step(net, a, b), h, u, n_steps, max_period))(s, x)

    return eqx.filter_vmap(one)(networks, starts, inputs)


def find_attractors(step: Step, initial_states, inputs, *, n_steps: int = 1000, max_period: int = 8,
                    tolerance: float = 1e-4, unique_tolerance: float = 1e-2) -> Attractors:
    """The stable fixed points and stable cycles that ``step`` settles on from
    ``initial_states (K, n)``, each start iterated with its static input.

    Each start is iterated ``n_steps`` times to ``h_T``; its period is the smallest
    ``p <= max_period`` with ``‖step^p(h_T) − h_T‖ <= tolerance · spread`` (spread: the
    initial states' largest distance from their centre). Starts that reach the same orbit
    (a point within ``unique_tolerance · spread`` of one of its points, the same period and
    input) are merged. Reached from a neighbourhood, the orbits are attracting: a period-1
    orbit is a stable fixed point, which :func:`find_fixed_points` finds too, or a state
    that still drifts by less than the tolerance per step (on a slow manifold, such as a
    line attractor, many of them).

    ``inputs`` is one static input ``(n_in,)`` for all, or ``(K, n_in)``.

    Example:
        >>> found = find_attractors(net.step, h0, np.zeros(3))
        >>> found.period          # e.g. [2 2 2 2 2 2 2 2]: eight stable period-2 orbits
    """
    states, inputs = _check(initial_states, inputs)
    ends, orbits = _settle(step, states, inputs, n_steps, max_period)
    return _orbits(np.asarray(ends), np.asarray(orbits), np.asarray(inputs), _spread(np.asarray(states)),
                   tolerance, unique_tolerance)


def find_population_attractors(step, networks, initial_states, inputs, *, n_steps: int = 1000, max_period: int = 8,
                               tolerance: float = 1e-4, unique_tolerance: float = 1e-2) -> list[Attractors]:
    """:func:`find_attractors` for N networks at once, vmapped across them (one jitted
    program): ``step(net, h, x) -> h_next`` (a function defined once, so it compiles once),
    ``networks`` a pytree with a leading network axis N, ``initial_states (N, K, n)``,
    ``inputs (n_in,)`` for all or ``(N, K, n_in)``. One :class:`Attractors` per network."""
    states, inputs = _check(initial_states, inputs, "N, K")
    ends, orbits = _settle_population(step, networks, states, inputs, n_steps, max_period)
    ends, orbits, states, inputs = (np.asarray(a) for a in (ends, orbits, states, inputs))
    return [_orbits(ends[i], orbits[i], inputs[i], _spread(states[i]), tolerance, unique_tolerance)
            for i in range(len(ends))]


def _orbits(ends: np.ndarray, orbits: np.ndarray, inputs: np.ndarray, spread: float, tolerance: float,
            unique_tolerance: float) -> Attractors:
    """``ends (K, n)`` and their next iterates ``orbits (K, P, n)`` -> the distinct orbits,
    kept greedily in the order of the starts."""
    n, P = ends.shape[1], orbits.shape[1]
    ends, orbits = ends.astype(np.float64), orbits.astype(np.float64)
    returns = np.linalg.norm(orbits - ends[:, None, :], axis=-1)  # (K, P): ‖step^p(h_T) − h_T‖
    closed = (returns <= tolerance * spread) & np.isfinite(returns)
    period = np.where(closed.any(axis=1), np.argmax(closed, axis=1) + 1, 0)
    kept, count = [], []
    for p in np.unique(period[period > 0]):
        rows = np.flatnonzero(period == p)
        # near[a, b]: start b's end lies on start a's orbit (one of its p points), same input
        gap = np.min([_distances(orbits[rows, k], ends[rows]) for k in range(p)], axis=0)
        same_input = np.all(inputs[rows][:, None, :] == inputs[rows][None, :, :], axis=-1)
        near = (gap <= unique_tolerance * spread) & same_input
        mine: list[int] = []
        for b in range(len(rows)):
            if not near[mine, b].any():
                mine.append(b)
        owner = np.array(mine)[np.argmax(near[mine], axis=0)]  # every start lies on a kept orbit
        kept += [int(rows[a]) for a in mine]
        count += [int(np.sum(owner == a)) for a in mine]
    idx = np.array(kept, dtype=int)
    means = np.array([orbits[k, : period[k]].mean(axis=0) for k in idx]).reshape(len(idx), n)
    return Attractors(ends[idx].astype(np.float32), orbits[idx].reshape(len(idx), P, n).astype(np.float32),
                      means.astype(np.float32), inputs[idx], period[idx], np.array(count, dtype=int),
                      int(np.sum(period == 0)))


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances ``(len(a), len(b))`` between the rows of two float64 arrays."""
    squared = np.sum(a**2, axis=1)[:, None] + np.sum(b**2, axis=1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(squared, 0.0))
