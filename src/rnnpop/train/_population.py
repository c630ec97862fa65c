"""Train a group of same-shape networks together in one jitted program."""

from __future__ import annotations

import dataclasses
import functools
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .._progress import Progress
from ..models import Network
from ..models._cells import CELLS
from ..models._recurrence import bf16_unsupported
from ..tasks import Task
from ._config import GroupSpec, TrainConfig
from ._hyper import FIELDS, Hyperparameters
from ._devices import network_mesh, place, shard_networks
from ._optim import make_optimizer, weight_penalty



@dataclasses.dataclass(frozen=True)
class GroupResult:
    """A trained group; every array has the networks on its leading axis ``N``.

    ``train_loss (N,)``: mean MSE over the last logged interval; ``validation_loss
    (N,)``: MSE on the shared validation batch; ``curves (N, n_chunks)``: mean MSE per
    logged interval; ``diverged (N,)``: the loss or weights became non-finite, and
    the network was frozen at its last finite parameters.
    """

    networks: Network
    untrained: Network
    hyperparameters: Hyperparameters
    train_loss: np.ndarray
    validation_loss: np.ndarray
    curves: np.ndarray
    diverged: np.ndarray
    seconds: float


def init_networks(task: Task, spec: GroupSpec, seeds: np.ndarray) -> Network:
    """Stacked untrained (initial) networks, one per seed: leaves ``(N, ...)``."""
    nets = [_init_network(task, spec, jnp.uint32(seed)) for seed in np.asarray(seeds)]
    return jax.tree_util.tree_map(lambda *leaves: np.stack(leaves), *nets)


def network_skeleton(task: Task, spec: GroupSpec, n: int) -> Network:
    """The shapes and dtypes of :func:`init_networks`' result for ``n`` seeds (nothing computed)."""
    one = eqx.filter_eval_shape(_init_network, task, spec, jnp.uint32(0))
    return jax.tree_util.tree_map(lambda x: jax.ShapeDtypeStruct((n, *x.shape), x.dtype), one)


@eqx.filter_jit  # one program per shape, whatever the group's size (eager init compiles each operation)
def _init_network(task: Task, spec: GroupSpec, seed: jax.Array) -> Network:
    return Network.create(spec.cell, spec.activation, n_inputs=task.n_inputs, n_units=spec.n_units,
                          n_outputs=task.n_outputs, key=jax.random.fold_in(jax.random.key(seed), 0))


def masked_mse(net: Network, inputs, targets, mask, matmul: str = "float32") -> jax.Array:
    """``Σ mask·(y − target)² / Σ mask`` over a batch ``(B, T, ·)`` (``matmul``: ``Network.batch``'s)."""
    _, outputs = net.batch(inputs, matmul)
    return jnp.sum(mask * jnp.square(outputs - targets)) / jnp.sum(mask)


def constant_baseline(task: Task, config: TrainConfig) -> float:
    """MSE of the best constant output on the validation batch (the loss to beat)."""
    _, targets, mask = validation_batch(task, config)
    mean = np.sum(mask * targets, axis=(0, 1)) / np.sum(mask, axis=(0, 1))
    return float(np.sum(mask * np.square(targets - mean)) / np.sum(mask))


