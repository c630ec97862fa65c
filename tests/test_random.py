"""rnnpop._random draws flat but must give jax.random's numbers for every shape."""

import jax
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnpop import _random

shapes = st.lists(st.integers(1, 7), min_size=0, max_size=4).map(tuple)


@settings(max_examples=15, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**31 - 1))
def test_flat_draws_equal_jax_random(shape, seed):
    key = jax.random.key(seed)
    np.testing.assert_array_equal(_random.normal(key, shape), jax.random.normal(key, shape))
    np.testing.assert_array_equal(_random.uniform(key, shape, -2.0, 3.0),
                                  jax.random.uniform(key, shape, minval=-2.0, maxval=3.0))
    assert _random.uniform(key, shape).shape == shape


def test_draws_are_not_all_equal():
    draw = np.asarray(_random.normal(jax.random.key(0), (3, 4, 5)))
    assert np.unique(draw).size == draw.size
