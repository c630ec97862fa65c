"""The documentation site builds with warnings as errors, and its generated references
cover every key the study-file parsers accept."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_site_builds_strictly(tmp_path):
    if shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("mkdocs is not installed: the dev extra includes the docs extra")
    result = subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-d", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, env={"NO_MKDOCS_2_WARNING": "1",
                                                                         "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    page = (tmp_path / "reference" / "study-file" / "index.html").read_text()
    assert "max_relative_loss" in page and "<!-- study-file-reference -->" not in page


def test_every_accepted_key_is_described_with_its_default_and_rule():
    from rnnpop.studyfile._reference import DESCRIPTIONS, reference_markdown, section_keys

    for (kind, section), keys in section_keys().items():
        for key in keys:
            name = f"{section}.{key}" if section else key
            assert name in DESCRIPTIONS, f"{kind}: {name} has no description"
    text = reference_markdown()
    assert "| `n_iterations` | int | `20000` | must be an integer >= 1 |" in text
    assert "| `lstm_state` | string | `\"hidden\"` | one of ['hidden', 'full'] |" in text
    assert "not supported between" not in text  # every rule is the validator's own sentence
