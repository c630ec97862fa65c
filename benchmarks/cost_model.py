"""rnnpop plan's time model against measured training runs on this machine.

Trains small studies (not the ones the model's constants were fitted to, unless --fitted)
in-process, as `rnnpop run` would, and prints measured seconds, the estimate and their ratio.

    python benchmarks/cost_model.py            # ~2 min on a 2-core CPU
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time

from rnnpop.studies import estimate, run_study
from rnnpop.studyfile import load_study, parse_study
from rnnpop.train import configure_cpu

FITTED = [(64, 2000, ["vanilla-tanh", "gru-tanh"]), (128, 1000, ["vanilla-tanh", "lstm-tanh"]),
          (32, 1500, ["ugrnn-tanh", "lstm-tanh"]), (96, 800, ["gru-tanh", "vanilla-relu"])]
HELD_OUT = [(48, 1200, ["ugrnn-tanh", "gru-tanh"]), (112, 600, ["lstm-tanh", "vanilla-relu"])]


def study(units: int, iterations: int, configurations: list[str]):
    return parse_study({"name": f"cost-{units}", "grid": {"tasks": ["flipflop"], "configurations": configurations,
                                                          "units": [units], "l2": [1e-5]},
                        "search": {"n_search": 4, "n_seeds": 4},
                        "train": {"n_iterations": iterations, "log_every": 100}})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fitted", action="store_true", help="also rerun the runs the constants were fitted to")
    parser.add_argument("--demo", action="store_true", help="also train the demo study")
    args = parser.parse_args()
    configure_cpu()
    cases = [study(*c) for c in (FITTED + HELD_OUT if args.fitted else HELD_OUT)]
    if args.demo:
        cases.append(load_study("src/rnnpop/studies/demo.toml"))
    print(f"{'study':<12} {'networks':>8} {'measured s':>11} {'estimated s':>12} {'measured/estimated':>19}")
    for s in cases:
        root = tempfile.mkdtemp()
        try:
            start = time.perf_counter()
            run_study(s, root)
            measured = time.perf_counter() - start
        finally:
            shutil.rmtree(root, ignore_errors=True)
        cost = estimate(s)
        predicted = cost.seconds("cpu")
        print(f"{s.name:<12} {int(cost.table.networks.sum()):>8} {measured:>11.1f} {predicted:>12.1f} "
              f"{measured / predicted:>19.2f}", flush=True)


if __name__ == "__main__":
    main()
