"""Start-up of the command line: ``rnnpop --help`` and ``rnnpop status STORE``.

Each command runs in a fresh interpreter, best of 3 wall-clock runs. Baseline: the same
command after ``import jax`` (what ``status`` paid while the study file pulled in JAX),
run side by side. A small store is trained first (one flip-flop group, 20 iterations).

    python benchmarks/startup.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path


def best_seconds(code: str, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    root = Path(tempfile.mkdtemp()) / "store"
    study = root.parent / "one.toml"
    study.write_text('name = "one"\n[grid]\ntasks = ["flipflop"]\ncells = ["vanilla"]\nactivations = ["tanh"]\n'
                     'units = [8]\nl2 = [1e-4]\n[search]\nn_search = 1\nn_seeds = 1\n'
                     '[train]\nn_iterations = 20\nlog_every = 10\n[tasks.flipflop]\nn_time = 20\n')
    subprocess.run([sys.executable, "-m", "rnnpop.cli", "run", str(study), "--store", str(root), "--yes"],
                   check=True, capture_output=True)
    commands = {
        "rnnpop --help": "from rnnpop.cli import app; app(['--help'], standalone_mode=False)",
        f"rnnpop status {root.name}": f"from rnnpop.cli import app; app(['status', {str(root)!r}], "
                                      "standalone_mode=False)",
    }
    print("command                      rnnpop    with JAX imported first   ratio")
    for name, code in commands.items():
        ours = best_seconds(code)
        base = best_seconds("import jax; " + code)
        print(f"{name:26s} {ours:7.2f} s  {base:12.2f} s            {base / ours:5.1f}x")


if __name__ == "__main__":
    main()
