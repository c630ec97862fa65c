import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnpop.vision import BLT, BLTConfig, blt_loss
from rnnpop.vision._layers import conv

SMALL = dict(widths=(4, 6, 8, 8, 12), image_size=16, n_classes=5, n_steps=4)
image = jax.random.normal(jax.random.key(1), (3, 16, 16))


def _net(variant, interaction="additive", seed=0):
    return BLT(BLTConfig(variant=variant, interaction=interaction, **SMALL), key=jax.random.key(seed))


def _recurrent_leaves(net):
    return [x for part in (net.lateral, net.top_down, net.gap_lateral) if part is not None
            for x in jax.tree_util.tree_leaves(eqx.filter(part, eqx.is_array))]


def test_shapes_and_non_negative_pooled_representation():
    logits, pooled = _net("BLT")(image)
    assert logits.shape == (4, 5) and pooled.shape == (4, 12)
    assert bool(jnp.all(pooled >= 0))


def test_recurrence_wiring_per_variant_as_the_authors_forward():
    """v2 (lateral, top-down from v4), v4 (lateral, top-down from it), it (lateral), gap
    (lateral); v1 only with v1_recurrent, and only gap with lt_position = "last"."""
    assert _recurrent_leaves(_net("B")) == []
    bl, bt, blt = _net("BL"), _net("BT"), _net("BLT")
    assert sorted(bl.lateral) == ["it", "v2", "v4"] and bl.top_down is None and bl.gap_lateral is not None
    assert bt.lateral is None and sorted(bt.top_down) == ["v2", "v4"] and bt.gap_lateral is None
    assert sorted(blt.lateral) == ["it", "v2", "v4"] and sorted(blt.top_down) == ["v2", "v4"]
    # top-down into v2 from v4's channels, into v4 from it's
    assert (blt.top_down["v2"].in_channels, blt.top_down["v2"].out_channels) == (8, 8)
    assert (blt.top_down["v4"].in_channels, blt.top_down["v4"].out_channels) == (12, 8)
    literal = BLT(BLTConfig(variant="BLT", v1_recurrent=True, **SMALL), key=jax.random.key(0))
    assert sorted(literal.lateral) == ["it", "v1", "v2", "v4"] and sorted(literal.top_down) == ["v1", "v2", "v4"]
    assert (literal.top_down["v1"].in_channels, literal.top_down["v1"].out_channels) == (8, 6)
    last = BLT(BLTConfig(variant="BLT", lt_position="last", **SMALL), key=jax.random.key(0))
    assert last.lateral is None and last.top_down is None and last.gap_lateral is not None


def test_v1_is_the_same_at_every_step_unless_v1_recurrent():
    images = image[None]
    for v1_recurrent, static in ((False, True), (True, False)):
        net = BLT(BLTConfig(variant="BLT", v1_recurrent=v1_recurrent, **SMALL), key=jax.random.key(0))
        x = jnp.transpose(images, (0, 2, 3, 1))
        retina = jax.nn.relu(conv(x, net.retina.weight) + net.retina.bias[:, 0, 0])
        drive = conv(retina, net.bottom_up["v1"].weight)
        first = net._step(retina, drive, None)
        second = net._step(retina, drive, first)
        assert bool(jnp.allclose(first["v1"], second["v1"])) == static
        assert not jnp.allclose(first["v2"], second["v2"])


def test_initial_weight_scales_are_the_authors():
    """Xavier-uniform (bound √(6 / (fan_in + fan_out))) for convolutions and linear maps;
    PyTorch's default for the transposed convolutions (bound 1/√(out · k²))."""
    config = BLTConfig(variant="BLT", widths=(16, 32, 32, 64, 64), image_size=16, n_classes=10, n_steps=2)
    net = BLT(config, key=jax.random.key(3))
    k2 = config.kernel**2

    def check(weight, bound):
        weight = np.asarray(weight)
        assert np.abs(weight).max() <= bound
        assert np.std(weight) == pytest.approx(bound / np.sqrt(3), rel=0.08)  # the std of U(−b, b)

    check(net.bottom_up["v4"].weight, np.sqrt(6 / ((32 + 64) * k2)))
    check(net.lateral["it"].weight, np.sqrt(6 / ((64 + 64) * k2)))
    check(net.readout.weight, np.sqrt(6 / (64 + 10)))
    check(net.gap_lateral.weight, np.sqrt(6 / (64 + 64)))
    # into v2 (32 channels) from v4 (64): PyTorch counts the output channels, not the input's
    check(net.top_down["v2"].weight, 1 / np.sqrt(32 * k2))


