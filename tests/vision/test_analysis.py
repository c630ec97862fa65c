import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster

from rnnpop.vision import (accuracy_per_step, analysed_groups, continued_evolution, future_class_alignment,
                           norms_by_stability, readout_linkage, stability_split, step_sizes, winning_cosine)

# hand-made prediction sequences over T = 6 steps
CASES = [
    # predictions,          label, t_stable, stable, correct
    ([3, 3, 3, 3, 3, 3],    3,     0,        True,   True),   # right from the start
    ([1, 2, 3, 3, 3, 3],    3,     2,        True,   True),   # settles at t = 2
    ([1, 2, 0, 0, 5, 5],    5,     4,        True,   True),   # settles on the last two steps
    ([1, 2, 0, 0, 0, 4],    4,     -1,       False,  True),   # final run of 1 step: unstable, label seen
    ([4, 2, 4, 4, 4, 4],    4,     -1,       False,  True),   # final class seen before its run: unstable
    ([4, 2, 1, 1, 1, 1],    4,     2,        True,   False),  # stable on the wrong class
    ([0, 1, 0, 1, 0, 1],    7,     -1,       False,  False),  # flickers, label never predicted
]


def test_stability_split_on_hand_made_sequences():
    predictions = np.array([c[0] for c in CASES])
    labels = np.array([c[1] for c in CASES])
    split = stability_split(predictions, labels)
    assert split.t_stable.tolist() == [c[2] for c in CASES]
    assert split.stable.tolist() == [c[3] for c in CASES]
    assert split.correct.tolist() == [c[4] for c in CASES]


def test_stability_split_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="predictions must be"):
        stability_split(np.zeros((3, 4)), np.zeros(2))


def test_accuracy_per_step():
    predictions = np.array([[0, 1, 1], [0, 0, 1]])
    np.testing.assert_allclose(accuracy_per_step(predictions, np.array([1, 1])), [0.0, 0.5, 1.0])


def test_step_sizes_and_continued_evolution_grouped_by_t_stable():
    # two stable-correct images: one stable at 0, one at 2; steps of known length along an axis
    predictions = np.array([[1, 1, 1, 1], [0, 2, 1, 1], [0, 1, 0, 2]])
    labels = np.array([1, 1, 2])
    split = stability_split(predictions, labels)
    h = np.zeros((3, 4, 5))
    h[0, :, 0] = [0, 1, 3, 6]      # Δ = 1, 2, 3
    h[1, :, 1] = [0, 4, 4, 4]      # Δ = 4, 0, 0
    h[2, :, 2] = [0, 10, 20, 30]   # unstable: not counted
    np.testing.assert_allclose(step_sizes(h)[0], [1, 2, 3])
    evolution = continued_evolution(h, split)
    assert sorted(evolution) == [0, 2]
    np.testing.assert_allclose(evolution[0], [1, 2, 3])
    np.testing.assert_allclose(evolution[2], [4, 0, 0])


def test_norms_of_already_stable_vs_later_stable_images():
    predictions = np.array([[1, 1, 1], [0, 1, 1]])
    split = stability_split(predictions, np.array([1, 1]))  # t_stable 0 and 1
    h = np.zeros((2, 3, 2))
    h[0, :, 0] = [3.0, 4.0, 5.0]
    h[1, :, 1] = [1.0, 2.0, 6.0]
    already, later = norms_by_stability(h, split)
    np.testing.assert_allclose(already, [3.0, 3.0, 5.5])
    np.testing.assert_allclose(later, [1.0, np.nan, np.nan])


def test_winning_cosine_is_lower_for_peripheral_representations():
    W = np.eye(2)  # class 0 reads x, class 1 reads y
    central = np.array([1.0, 0.0])
    peripheral = np.array([1.0, 0.9])  # still in zone 0, near the boundary
    h = np.stack([np.stack([central] * 2), np.stack([peripheral] * 2)])
    cos = winning_cosine(h, W)
    np.testing.assert_allclose(cos[0], 1.0)
    np.testing.assert_allclose(cos[1], 1.0 / np.sqrt(1 + 0.81))


def test_future_class_alignment_is_per_pair_of_not_yet_stable_images_in_one_zone():
    """The authors' definition: pairs (i, j) of images that are not yet stable but will be
    stable-correct, in the same current zone, with different labels; i's future class
    against j's true class."""
    W = np.eye(3)
    labels = np.array([1, 2, 0, 1])
    # images 0, 1, 3 sit in zone 0 at t = 0 and become correct at t = 1; image 2 is
    # correct (class 0) from t = 0, so it is already stable and pairs with nobody
    predictions = np.array([[0, 1, 1], [0, 2, 2], [0, 0, 0], [0, 1, 1]])
    split = stability_split(predictions, labels)
    h = np.zeros((4, 3, 3))
    h[0, 0], h[1, 0], h[2, 0], h[3, 0] = [1, 0.8, 0.1], [1, 0.2, 0.9], [1, 0, 0], [1, 0.5, 0.0]
    h[:, 1:] = np.eye(3)[labels][:, None]
    future, others, wins = future_class_alignment(h, W, labels, split)
    n = np.linalg.norm(h[:, 0], axis=1)
    # pairs (0, 1), (1, 0), (3, 1), (1, 3); (0, 3) and (3, 0) share a label and are left out
    own = [0.8 / n[0], 0.9 / n[1], 0.5 / n[3], 0.9 / n[1]]
    other = [0.1 / n[0], 0.2 / n[1], 0.0 / n[3], 0.2 / n[1]]
    assert future[0] == pytest.approx(np.mean(own)) and others[0] == pytest.approx(np.mean(other))
    assert wins[0] == 1.0
    assert np.isnan(future[1]) and np.isnan(wins[2])  # from t = 1 on, every image is stable


