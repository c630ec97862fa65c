"""rnnpop's native CPU kernels, called from XLA through its FFI: for the BLT training step
the stride-1 convolution (``_kernels/conv.cc``; also its input gradient), its weight gradient
(``_kernels/conv_weight_grad.cc``) and LayerNorm + ReLU with its gradient
(``_kernels/layer_norm_relu.cc``); for the recurrent networks their recurrences over a batch,
forward and backward (``_kernels/recurrence.cc``). They are compiled on first use with the
machine's C++ compiler, for the machine's own CPU, into one library.

The library is cached under ``$RNNPOP_CACHE`` (default ``$XDG_CACHE_HOME/rnnpop`` or
``~/.cache/rnnpop``), keyed by the source, the compiler, jaxlib and the CPU, so a cache shared
between machines never hands one CPU another's build. Without a compiler, or if the build
fails (a warning says why), :func:`available` is false and the callers use XLA's own
operations (``vision._layers``, ``models._recurrence``).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import jax

SOURCES = tuple(sorted((Path(__file__).parent / "_kernels").glob("*.[ch]*")))
HANDLERS = {  # FFI target name: the handler's symbol in the library
    "rnnpop_conv": "RnnpopConv",
    "rnnpop_conv_weight_grad": "RnnpopConvWeightGrad",
    "rnnpop_layer_norm_relu": "RnnpopLayerNormRelu",
    "rnnpop_layer_norm_relu_backward": "RnnpopLayerNormReluBackward",
    "rnnpop_recurrence": "RnnpopRecurrence",
    "rnnpop_recurrence_backward": "RnnpopRecurrenceBackward",
}
FLAGS = ("-O3", "-march=native", "-std=c++17", "-shared", "-fPIC", "-w")


def compiler() -> str | None:
    """The C++ compiler: ``$CXX``, else the first of ``c++``, ``g++``, ``clang++`` on the path."""
    if os.environ.get("CXX"):
        return os.environ["CXX"]
    return next((found for name in ("c++", "g++", "clang++") if (found := shutil.which(name))), None)


def cache_dir() -> Path:
    if os.environ.get("RNNPOP_CACHE"):
        return Path(os.environ["RNNPOP_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rnnpop"


def _cpu() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return "\n".join(sorted({line for line in lines if line.startswith(("model name", "flags", "Features"))}))
    except OSError:
        return platform.processor() + platform.machine()


def library_path(cxx: str) -> Path:
    """Where the build of the kernels with ``cxx`` lies in the cache: named by a hash of the
    sources, the compiler and its version, the flags, jax and the CPU."""
    version = subprocess.run([cxx, "--version"], capture_output=True, text=True).stdout
    texts = [f"{path.name}\0{path.read_text()}" for path in SOURCES]
    key = hashlib.sha256("\0".join([*texts, cxx, version, " ".join(FLAGS), jax.__version__, _cpu()]).encode())
    return cache_dir() / f"kernels-{key.hexdigest()[:20]}.so"


def build(cxx: str) -> Path:
    """Compile the kernels with ``cxx``, or reuse the cached build; the library's path.
    Raises ``RuntimeError`` with the compiler's message when it fails."""
    library = library_path(cxx)
    if library.is_file():
        return library
    library.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=library.parent) as tmp:
        built = Path(tmp) / library.name
        sources = [str(path) for path in SOURCES if path.suffix == ".cc"]
        done = subprocess.run([cxx, *FLAGS, f"-I{jax.ffi.include_dir()}", *sources, "-o", str(built)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{cxx} failed on rnnpop's kernels:\n{done.stderr[-2000:]}")
        os.replace(built, library)  # atomic: concurrent builds leave one whole library
    return library


@functools.cache
def _library() -> ctypes.CDLL | None:
    """The kernels' library, built, loaded and its handlers registered; ``None`` when it cannot be built here."""
    cxx = compiler()
    if cxx is None:
        return None
    try:
        library = ctypes.cdll.LoadLibrary(str(build(cxx)))
    except (OSError, RuntimeError) as error:
        warnings.warn(f"rnnpop: XLA's operations are used instead of the native kernels: {error}",
                      RuntimeWarning, stacklevel=2)
        return None
    for target, symbol in HANDLERS.items():
        jax.ffi.register_ffi_target(target, jax.ffi.pycapsule(getattr(library, symbol)), platform="cpu")
    return library


def available() -> bool:
    """Whether the kernels are built and registered for the CPU under the names of
    :data:`HANDLERS` (built on the first call; false when they cannot be built here)."""
    return _library() is not None


def has_bf16() -> bool:
    """Whether the recurrence kernels can take bfloat16 products (the CPU has AVX512-BF16)."""
    library = _library()
    return library is not None and bool(library.RnnpopRecurrenceBf16())


def used_for(*arrays) -> bool:
    """Whether the kernels run these arrays: the default backend is a CPU, all are float32
    and the kernels are :func:`available`."""
    return (jax.default_backend() == "cpu" and all(a.dtype == jax.numpy.float32 for a in arrays)
            and available())
