"""What a piece of work ran on, recorded in its manifest for the report."""

from __future__ import annotations

import os
import platform


def hardware() -> dict:
    """``{'cpu', 'cores', 'backend', 'devices', 'jax'}`` of this process."""
    import jax

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    devices = jax.devices()
    return {"cpu": cpu, "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "backend": jax.default_backend(), "devices": f"{len(devices)} × {devices[0].device_kind}",
            "jax": jax.__version__}