def test_t_stable_groups_under_one_percent_of_the_first_are_left_out():
    T = 4
    labels = np.zeros(206, int)
    predictions = np.zeros((206, T), int)
    predictions[200, 0] = 1  # one image settles at t = 1: 1 < 1 % of the 200 settled at t = 0
    predictions[201:, :2] = 1  # five settle at t = 2: kept
    split = stability_split(predictions, labels)
    kept = analysed_groups(split, 0.01)
    assert kept[:200].all() and not kept[200] and kept[201:].all()


def test_readout_dendrogram_groups_similar_class_vectors():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=8), rng.normal(size=8)
    W = np.stack([a, a + 0.01 * rng.normal(size=8), b, b + 0.01 * rng.normal(size=8)])
    Z = readout_linkage(W)
    assert Z.shape == (3, 4)
    clusters = fcluster(Z, 2, criterion="maxclust")
    assert clusters[0] == clusters[1] and clusters[2] == clusters[3] and clusters[0] != clusters[2]


def _summary_rows(model, quantity, values, state="trained", t_stable=-1):
    variant, interaction = model.split("-")[:2]
    return [{"model": model, "variant": variant, "interaction": interaction, "seed": 0, "quantity": quantity,
             "state": state, "step": s, "t_stable": t_stable, "value": v} for s, v in enumerate(values)]


def test_vision_findings_count_networks_and_carry_their_controls():
    import pandas as pd

    from rnnpop.analysis import vision_findings

    rows = []
    models = [f"BL-additive-s{k}" for k in range(6)]
    for k, model in enumerate(models):
        rows += _summary_rows(model, "accuracy", [0.3, 0.5, 0.6] if k < 5 else [0.6, 0.5, 0.4])
        rows += _summary_rows(model, "norm_already", [4.0, 4.0, 4.0]) + _summary_rows(model, "norm_later", [3.0, 5.0, 2.0])
        rows += _summary_rows(model, "norm_incorrect", [5.0, 5.0, 5.0])
        rows += _summary_rows(model, "cosine_already", [0.5] * 3) + _summary_rows(model, "cosine_later", [0.6] * 3)
        rows += _summary_rows(model, "cosine_incorrect", [0.4] * 3)
        rows += _summary_rows(model, "future_wins", [0.9, 0.7, np.nan])
        for state, norm, step in (("trained", 4.0, 0.1), ("untrained", 4.0, 1.0)):  # 2.5 % vs 25 % of the norm
            rows += _summary_rows(model, "norm", [norm] * 3, state=state)
            rows += _summary_rows(model, "evolution", [0.9, step, step], state=state, t_stable=1)
    rows += _summary_rows("B-additive-s0", "accuracy", [0.4, 0.4, 0.4])  # feedforward: left out
    found = vision_findings(pd.DataFrame(rows))
    verdict = dict(zip(found.statistic, found.verdict))
    measured = dict(zip(found.statistic, found.measured))
    gain = "last − first step accuracy > 0, per network"
    assert measured[gain].startswith("5 of 6 networks") and verdict[gain] == "inconclusive"  # p = 0.109
    assert verdict["mean ‖h_t+1 − h_t‖ after t_stable > 5% of ‖h_t‖"] == "does not agree"  # 2.5 % in all six
    control = "relative step after t_stable: trained < the same network untrained (same images)"
    assert verdict[control] == "holds" and measured[control].startswith("6 of 6")
    norm = "not-yet-stable images: lower norm than already-stable ones, at most steps"
    assert verdict[norm] == "agrees"  # 2 of 3 steps in every network: p = 1/64
    assert verdict["stable-incorrect images: lower norm than already-stable correct ones, at most steps"] == \
        "does not hold"
    cosine = "not-yet-stable images: lower cosine with the winning readout vector than already-stable ones, at most steps"
    assert verdict[cosine] == "does not agree"
    assert found.verdict.iloc[-1] == "agrees" and "median 80% of pairs" in found.measured.iloc[-1]
    few = vision_findings(pd.DataFrame([r for r in rows if r["model"] in models[:2]]))
    assert set(few.verdict) == {"not testable at this size"}
