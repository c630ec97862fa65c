import jax
import numpy as np
import pytest

from rnnpop.tasks import FlipFlop
from rnnpop.train import GroupSpec, Hyperparameters, TrainConfig, train_group

TASK = FlipFlop(n_time=30)
CONFIG = TrainConfig(n_iterations=60, batch_size=16, log_every=20, validation_size=32)


def hyper(n, **overrides):
    values = dict(learning_rate=[0.05] * n, decay=[0.5] * n, momentum=[0.9] * n, clip=[1.0] * n,
                  l2=[0.0] * n, seed=list(range(n)))
    values.update(overrides)
    return Hyperparameters(**values)


def leaves(tree):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def test_group_training_equals_training_each_network_alone():
    hp = hyper(3, learning_rate=[0.05, 0.02, 0.08], l2=[0.0, 1e-3, 1e-4], seed=[11, 12, 13])
    spec = GroupSpec("gru", "tanh", 8)
    group = train_group(TASK, spec, hp, CONFIG)
    for i in range(3):
        alone = train_group(TASK, spec, hp.select(np.array([i])), CONFIG)
        for g, a in zip(leaves(group.networks), leaves(alone.networks)):
            np.testing.assert_allclose(g[i], a[0], rtol=2e-4, atol=2e-5)
        np.testing.assert_allclose(group.validation_loss[i], alone.validation_loss[0], rtol=1e-4)


def test_vmapped_layout_equals_sequential_layout():
    hp = hyper(4)
    spec = GroupSpec("vanilla", "tanh", 8)
    mapped = train_group(TASK, spec, hp, CONFIG)
    vmapped = train_group(TASK, spec, hp, TrainConfig(**{**CONFIG.__dict__, "vmap_size": 4}))
    for a, b in zip(leaves(mapped.networks), leaves(vmapped.networks)):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)


def test_per_network_learning_rates_really_differ_in_effect():
    hp = hyper(2, learning_rate=[0.001, 0.1], seed=[5, 5])  # same seed: same init, same batches
    result = train_group(TASK, GroupSpec("vanilla", "tanh", 8), hp, CONFIG)
    init, trained = leaves(result.untrained), leaves(result.networks)
    for w0, w in zip(init, trained):
        np.testing.assert_array_equal(w0[0], w0[1])
    moved = [np.sqrt(sum(np.sum((w[i] - w0[i]) ** 2) for w0, w in zip(init, trained))) for i in range(2)]
    assert moved[1] > 10 * moved[0]


def test_training_reduces_the_loss_and_is_deterministic():
    hp = hyper(2)
    spec = GroupSpec("lstm", "tanh", 16)
    config = TrainConfig(n_iterations=200, batch_size=32, log_every=50, validation_size=64)
    a = train_group(TASK, spec, hp, config)
    b = train_group(TASK, spec, hp, config)
    assert np.all(a.curves[:, -1] < 0.8 * a.curves[:, 0])
    np.testing.assert_array_equal(a.curves, b.curves)
    for x, y in zip(leaves(a.networks), leaves(b.networks)):
        np.testing.assert_array_equal(x, y)


def test_a_diverging_network_is_frozen_and_flagged_without_poisoning_the_group():
    hp = hyper(3, learning_rate=[0.05, 1e6, 0.05], clip=[1.0, 1e9, 1.0], momentum=[0.9, 0.99, 0.9])
    spec = GroupSpec("vanilla", "relu", 8)
    result = train_group(TASK, spec, hp, CONFIG)
    assert result.diverged.tolist() == [False, True, False]
    assert np.isnan(result.train_loss[1]) and np.isnan(result.validation_loss[1])
    assert np.all(np.isfinite(result.train_loss[[0, 2]]))
    for w in leaves(result.networks):
        assert np.all(np.isfinite(w))  # frozen at its last finite weights
    alone = train_group(TASK, spec, hp.select(np.array([0, 2])), CONFIG)
    np.testing.assert_allclose(result.validation_loss[[0, 2]], alone.validation_loss, rtol=1e-4)


@pytest.mark.parametrize("field,value", [("learning_rate", 0.0), ("momentum", 1.5), ("clip", -1.0),
                                         ("decay", 0.0), ("l2", float("nan"))])
def test_bad_hyperparameters_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        hyper(1, **{field: [value]})
