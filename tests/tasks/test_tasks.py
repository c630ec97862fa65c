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
@given(seed=st.integers(0, 2**31 - 1), n_bits=st.integers(1, 4), p_flip=st.floats(0.01, 0.5),
       initial_pulse=st.booleans())
def test_flipflop_targets_hold_last_pulse(seed, n_bits, p_flip, initial_pulse):
    batch = FlipFlop(n_bits=n_bits, n_time=40, p_flip=p_flip, initial_pulse=initial_pulse).sample(8, seed=seed)
    assert set(np.unique(batch.inputs)) <= {-1.0, 0.0, 1.0}
    np.testing.assert_array_equal(batch.targets, held_values(batch.inputs))
    assert batch.mask.shape == batch.targets.shape and np.all(batch.mask == 1)


def test_flipflop_pulses_every_bit_at_t0_so_targets_are_never_zero():
    """FixedPointFinder's FlipFlopData (which the paper follows): a pulse of random sign
    on every bit at t = 0, so every target is +1 or -1."""
    batch = FlipFlop(p_flip=0.05).sample(512, seed=1)
    assert np.all(batch.inputs[:, 0] != 0)
    assert abs(np.mean(batch.inputs[:, 0] > 0) - 0.5) < 0.05
    assert np.all(np.abs(batch.targets) == 1)
    without = FlipFlop(p_flip=0.05, initial_pulse=False).sample(512, seed=1)
    assert np.mean(without.targets == 0) > 0.1  # the option turns it off: 0 until the first pulse


def test_flipflop_pulse_rate_and_balance():
    batch = FlipFlop(p_flip=0.05).sample(256, seed=1)
    later = batch.inputs[:, 1:]
    assert abs(np.mean(later != 0) - 0.05) < 0.005
    assert abs(np.mean(later[later != 0])) < 0.05


def test_flipflop_probe_visits_every_corner_from_t0():
    task = FlipFlop()
    probe = task.probe(2000)
    assert probe.shape == (20, 100, 3) and probe.dtype == np.float32
    corners = {tuple(row) for row in held_values(probe).reshape(-1, 3)}
    assert corners == {(a, b, c) for a in (-1.0, 1.0) for b in (-1.0, 1.0) for c in (-1.0, 1.0)}
    assert len({tuple(row) for row in probe[:8, 0]}) == 8  # each of the first 8 trials starts at its own corner
    np.testing.assert_array_equal(probe, task.probe(2000))  # the same for every network


def test_sine_probe_is_every_frequency_on_a_refined_grid():
    task = SineWave(n_time=100, n_frequencies=11)
    probe = task.probe(2000)
    assert probe.shape[0] * probe.shape[1] >= 2000 and probe.shape == (21, 100, 1)
    omega = probe[:, 0, 0] * task.omega_max
    # every trained frequency is a probe trial, and the refined grid is evenly spaced
    assert np.all(np.min(np.abs(task.frequencies[:, None] - omega[None]), axis=1) < 1e-6)
    np.testing.assert_allclose(np.diff(omega), (task.omega_max - task.omega_min) / 20, rtol=1e-5)
    assert SineWave().probe(2000).shape == (51, 500, 1)  # the paper's task: already 25,500 samples


def test_context_probe_is_both_contexts_over_a_grid_of_biases():
    task = ContextIntegration(n_time=50)
    probe = task.probe(2000)
    assert probe.shape == (50, 50, 4)  # 2 contexts x 5 x 5 biases
    assert np.all(probe == probe[:, :1])  # no noise: condition averages
    contexts = probe[:, 0, 2:]
    np.testing.assert_array_equal(np.sort(contexts.argmax(1)), np.repeat([0, 1], 25))
    biases = probe[:, 0, :2] * task.n_time
    for c in range(2):
        grid = {tuple(np.round(b, 6)) for b in biases[contexts.argmax(1) == c]}
        assert grid == {(a, b) for a in np.linspace(-1, 1, 5) for b in np.linspace(-1, 1, 5)}


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
