"""Median and nearest-rank percentiles (no numpy: the bench runs on the project's venv)."""

from __future__ import annotations

import math
import statistics
from typing import Any


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest rank: the smallest value with at least ``fraction`` of the samples at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def p99(values: list[float]) -> float | None:
    return percentile(values, 0.99)


def summary(values: list[float]) -> dict[str, Any]:
    return {"median": median(values), "p99": p99(values), "max": max(values) if values else None, "n": len(values)}
