"""When seeded generations happen: bursts of work, strictly increasing, over months.

People generate in sittings: a few dozen images a minute or so apart, then
nothing for hours. Each session's rows are split into such bursts, the bursts of
all sessions are shuffled together, and the whole is laid out to end at ``end``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_BURST, MAX_BURST = 5, 60
INTRA_GAP_S = (8.0, 90.0)


@dataclass(frozen=True)
class Schedule:
    #: Session index of each generation, in time order.
    owners: list[int]
    #: Microseconds since ``start`` of each generation, strictly increasing.
    offsets_us: list[int]
    #: Where a new sitting (burst) begins, by generation index.
    burst_starts: frozenset[int]
    start: datetime

    def created_at(self, index: int) -> datetime:
        return self.start + timedelta(microseconds=self.offsets_us[index])


def make_schedule(rng: random.Random, sizes: list[int], *, end: datetime, span: timedelta) -> Schedule:
    bursts: list[tuple[int, int]] = []
    for session, count in enumerate(sizes):
        left = count
        while left > 0:
            take = min(left, rng.randint(MIN_BURST, MAX_BURST))
            bursts.append((session, take))
            left -= take
    rng.shuffle(bursts)
    total = sum(sizes)
    intra = [rng.uniform(*INTRA_GAP_S) for _ in range(total)]
    span_s = span.total_seconds()
    intra_total = sum(intra)
    if intra_total > span_s / 2:  # very large seeds: sittings get denser, months stay months
        factor = span_s / 2 / intra_total
        intra = [gap * factor for gap in intra]
        intra_total = span_s / 2
    weights = [rng.expovariate(1.0) for _ in bursts]
    spare = max(0.0, span_s - intra_total) if len(bursts) > 1 else 0.0
    scale = spare / (sum(weights) or 1.0)
    owners: list[int] = []
    offsets: list[int] = []
    starts: set[int] = set()
    clock = 0.0
    last_us = -1
    for (session, take), weight in zip(bursts, weights):
        if owners:
            clock += weight * scale
        starts.add(len(owners))
        for _ in range(take):
            clock += intra[len(owners)]
            us = max(last_us + 1, int(clock * 1_000_000))
            owners.append(session)
            offsets.append(us)
            last_us = us
    duration = timedelta(microseconds=last_us + 1 if offsets else 0)
    return Schedule(owners, offsets, frozenset(starts), end - duration)