@functools.lru_cache(maxsize=8)
def validation_batch(task: Task, config: TrainConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The shared validation batch ``(inputs, targets, mask)``, each ``(B, T, ·)``, generated once."""
    return tuple(np.asarray(x) for x in _generate(task, config.validation_seed, config.validation_size))


@functools.partial(jax.jit, static_argnums=(0, 2))
def _generate(task: Task, seed: int, size: int):
    return task.generate(jax.random.key(seed), size)


def _where(ok, new, old):
    return jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), new, old)


@functools.lru_cache(maxsize=32)
def _programs(task: Task, spec: GroupSpec, config: TrainConfig, vmap_size: int, mesh):
    """The jitted (init_opt, chunk, validate) programs of one group shape."""
    static = eqx.partition(network_skeleton(task, spec, 1), eqx.is_array)[1]

    def optimizer(hp):
        return make_optimizer(hp["learning_rate"], hp["decay"], hp["momentum"], hp["clip"],
                              decay_steps=config.resolved_decay_steps)

    # The optimiser sees a network's parameters as one flat vector (``ravel_pytree``): the
    # same updates, with one kernel per operation instead of one per leaf, which makes the
    # program faster to compile (an optimiser state is flat too).
    def loss_fn(flat, unravel, hp, batch):
        params = unravel(flat)
        mse = masked_mse(eqx.combine(params, static), *batch, config.matmul)
        return mse + hp["l2"] * weight_penalty(params), mse

    def train_one(args, start):
        params, opt_state, diverged, hp, data_key = args
        flat, unravel = ravel_pytree(params)
        opt = optimizer(hp)

        def iteration(carry, i):
            flat, opt_state, diverged = carry
            batch = task.generate(jax.random.fold_in(data_key, i), config.batch_size)
            (_, mse), grads = jax.value_and_grad(loss_fn, has_aux=True)(flat, unravel, hp, batch)
            updates, new_state = opt.update(grads, opt_state, flat)
            new_flat = flat + updates
            ok = ~diverged & jnp.isfinite(mse) & jnp.all(jnp.isfinite(new_flat))
            flat, opt_state = _where(ok, (new_flat, new_state), (flat, opt_state))
            return (flat, opt_state, ~ok), jnp.where(ok, mse, jnp.nan)

        steps = start + jnp.arange(config.log_every)
        (flat, opt_state, diverged), mses = jax.lax.scan(iteration, (flat, opt_state, diverged), steps)
        return unravel(flat), opt_state, diverged, jnp.mean(mses)

    @functools.partial(shard_networks, mesh=mesh)
    def chunk(params, opt_state, diverged, hp, data_keys, start):
        return jax.lax.map(lambda a: train_one(a, start), (params, opt_state, diverged, hp, data_keys),
                           batch_size=vmap_size)

    @functools.partial(shard_networks, mesh=mesh)
    def init_opt(params, hp):
        return jax.vmap(lambda p, h: optimizer(h).init(ravel_pytree(p)[0]))(params, hp)

    batch = validation_batch(task, config)  # constants of the validate program

    @functools.partial(shard_networks, mesh=mesh)
    def validate(params):
        return jax.lax.map(lambda p: masked_mse(eqx.combine(p, static), *batch), params,
                           batch_size=vmap_size)

    return init_opt, chunk, validate


def train_group(task: Task, spec: GroupSpec, hyperparameters: Hyperparameters,
                config: TrainConfig = TrainConfig(), *, progress: Progress | None = None) -> GroupResult:
    """Train ``len(hyperparameters)`` networks of shape ``spec`` on ``task`` together.

    Each network has its own seed (initial weights and its own stream of batches),
    learning rate, decay, momentum, clip and L2 strength. A network whose loss or
    weights become non-finite is frozen and flagged in ``diverged``; the others
    carry on unaffected. Same inputs, same numbers.

    Example:
        >>> hp = Hyperparameters(learning_rate=[0.05, 0.01], decay=[0.5, 0.5], momentum=[0.9, 0.9],
        ...                      clip=[1.0, 1.0], l2=[0.0, 0.0], seed=[0, 1])
        >>> result = train_group(FlipFlop(), GroupSpec("gru", "tanh", 32), hp,
        ...                      TrainConfig(n_iterations=200))
    """
    if config.matmul == "bfloat16" and (why := bf16_unsupported(CELLS[spec.cell], spec.n_units)) is not None:
        raise ValueError(why)
    start_time = time.perf_counter()
    n = len(hyperparameters)
    mesh = network_mesh()
    vmap_size = config.resolved_vmap_size(-(-n // mesh.size))
    block = mesh.size * vmap_size  # networks per call of the compiled programs
    init_opt, chunk, validate = _programs(task, spec, config, vmap_size, mesh)
    # The group is padded to whole blocks with copies of its last network (dropped again
    # below) and trained block by block: the programs' shapes depend on the block, not on
    # the group's size, so a group's search and seed phases share one compilation.
    n_padded = -(-n // block) * block
    padded = hyperparameters.select(np.minimum(np.arange(n_padded), n - 1))
    initial = init_networks(task, spec, padded.seed)
    per_network = (eqx.partition(initial, eqx.is_array)[0], {k: np.asarray(getattr(padded, k)) for k in FIELDS},
                   jax.vmap(lambda s: jax.random.fold_in(jax.random.key(s), 1))(jnp.asarray(padded.seed, jnp.uint32)))
    blocks = []  # per block: (params, opt_state, diverged, hp, data_keys)
    for b in range(0, n_padded, block):
        params, hp, keys = place(jax.tree_util.tree_map(lambda x: x[b:b + block], per_network), mesh)
        blocks.append((params, init_opt(params, hp), place(jnp.zeros((block,), bool), mesh), hp, keys))
    curves = np.full((n, config.n_chunks), np.nan, np.float32)
    for c in range(config.n_chunks):
        losses = []
        for k, (params, opt_state, diverged, hp, keys) in enumerate(blocks):
            params, opt_state, diverged, loss = chunk(params, opt_state, diverged, hp, keys, c * config.log_every)
            blocks[k] = (params, opt_state, diverged, hp, keys)
            losses.append(loss)
        curves[:, c] = np.concatenate([np.asarray(x) for x in losses])[:n]
        if progress is not None:
            finite = curves[:, c][np.isfinite(curves[:, c])]
            progress("train", min((c + 1) * config.log_every, config.n_iterations), config.n_iterations,
                     loss=float(np.median(finite)) if finite.size else float("nan"))
    diverged = np.concatenate([np.asarray(b[2]) for b in blocks])[:n]
    validation = np.concatenate([np.asarray(validate(b[0])) for b in blocks])[:n]
    validation = np.where(diverged, np.nan, validation).astype(np.float32)
    params = jax.tree_util.tree_map(lambda *x: np.concatenate([np.asarray(v) for v in x])[:n],
                                    *[b[0] for b in blocks])
    initial = jax.tree_util.tree_map(lambda x: np.asarray(x)[:n], initial)
    static = eqx.partition(initial, eqx.is_array)[1]
    return GroupResult(
        networks=eqx.combine(params, static), untrained=initial, hyperparameters=hyperparameters,
        train_loss=np.where(diverged, np.nan, curves[:, -1]).astype(np.float32),
        validation_loss=validation, curves=curves, diverged=diverged,
        seconds=time.perf_counter() - start_time,
    )
