import numpy as np
import pytest

from rnnpop.tasks import FlipFlop
from rnnpop.train import GroupSpec, SearchPlan, SearchSpace, TrainConfig, search_and_train
from rnnpop.train._search import _best_per_l2


def test_search_draws_lie_in_their_ranges_and_are_log_uniform():
    space = SearchSpace()
    draws = space.draw(4000, seed=0)
    assert draws["clip"].min() >= 0.1 and draws["clip"].max() <= 10
    assert draws["learning_rate"].min() >= 1e-5 and draws["learning_rate"].max() <= 0.1
    assert 0.1 <= draws["decay"].min() and draws["decay"].max() <= 0.9
    # log-uniform: the median of the learning rate is the geometric mean of the bounds
    assert abs(np.log10(np.median(draws["learning_rate"])) - (-3.0)) < 0.1
    assert abs(np.median(draws["momentum"]) - 0.5) < 0.05
    np.testing.assert_array_equal(space.draw(5, seed=1)["clip"], space.draw(5, seed=1)["clip"])


def test_best_draw_is_chosen_per_l2_block_ignoring_diverged():
    validation = np.array([0.5, np.nan, 0.2, 0.9, 0.1, 0.3])
    np.testing.assert_array_equal(_best_per_l2(validation, 2, 3), [2, 4])


def test_search_then_seeds_uses_the_selected_hyperparameters():
    plan = SearchPlan(l2=(0.0, 1e-3), n_search=3, n_seeds=2,
                      space=SearchSpace(learning_rate=(1e-3, 0.1)), seed=3)
    config = TrainConfig(n_iterations=40, batch_size=16, log_every=20, validation_size=32)
    result, table = search_and_train(FlipFlop(n_time=20), GroupSpec("vanilla", "tanh", 8), plan, config,
                                     group_id="g")
    assert len(table) == 2 * (3 + 2) == len(result.train_loss)
    search, seeds = table[table.phase == "search"], table[table.phase == "seed"]
    for l2 in (0.0, 1e-3):
        block = search[np.isclose(search.l2, l2)]
        best = block.loc[block.validation_loss.idxmin()]
        assert best.selected and block.selected.sum() == 1
        chosen = seeds[np.isclose(seeds.l2, l2)]
        assert np.allclose(chosen.learning_rate, best.learning_rate)
        assert chosen.seed.nunique() == 2 and not set(chosen.seed) & set(block.seed)
    assert (table.baseline_loss > 0).all()


def test_bad_search_ranges_name_the_field():
    with pytest.raises(ValueError, match="search.learning_rate"):
        SearchSpace(learning_rate=(0.0, 0.1))
    with pytest.raises(ValueError, match="search.clip"):
        SearchSpace(clip=(5.0, 1.0))


def test_finite_but_exploded_networks_count_as_diverged():
    import pandas as pd

    from rnnpop.train._search import EXPLODED, mark_exploded

    table = pd.DataFrame({"validation_loss": [0.1, 0.5 * EXPLODED * 0.2, 2 * EXPLODED * 0.2, 1e30, np.nan, 0.1],
                          "baseline_loss": 0.2, "status": ["ok"] * 5 + ["diverged"]})
    assert mark_exploded(table).status.tolist() == ["ok", "ok", "diverged", "diverged", "diverged", "diverged"]
