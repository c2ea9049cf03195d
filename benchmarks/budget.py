"""How much each figure measures: a full run for the docs, a quick one for the smoke test."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    name: str
    # Figure 1: bakes, and bakes followed by an install.
    bakes: int
    installs: int
    # Figure 2: interleaved rounds of timed requests per project and engine.
    rounds: int
    requests_per_round: int
    # Figure 3: counted requests per project and engine.
    counted_requests: int
    # Figures 4 and 5: wrk rounds and seconds per configuration.
    load_rounds: int
    load_seconds: int
    warm_up_seconds: int
    worker_counts: tuple[int, ...]


FULL = Budget(
    name="full",
    bakes=5,
    installs=5,
    rounds=20,
    requests_per_round=100,
    counted_requests=1000,
    load_rounds=3,
    load_seconds=8,
    warm_up_seconds=2,
    worker_counts=(1, 2, 3, 5, 8),
)

QUICK = Budget(
    name="quick",
    bakes=1,
    installs=1,
    rounds=2,
    requests_per_round=30,
    counted_requests=200,
    load_rounds=1,
    load_seconds=1,
    warm_up_seconds=1,
    worker_counts=(1, 2),
)
