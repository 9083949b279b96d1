"""Proportions with their uncertainty, and the order statistics of waiting times.

Every rate in the report is shown with its n and a 95 % Wilson score interval: with a few dozen
letters most cells are small, and a bare "100 %" over two items would read like a finding.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

#: 97.5th percentile of the standard normal distribution: a two-sided 95 % interval.
Z95 = 1.959963984540054
#: Cells with fewer items are marked, faded and never ranked first.
SMALL_N = 10


@dataclass(frozen=True)
class Proportion:
    """k of n, as a rate with its 95 % Wilson score interval."""

    k: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.k, self.n)

    @property
    def small(self) -> bool:
        """True when n is below SMALL_N: marked in every table, never ranked first."""
        return self.n < SMALL_N

    def as_json(self) -> dict[str, float | int | bool | None]:
        low, high = self.interval or (None, None)
        return {"k": self.k, "n": self.n, "rate": _round(self.rate), "ci_low": _round(low),
                "ci_high": _round(high), "small_n": self.small}


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for k successes in n trials (None when n is 0).

    Unlike the normal approximation it stays inside [0, 1] and is not empty at k = 0 or k = n,
    the usual case for small cells."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"k={k} is not between 0 and n={n}")
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], q: int) -> float | None:
    """The q-th percentile, interpolated between the closest ranks (the 'inclusive' method of
    statistics.quantiles, as spreadsheets compute PERCENTILE)."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)
