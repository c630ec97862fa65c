"""Which networks are analysed: the inclusion rule, applied before every analysis.

The paper analyses networks that reach low error ("All networks achieve low error")
and leaves out a configuration that did not train (LSTM-relu on the sine task). Here
a seed network is analysed when it did not diverge and its validation loss is at
most ``max_relative_loss`` × the task's constant-output loss (the loss of the best
constant prediction, i.e. the targets' variance); every other seed network is set
aside with its reason. Search-phase networks only choose hyperparameters and are
never analysed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def inclusion(table: pd.DataFrame, max_relative_loss: float) -> pd.DataFrame:
    """The seed networks of ``table`` (``store.table()`` or a group's table) with
    ``relative_loss`` (validation / constant-output loss), ``included`` and ``why``
    (empty for included networks)."""
    seeds = table[table.phase == "seed"].copy()
    relative = (seeds.validation_loss / seeds.baseline_loss).to_numpy(np.float64)
    diverged = (seeds.status != "ok").to_numpy()
    poor = ~diverged & ~(relative <= max_relative_loss)
    seeds["relative_loss"] = relative
    seeds["included"] = ~diverged & ~poor
    seeds["why"] = np.where(diverged, "diverged during training",
                            np.where(poor, [f"validation loss {r:.1%} of the constant-output loss "
                                            f"(rule: at most {max_relative_loss:.0%})" for r in relative], ""))
    return seeds


def included_networks(group_table: pd.DataFrame, max_relative_loss: float) -> np.ndarray:
    """Ids (within the group) of the analysed networks of one group's table."""
    rows = inclusion(group_table, max_relative_loss)
    return rows.network[rows.included].to_numpy()
