"""How much each figure measures: a full run for the docs, a quick one for the smoke test."""

import os
from dataclasses import dataclass

# The generated project's gunicorn default (gunicorn.conf.py), given to both projects.
DEFAULT_WORKERS = 2 * (os.cpu_count() or 1) + 1


@dataclass(frozen=True)
class Budget:
    name: str
    # Figure 1: bakes, and bakes followed by an install.
    bakes: int
    installs: int
    # Figure 2: processes per project and engine, interleaved rounds of timed requests.
    processes: int
    rounds: int
    requests_per_round: int
    # Figure 3: counted requests per project and engine.
    counted_requests: int
    # Figures 4 and 5: wrk rounds and seconds per configuration.
    load_rounds: int
    load_seconds: int
    warm_up_seconds: int
    # Workers per instance in figures 4 and 5, and the counts figure 5 sweeps.
    workers: int
    worker_counts: tuple[int, ...]


FULL = Budget(
    name="full",
    bakes=5,
    installs=5,
    processes=3,
    rounds=12,
    requests_per_round=100,
    counted_requests=1000,
    load_rounds=6,
    load_seconds=4,
    warm_up_seconds=2,
    workers=DEFAULT_WORKERS,
    worker_counts=(1, 2, 3, 5, 8),
)

QUICK = Budget(
    name="quick",
    bakes=1,
    installs=1,
    processes=1,
    rounds=2,
    requests_per_round=30,
    counted_requests=200,
    load_rounds=1,
    load_seconds=1,
    warm_up_seconds=1,
    # Fewer workers to boot: the quick run checks that everything works, not how fast.
    workers=2,
    worker_counts=(1, 2),
)
