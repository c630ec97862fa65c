import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster

from rnnpop.vision import (accuracy_per_step, continued_evolution, future_class_alignment, norms_by_stability,
                           readout_linkage, stability_split, step_sizes, winning_cosine)

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


def test_future_class_alignment_compares_true_class_with_zone_mates_classes():
    W = np.eye(3)
    labels = np.array([1, 0, 2])
    # image 0 becomes correct at t = 1 (stable on class 1); at t = 0 it sits in zone 0 with image 1
    predictions = np.array([[0, 1, 1], [0, 0, 0], [2, 2, 2]])
    split = stability_split(predictions, labels)
    h = np.zeros((3, 3, 3))
    h[0, 0] = [1.0, 0.8, 0.0]
    h[0, 1:] = [0.0, 1.0, 0.0]
    h[1, :] = [1.0, 0.0, 0.0]
    h[2, :] = [0.0, 0.0, 1.0]
    future, others = future_class_alignment(h, W, labels, split)
    norm = np.sqrt(1 + 0.64)
    assert future[0] == pytest.approx(0.8 / norm) and others[0] == pytest.approx(1.0 / norm)
    assert np.isnan(future[1]) and np.isnan(others[1])


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


def test_vision_findings_follow_the_stated_thresholds():
    import pandas as pd

    from rnnpop.analysis import vision_findings

    rows = []
    for model, rising in (("BL-additive-s0", True), ("BT-additive-s0", True), ("B-additive-s0", False)):
        rows += _summary_rows(model, "accuracy", [0.3, 0.5, 0.6] if rising else [0.4, 0.4, 0.4])
    model = "BL-additive-s0"
    rows += _summary_rows(model, "norm_already", [4.0, 4.0, 4.0]) + _summary_rows(model, "norm_later", [3.0, 5.0, 2.0])
    rows += _summary_rows(model, "cosine_already", [0.5, 0.5, 0.5]) + _summary_rows(model, "cosine_later", [0.6] * 3)
    rows += _summary_rows(model, "future_true", [0.3, 0.4, np.nan]) + _summary_rows(model, "future_others", [0.1, 0.2, 0.9])
    rows += _summary_rows(model, "evolution", [0.9, 0.1, 0.1], t_stable=1)  # after t_stable: 0.1 = 2.5 % of 4
    rows += _summary_rows(model, "evolution", [1.0, 1.0, 1.0], state="untrained", t_stable=1)
    findings = vision_findings(pd.DataFrame(rows)).set_index("claim").agrees
    assert findings["recurrent networks become more accurate over time steps"]
    assert findings["images that settle later have a lower norm"]  # 2 of 3 steps
    assert not findings["images that settle later lie more peripherally in the readout zones"]
    assert findings["before settling, h is closer to its future class than to the zone's other classes"]  # NaN skipped
    assert not findings["representations continue to evolve after correct classification"]  # below 5 % of the norm
