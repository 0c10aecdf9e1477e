"""How long things take, as cumulative histograms (Prometheus's shape), kept by the worker
as it goes and read by the metrics endpoint. Pure bookkeeping: no clock, no I/O."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

# Seconds: from a cached fetch or a small page's extraction to a request's whole deadline.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds

    def add(self, other: Histogram) -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.total += other.total

    def cumulative(self) -> list[tuple[str, int]]:
        """(upper bound, observations at or under it), ending with "+Inf"."""
        bounds = [f"{b:g}" for b in BUCKETS] + ["+Inf"]
        running, out = 0, []
        for bound, n in zip(bounds, self.counts, strict=True):
            running += n
            out.append((bound, running))
        return out


@dataclass
class Durations:
    """Histograms by name (`fetch_feed`, `fetch_page`, `extract`, `intake`)."""

    by_name: dict[str, Histogram] = field(default_factory=dict)

    def observe(self, name: str, seconds: float) -> None:
        self.by_name.setdefault(name, Histogram()).observe(seconds)

    def snapshot(self) -> dict[str, Histogram]:
        """A copy, for a reader in another thread."""
        return {n: Histogram(list(h.counts), h.total) for n, h in list(self.by_name.items())}
