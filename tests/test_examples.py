"""Every Python block of the README and of the documentation runs — a page's blocks in order,
in one namespace — and prints what its comments say it prints."""

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md") if "```python" in p.read_text())


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def promised(block: str) -> list[str]:
    """What each ``print(...)  # expected`` line promises, in order."""
    return [m.group(1).strip() for m in re.finditer(r"^print\(.*\)\s+#\s*(.+)$", block, flags=re.M)]


def run_blocks(path: Path) -> int:
    """Execute ``path``'s Python blocks in one namespace, checking each promised print."""
    blocks = python_blocks(path.read_text())
    namespace: dict = {}
    for block in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(path), "exec"), namespace)
        printed = out.getvalue().strip().splitlines()
        for line, expected in zip(printed, promised(block)):
            # the comment's words before any ':' explanation are what is printed
            assert line.strip() == expected.split(":")[0].strip(), (block, line, expected)
    return len(blocks)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_docs_example_runs(page, monkeypatch):
    monkeypatch.chdir(ROOT)  # the examples name files relative to the repository
    run_blocks(page)


def test_every_python_block_runs_and_prints_what_it_says(tmp_path, monkeypatch):
    from rnnpop.studies import run_study
    from rnnpop.studyfile import parse_study

    # the run-store example reads runs/demo: a one-group stand-in for `make demo`'s store
    monkeypatch.chdir(tmp_path)
    run_study(parse_study({"name": "demo", "grid": {"tasks": ["flipflop"], "cells": ["gru"], "activations": ["tanh"],
                                                    "units": [32], "l2": [1e-5]},
                           "search": {"n_search": 1, "n_seeds": 1}, "train": {"n_iterations": 20, "log_every": 10}}),
              "runs/demo")
    assert run_blocks(README) >= 4
