"""Every representation-dynamics analysis of one network, as one long table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._analysis import (accuracy_per_step, analysed_groups, future_class_alignment, stability_split, step_sizes,
                        winning_cosine)

COLUMNS = ["quantity", "state", "step", "t_stable", "value"]
QUANTITIES = {
    "accuracy": "fraction correct at each step",
    "stable": "fraction of images whose prediction settles (step −1)",
    "stable_correct": "fraction stable and correct (step −1)",
    "t_stable": "fraction of images that settle correctly at step t_stable (step −1)",
    "evolution": "mean ‖h_{t+1} − h_t‖ over stable-correct images of one t_stable group (step = t)",
    "norm": "mean ‖h_t‖ over all images",
    "norm_already": "mean ‖h_t‖, stable-correct images already stable at t",
    "norm_later": "mean ‖h_t‖, stable-correct images that become stable after t",
    "norm_incorrect": "mean ‖h_t‖, stable-incorrect images (the control)",
    "cosine_already": "mean cosine of h_t with its winning readout vector, already stable at t",
    "cosine_later": "the same for images that become stable after t",
    "cosine_incorrect": "the same for stable-incorrect images (the control)",
    "future_true": "per pair of not-yet-stable images in one zone: cosine of h_i,t with i's future class",
    "future_others": "the same pairs: cosine of h_i,t with j's true class",
    "future_wins": "fraction of those pairs where the future class is closer",
}
MIN_GROUP_FRACTION = 0.01
"""t_stable groups smaller than this fraction of the t = 0 group are left out (as the authors)."""


def summarise(labels, predictions, pooled, readout) -> pd.DataFrame:
    """The analyses of one network on the held-out images, trained (index 0) and
    untrained (index 1): ``labels (N,)``, ``predictions (2, N, T)``, ``pooled (2, N, T, D)``,
    ``readout (2, C, D)``. Returns a table with :data:`COLUMNS`; ``quantity`` is one of
    :data:`QUANTITIES`, ``t_stable`` is −1 where it does not apply.

    Stability groups come from the trained network (groups smaller than
    :data:`MIN_GROUP_FRACTION` of the t = 0 group left out); the untrained network's
    step sizes (``evolution``) and norms are measured on the same images, the control for
    "continued evolution after correct classification"; stable-incorrect images are the
    control for the norm and readout-zone claims.
    """
    rows = []

    def add(quantity, state, values, t_stable=-1, steps=None):
        values = np.atleast_1d(np.asarray(values, np.float64))
        steps = range(len(values)) if steps is None else steps
        rows.extend((quantity, state, int(s), int(t_stable), float(v)) for s, v in zip(steps, values))

    split = stability_split(predictions[0], labels)
    sc = analysed_groups(split, MIN_GROUP_FRACTION)
    for state, index in (("trained", 0), ("untrained", 1)):
        add("accuracy", state, accuracy_per_step(predictions[index], labels))
        add("norm", state, np.linalg.norm(np.asarray(pooled[index], np.float64), axis=-1).mean(axis=0))
        deltas = step_sizes(pooled[index])
        for t in np.unique(split.t_stable[sc]):
            add("evolution", state, deltas[sc & (split.t_stable == t)].mean(axis=0), t_stable=t)
    own = stability_split(predictions[1], labels)
    for state, s in (("trained", split), ("untrained", own)):
        add("stable", state, s.stable.mean(), steps=[-1])
        add("stable_correct", state, s.stable_correct.mean(), steps=[-1])
    for t in range(predictions.shape[2]):
        add("t_stable", "trained", (sc & (split.t_stable == t)).mean(), t_stable=t, steps=[-1])
    h, W = pooled[0], readout[0]
    norms = np.linalg.norm(np.asarray(h, np.float64), axis=-1)
    cos = winning_cosine(h, W)
    T = h.shape[1]
    incorrect = split.stable & ~split.correct
    for suffix, pick in (("already", lambda t: sc & (split.t_stable <= t)),
                         ("later", lambda t: sc & (split.t_stable > t)),
                         ("incorrect", lambda t: incorrect)):
        for name, values in (("norm", norms), ("cosine", cos)):
            add(f"{name}_{suffix}", "trained",
                [values[pick(t), t].mean() if pick(t).any() else np.nan for t in range(T)])
    future, others, wins = future_class_alignment(h, W, labels, split, sc)
    add("future_true", "trained", future)
    add("future_others", "trained", others)
    add("future_wins", "trained", wins)
    return pd.DataFrame(rows, columns=COLUMNS)
