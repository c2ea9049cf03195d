"""
Figure 5: one against two gunicorn instances sharing one PostgreSQL and one
Redis, and throughput against the number of workers of one instance.

Every configuration serves the default engine and is loaded by one browser
signed in once on the first instance: with two instances, its cookie goes
to both, so any error would show a session one instance does not know.
"""

import contextlib
import os

from benchmarks import rounds, servers
from benchmarks.report import Spread, Table

ENGINE = "cached_db"


def configurations(budget):
    """(label, instances, workers each) for the scale-out pair, then the worker sweep."""
    yield f"1 instance x {budget.workers} workers", 1, budget.workers
    yield f"2 instances x {budget.workers} workers", 2, budget.workers
    for workers in budget.worker_counts:
        if workers != budget.workers:
            yield f"1 instance x {workers} worker{'s' if workers > 1 else ''}", 1, workers


def measure(subjects, budget, script):
    with contextlib.ExitStack() as stack:
        setups = []
        for label, count, workers in configurations(budget):
            # Instances of one project share its secret key, database and Redis.
            apps = [
                stack.enter_context(servers.instance(subjects.project, ENGINE, workers=workers)) for _ in range(count)
            ]
            setups.append(rounds.Setup(label, apps, subjects.project.password, connections=2 * workers))
        rounds.measure(setups, budget, script, subjects.project.redis_url)
    return setups


def summarize(setups):
    summary = {}
    # Instances, then workers: the pair to compare comes first in the sweep.
    for setup in sorted(setups, key=lambda setup: (len(setup.instances), setup.instances[0].workers)):
        rates = [round_.rate for round_ in setup.rounds]
        summary[setup.label] = {
            "instances": len(setup.instances),
            "workers": setup.instances[0].workers,
            "rate": Spread.of(rates),
            "errors": sum(round_.errors for round_ in setup.rounds),
            "requests": sum(round_.requests for round_ in setup.rounds),
            "p99_ms": Spread.of(round_.p99_ms for round_ in setup.rounds),
        }
    return summary


def table(summary, budget):
    figure = Table(
        f"5. Scale-out on {os.cpu_count()} cores (generated project, {ENGINE}, shared PostgreSQL and Redis)",
        ["configuration", "processes", "req/s", "per worker", "p99 ms", "errors"],
    )
    for label, result in summary.items():
        workers = result["instances"] * result["workers"]
        figure.add(
            label,
            workers,
            result["rate"].show(0),
            f"{result['rate'].median / workers:.0f}",
            f"{result['p99_ms'].median:.1f}",
            f"{result['errors']}/{result['requests']}",
        )
    figure.note("one session for all: signed in on the first instance, its cookie sent to every instance;")
    figure.note(
        f"one wrk per instance, 2 connections per worker; {budget.load_seconds} s x {budget.load_rounds} rounds."
    )
    return figure
