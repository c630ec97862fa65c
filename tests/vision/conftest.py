"""The two ways the vision layers run on a CPU: rnnpop's native kernels and XLA's operations."""

import pytest

from rnnpop import _native


@pytest.fixture(params=["native", "xla"])
def kernels(request, monkeypatch):
    """Run a test with the native kernels (skipped where they cannot be built), then with
    XLA's operations, as on a machine without a C++ compiler."""
    if request.param == "native":
        if not _native.available():
            pytest.skip("the native kernels cannot be built here")
    else:
        monkeypatch.setattr(_native, "used_for", lambda *arrays: False)
    return request.param
