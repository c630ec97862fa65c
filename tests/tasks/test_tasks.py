import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnpop.tasks import ContextIntegration, FlipFlop, SineWave, make_task


def held_values(inputs):
    """Reference flip-flop target: hold the last non-zero input, 0 before the first."""
    targets = np.zeros_like(inputs)
    state = np.zeros(inputs.shape[0::2])
    for t in range(inputs.shape[1]):
        state = np.where(inputs[:, t] != 0, inputs[:, t], state)
        targets[:, t] = state
    return targets


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_bits=st.integers(1, 4), p_flip=st.floats(0.01, 0.5))
def test_flipflop_targets_hold_last_pulse(seed, n_bits, p_flip):
    batch = FlipFlop(n_bits=n_bits, n_time=40, p_flip=p_flip).sample(8, seed=seed)
    assert set(np.unique(batch.inputs)) <= {-1.0, 0.0, 1.0}
    np.testing.assert_array_equal(batch.targets, held_values(batch.inputs))
    assert batch.mask.shape == batch.targets.shape and np.all(batch.mask == 1)


def test_flipflop_pulse_rate_and_balance():
    batch = FlipFlop(p_flip=0.05).sample(256, seed=1)
    rate = np.mean(batch.inputs != 0)
    assert abs(rate - 0.05) < 0.005
    assert abs(np.mean(batch.inputs[batch.inputs != 0])) < 0.05


def test_sine_target_is_sine_of_cued_frequency():
    task = SineWave(n_time=60, n_frequencies=11)
    batch = task.sample(16, seed=3)
    omega = batch.inputs[:, 0, 0] * task.omega_max
    assert np.all(np.isclose(batch.inputs, batch.inputs[:, :1]))  # static input
    assert np.all(np.min(np.abs(omega[:, None] - task.frequencies[None]), axis=1) < 1e-6)
    t = np.arange(60)
    np.testing.assert_allclose(batch.targets[..., 0], np.sin(omega[:, None] * t), atol=2e-5)
    assert task.conditions().shape == (11, 1)


def test_context_target_is_running_sum_of_cued_stream():
    task = ContextIntegration(n_contexts=3, n_time=30, noise_std=0.5)
    batch = task.sample(32, seed=4)
    streams, context = batch.inputs[..., :3], batch.inputs[..., 3:]
    assert np.all(context.sum(-1) == 1) and np.all(context == context[:, :1])
    cued = np.take_along_axis(streams, context[:, :1].argmax(-1)[:, :, None], axis=2)
    np.testing.assert_allclose(batch.targets, np.cumsum(cued, axis=1), atol=1e-6)
    # the mean drift of each stream is mu_k / n_time with mu_k in (-1, 1)
    assert np.all(np.abs(streams.mean(1) * 30) < 1 + 3 * 0.5 / np.sqrt(30) * 4)
    np.testing.assert_array_equal(task.conditions()[:, 3:], np.eye(3))
    np.testing.assert_array_equal(task.conditions()[:, :3], 0)


@pytest.mark.parametrize("task", [FlipFlop(n_time=20), SineWave(n_time=20), ContextIntegration(n_time=20)])
def test_same_seed_same_batch_other_seed_other_batch(task):
    a, b, c = task.sample(4, seed=7), task.sample(4, seed=7), task.sample(4, seed=8)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert not np.array_equal(a.targets, c.targets)
    assert a.inputs.dtype == np.float32 and a.inputs.shape == (4, 20, task.n_inputs)
    assert a.targets.shape == (4, 20, task.n_outputs)


@pytest.mark.parametrize("name,options,field", [
    ("flipflop", {"p_flip": 1.5}, "p_flip"), ("flipflop", {"n_bits": 0}, "n_bits"),
    ("sine", {"omega_max": 0.05}, "omega_max"), ("context", {"noise_std": -1.0}, "noise_std"),
    ("context", {"bogus": 1}, "bogus"), ("nope", {}, "nope"),
])
def test_bad_task_options_name_the_field(name, options, field):
    with pytest.raises(ValueError, match=field):
        make_task(name, **options)
