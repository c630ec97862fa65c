"""Validation helpers for study files: every error names the field and what is allowed."""

from __future__ import annotations

import math
from typing import Any


class StudyError(ValueError):
    """A study file is invalid; the message names the field and the allowed values."""


def suggestion(word: str, allowed) -> str:
    """``"; did you mean 'x'?"`` for the closest allowed word, or nothing."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown_value(field: str, value: Any, allowed) -> StudyError:
    """The error for a value not among ``allowed``, with the closest one suggested."""
    hint = suggestion(value, allowed)
    return StudyError(f"{field}: unknown value {value!r}{' (' + hint[2:] + ')' if hint else ''}; "
                      f"allowed: {list(allowed)}")


def check_keys(section: dict, allowed: list[str], where: str) -> None:
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        field = ", ".join(f"{where}.{k}" if where else k for k in unknown)
        hint = suggestion(unknown[0], allowed)
        raise StudyError(f"unknown key {field}{' (' + hint[2:] + ')' if hint else ''}; allowed keys"
                         f"{' in [' + where + ']' if where else ''}: {sorted(allowed)}")


def get_table(data: dict, key: str, where: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise StudyError(f"{_join(where, key)} must be a table ([{_join(where, key)}]), got {type(value).__name__}")
    return value


def positive_int(value: Any, field: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise StudyError(f"{field} must be an integer >= {minimum}, got {value!r}")
    return value


def number(value: Any, field: str, *, low: float | None = None, high: float | None = None,
           low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise StudyError(f"{field} must be a finite number, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise StudyError(f"{field} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and value > high:
        raise StudyError(f"{field} must be <= {high}, got {value!r}")
    return float(value)


def choice_list(value: Any, field: str, allowed: list[str]) -> tuple[str, ...]:
    items = non_empty_list(value, field)
    for item in items:
        if item not in allowed:
            raise unknown_value(field, item, allowed)
    return tuple(dict.fromkeys(items))


def non_empty_list(value: Any, field: str) -> list:
    if not isinstance(value, list) or not value:
        raise StudyError(f"{field} must be a non-empty list, got {value!r}")
    return value


def bounds(value: Any, field: str, *, positive: bool, high: float | None = None) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise StudyError(f"{field} must be a [low, high] pair, got {value!r}")
    low, hi = (number(v, field, low=0.0, low_open=positive, high=high) for v in value)
    if low > hi:
        raise StudyError(f"{field} must have low <= high, got {value!r}")
    return low, hi


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
