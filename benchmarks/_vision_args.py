"""The command-line arguments the vision benchmarks share: the BLT's shape and the batch."""

from __future__ import annotations

import argparse


def vision_parser(description: str) -> argparse.ArgumentParser:
    """A parser with ``--widths`` (5 channel counts), ``--size``, ``--steps``, ``--batch``."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs=5, default=[8, 16, 32, 64, 128])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10, help="time steps")
    parser.add_argument("--batch", type=int, default=32)
    return parser
