"""
Figure 2b, each addition's share of a request, and ``--profile``'s profile.

Both come from the generated project's own benchmark. Figure 2b is its price
measurement, run once as a command on SQLite and Redis: the whole stack
against Django's stock middleware, and without one addition at a time, in
one process. ``--profile`` adds a pyinstrument profile of figure 2's page
(pyinstrument installed into the baked project's virtualenv at the version
benchmarks/requirements.txt pins).
"""

import json
from pathlib import Path

from benchmarks.bake import install_extra, run
from benchmarks.in_process import BENCHMARK, Driver, benchmark_arguments
from benchmarks.report import Spread, Table

ENGINE = "cached_db"
# The project's benchmark's name for its first stack.
WHOLE = "whole stack"
# The aim for the whole stack against Django's stock middleware.
TARGET = 1.03
REQUIREMENTS = Path(__file__).with_name("requirements.txt")


def pinned(name):
    """The exact requirement benchmarks/requirements.txt pins for name."""
    for line in REQUIREMENTS.read_text().splitlines():
        requirement = line.split("#")[0].strip()
        if requirement.split("==")[0].lower() == name:
            return requirement
    raise LookupError(f"{name} is not pinned in {REQUIREMENTS}")


def measure_price(subjects, budget):
    """The project's benchmark's price figure for figure 2's page, on SQLite and Redis."""
    project = subjects.project
    options = benchmark_arguments(project, ENGINE, database_url="sqlite://:memory:")
    sizes = [f"--requests={budget.requests_per_round}", f"--rounds={budget.rounds}", "--counted=1"]
    result = run(
        [project.python, BENCHMARK, "--json", *options, *sizes],
        cwd=project.directory,
        env=project.environment(ENGINE),
    )
    return json.loads(result.stdout)["price"]


def percent(share):
    return f"{share['median']:+.1f} % ({share['min']:+.1f} to {share['max']:+.1f})"


def price_table(price):
    figure = Table(
        f"2b. The price of each addition (signed-in GET, {ENGINE} on SQLite + Redis, one process)",
        ["stack", "µs", "CPU µs", "share", "share of CPU"],
    )
    for name, stack in price["stacks"].items():
        shares = stack["share_percent"]
        shown = ["", ""] if name == WHOLE else [percent(shares["elapsed"]), percent(shares["cpu"])]
        figure.add(name, f"{stack['elapsed_us']:.0f}", f"{stack['cpu_us']:.0f}", *shown)
    middleware, stock = price["middleware"]
    for measure, ratio in price["ratio_to_stock"].items():
        figure.note(
            f"whole stack ({middleware} middleware) / stock middleware ({stock}), {measure}: "
            f"{Spread.from_dict(ratio).show(3)}, aim ≤ {TARGET:.2f};"
        )
    figure.note(
        f"medians of {price['requests_per_stack']} requests per stack, alternating between the stacks in "
        f"{price['rounds']} rounds; share: the whole stack's round median less the stack's, over the"
    )
    figure.note("whole stack's; median (min to max) of the rounds. Negative: noise, or another part doing the work.")
    return figure


def profile(subjects, budget, output):
    """Write a pyinstrument profile of figure 2's page (PostgreSQL and Redis); return a note on it."""
    project = subjects.project
    install_extra(project.python, pinned("pyinstrument"))
    driver = Driver(project, project.directory / BENCHMARK, ENGINE, output / "logs" / "benchmark-profile.log")
    try:
        requests = budget.rounds * budget.requests_per_round
        report = driver.ask("profile", requests=requests, output=str(output / "profile.html"))
    finally:
        driver.close()
    name = Path(report["output"]).name
    return f"pyinstrument profile of the generated project's page: {name} (and .txt, .pyisession) in {output}."
