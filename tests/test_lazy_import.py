"""`import rnnpop` is light: heavy dependencies load when first used."""

import subprocess
import sys


def test_import_rnnpop_loads_no_heavy_dependency_until_used():
    code = ("import sys, rnnpop\n"
            "heavy = ['jax', 'dask', 'distributed', 'matplotlib', 'zarr', 'xarray', 'sklearn', 'torch']\n"
            "print(sorted(m for m in heavy if m in sys.modules))\n"
            "rnnpop.similarity.cka\n"
            "print('jax' in sys.modules, 'matplotlib' in sys.modules)\n"
            "print(rnnpop.FlipFlop.__module__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "False False"  # the similarity metrics need NumPy only
    assert out[2] == "rnnpop.tasks._flipflop"


def test_unknown_attribute_is_an_attribute_error():
    import pytest

    import rnnpop

    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        rnnpop.nonsense
    assert "FlipFlop" in dir(rnnpop) and "analysis" in dir(rnnpop)
