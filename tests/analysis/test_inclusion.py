import numpy as np
import pandas as pd

from rnnpop.analysis import inclusion
from rnnpop.analysis._inclusion import included_networks


def test_inclusion_rule_on_a_constructed_table():
    table = pd.DataFrame({
        "network": np.arange(6), "phase": ["search", "seed", "seed", "seed", "seed", "seed"],
        "status": ["ok", "ok", "ok", "diverged", "ok", "ok"],
        "validation_loss": [0.9, 0.01, 0.049, np.nan, 0.2, 0.051], "baseline_loss": 1.0})
    rows = inclusion(table, 0.05)
    assert rows.network.tolist() == [1, 2, 3, 4, 5]  # search draws are never analysed
    assert rows.included.tolist() == [True, True, False, False, False]
    assert rows.why.iloc[2] == "diverged during training"
    assert rows.why.iloc[3].startswith("validation loss 20.0% of the constant-output loss (rule: at most 5%)")
    np.testing.assert_array_equal(included_networks(table, 0.05), [1, 2])
    np.testing.assert_array_equal(included_networks(table, 0.25), [1, 2, 4, 5])
