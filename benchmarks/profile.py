"""
``--profile``: where figure 2's extra time goes.

Profiles the generated project's page with pyinstrument, then times the
project's stack without each middleware Django's stock stack lacks, side by
side with the full stack: the difference is that middleware's share.
"""

import statistics
from pathlib import Path

from benchmarks.bake import install_extra
from benchmarks.in_process import Driver
from benchmarks.report import Table

ENGINE = "cached_db"
REQUIREMENTS = Path(__file__).with_name("requirements.txt")


def pinned(name):
    """The exact requirement line benchmarks/requirements.txt pins for name."""
    for line in REQUIREMENTS.read_text().splitlines():
        if line.split("==")[0].strip().lower() == name:
            return line.split("#")[0].strip()
    raise LookupError(f"{name} is not pinned in {REQUIREMENTS}")


def time_pair(full, without, budget):
    """Median µs of the full stack and of the reduced one, timed in interleaved rounds."""
    times = {id(full): [], id(without): []}
    for number in range(budget.rounds):
        for driver in (full, without) if number % 2 == 0 else (without, full):
            times[id(driver)] += driver.ask("time", requests=budget.requests_per_round)["times"]
    return statistics.median(times[id(full)]), statistics.median(times[id(without)])


def profile(subjects, budget, output):
    """Write a pyinstrument profile of the project's page; return the middleware shares as a table."""
    project = subjects.project
    install_extra(project.python, pinned("pyinstrument"))
    logs = output / "logs"
    full = Driver(project, ENGINE, logs / "profile-full.log")
    try:
        requests = budget.rounds * budget.requests_per_round
        report = full.ask("profile", requests=requests, output=str(output / "profile.html"))
        extra = [name for name in full.ready["middleware_names"] if name not in full.ready["stock_middleware"]]
        figure = Table(
            f"2b. Profile: the share of each middleware the stock stack lacks ({ENGINE}, µs per request)",
            ["middleware left out", "full stack", "without it", "its share"],
        )
        for name in extra:
            without = Driver(project, ENGINE, logs / f"profile-without-{name}.log", BENCHMARK_WITHOUT_MIDDLEWARE=name)
            try:
                with_it, without_it = time_pair(full, without, budget)
            finally:
                without.close()
            figure.add(name, f"{with_it:.0f}", f"{without_it:.0f}", f"{with_it - without_it:+.0f}")
        figure.note(f"pyinstrument profile of the full stack: {report['output']} (and .txt)")
        return figure
    finally:
        full.close()