@pytest.mark.parametrize("variant", ["BL", "BT", "BLT"])
@pytest.mark.parametrize("interaction", ["additive", "multiplicative"])
def test_at_t0_every_variant_equals_the_feedforward_network(variant, interaction):
    b_logits, b_pooled = _net("B")(image)
    logits, pooled = _net(variant, interaction)(image)  # same key: same bottom-up weights
    np.testing.assert_allclose(logits[0], b_logits[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pooled[0], b_pooled[0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(pooled[1:], b_pooled[1:])  # recurrence changes the later steps
    np.testing.assert_allclose(b_pooled[1:], b_pooled[:1].repeat(3, 0), rtol=1e-6)  # B is static


def test_additive_and_multiplicative_differ_only_with_recurrent_drive():
    add, mul = _net("BLT", "additive"), _net("BLT", "multiplicative")
    np.testing.assert_allclose(add(image)[1][0], mul(image)[1][0], rtol=1e-6)  # t = 0: bottom-up only
    assert not np.allclose(add(image)[1][1:], mul(image)[1][1:])
    np.testing.assert_allclose(_zero_recurrence(add)(image)[1], _zero_recurrence(mul)(image)[1], rtol=1e-6)


def _zero_recurrence(net):
    parts = (net.lateral, net.top_down, net.gap_lateral)
    zeroed = jax.tree_util.tree_map(lambda x: jnp.zeros_like(x) if eqx.is_array(x) else x, parts)
    return eqx.tree_at(lambda n: (n.lateral, n.top_down, n.gap_lateral), net, zeroed)


def test_loss_sums_nll_over_time_and_trains():
    import optax

    net = _net("BLT")
    images = jax.random.normal(jax.random.key(2), (6, 3, 16, 16))
    labels = jnp.arange(6) % 5
    loss0 = blt_loss(net, images, labels)
    assert float(loss0) == pytest.approx(4 * np.log(5), rel=0.3)  # ~uniform at init, summed over 4 steps
    from rnnpop.vision import make_train_step

    opt = optax.adam(1e-2)
    state = opt.init(eqx.filter(net, eqx.is_array))
    step = make_train_step(opt)
    for _ in range(30):
        net, state, loss = step(net, state, images, labels)
    assert float(blt_loss(net, images, labels)) < 0.5 * float(loss0)


def test_bad_config_is_named():
    with pytest.raises(ValueError, match=r"variant must be one of \['B', 'BL', 'BT', 'BLT'\]"):
        BLTConfig(variant="LT")
    with pytest.raises(ValueError, match="interaction must be one of"):
        BLTConfig(interaction="gated")


def test_augment_is_seeded_keeps_uint8_and_shape():
    from rnnpop.vision import augment, standin_dataset

    images, _ = standin_dataset(12, size=32, seed=0)
    a, b = augment(images, seed=3), augment(images, seed=3)
    assert a.dtype == np.uint8 and a.shape == images.shape
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, augment(images, seed=4))


@pytest.mark.parametrize("kernel", [1, 3, 5])
def test_sub_pixel_upsampling_equals_the_transposed_convolution(kernel):
    from rnnpop.vision._layers import upsample

    conv = eqx.nn.ConvTranspose2d(5, 3, kernel, stride=2, padding=(kernel - 1) // 2, output_padding=1,
                                  use_bias=False, key=jax.random.key(kernel))
    x = jax.random.normal(jax.random.key(1), (2, 5, 6, 6))  # (B, C, h, w)
    expected = jax.vmap(conv)(x)
    got = upsample(conv, x.transpose(0, 2, 3, 1))  # channel-last in and out
    assert got.shape == (2, 12, 12, 3) and expected.shape == (2, 3, 12, 12)
    np.testing.assert_allclose(got.transpose(0, 3, 1, 2), expected, atol=1e-5)
