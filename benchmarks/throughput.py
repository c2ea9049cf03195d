"""
Figure 4: signed-in requests per second under gunicorn with production
settings, for each session engine on real PostgreSQL and Redis, against the
plain baseline on its default ``db`` engine. Figure 6 reads the memory of the
same instances once the load is over.
"""

import contextlib
import os

from benchmarks import memory, rounds, servers
from benchmarks.budget import DEFAULT_WORKERS
from benchmarks.report import Spread, Table, ratios, verdict
from benchmarks.subjects import ENGINES

TARGET = 1.0


def measure(subjects, budget, script):
    """Return the loaded setups, baseline first, and each one's memory (figure 6)."""
    configurations = [("startproject baseline, db", subjects.baseline, "db", False)]
    configurations += [(f"generated, {engine}", subjects.project, engine, True) for engine in ENGINES]
    with contextlib.ExitStack() as stack:
        setups = []
        for label, subject, engine, with_redis in configurations:
            app = stack.enter_context(servers.instance(subject, engine, workers=budget.workers, with_redis=with_redis))
            setups.append(rounds.Setup(label, [app], subject.password, connections=2 * budget.workers))
        rounds.measure(setups, budget, script, subjects.project.redis_url)
        samples = {setup.label: memory.sample(setup.instances[0]) for setup in setups}
    return setups, samples


def summarize(setups):
    baseline = [round_.rate for round_ in setups[0].rounds]
    summary = {}
    for setup in setups:
        rates = [round_.rate for round_ in setup.rounds]
        round_ratios = ratios(rates, baseline)
        summary[setup.label] = {
            "rate": Spread.of(rates),
            # Each round's ratio compares runs a few seconds apart: a load that
            # comes and goes on the machine moves both sides of it alike.
            "ratio": round_ratios.median,
            "round_ratios": round_ratios,
            "ratio_of_medians": Spread.of(rates).median / Spread.of(baseline).median,
            "errors": sum(round_.errors for round_ in setup.rounds),
            "requests": sum(round_.requests for round_ in setup.rounds),
            "p50_ms": Spread.of(round_.p50_ms for round_ in setup.rounds),
            "p99_ms": Spread.of(round_.p99_ms for round_ in setup.rounds),
            "redis_per_request": Spread.of(round_.redis_per_request for round_ in setup.rounds),
        }
    return summary


def has_target(label):
    """The target is for the cache-backed engines; db against db is shown for reference."""
    return label.startswith("generated") and not label.endswith(", db")


def table(summary, budget):
    figure = Table(
        "4. Throughput under gunicorn (signed-in GET /page/, requests per second)",
        ["configuration", "req/s", "ratio to baseline", "p50 ms", "p99 ms", "errors", "Redis/req", "target"],
    )
    for label, result in summary.items():
        is_baseline = label.startswith("startproject")
        target = f"≥ {TARGET:.1f} " + verdict(result["ratio"], TARGET, at_most=False) if has_target(label) else ""
        figure.add(
            label,
            result["rate"].show(0),
            "1" if is_baseline else result["round_ratios"].show(3),
            f"{result['p50_ms'].median:.1f}",
            f"{result['p99_ms'].median:.1f}",
            f"{result['errors']}/{result['requests']}",
            f"{result['redis_per_request'].median:.2f}",
            target,
        )
    default = " (the project's default)" if budget.workers == DEFAULT_WORKERS else ""
    figure.note(
        f"{budget.workers} sync workers each{default}; wrk -t1 -c{2 * budget.workers} on the same "
        f"{os.cpu_count()} cores, {budget.load_seconds} s x {budget.load_rounds} rotating rounds per configuration;"
    )
    figure.note("median (min–max) over the rounds; the ratio is taken round by round, then its median;")
    figure.note("errors: answers other than 200, and socket errors.")
    return figure
