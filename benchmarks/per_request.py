"""
Figure 2: what an authenticated page costs in process, the generated
project's full stack against the plain baseline on the same session engine.
"""

import statistics

from benchmarks.report import Spread, Table, ratios, verdict

TARGET = 1.10


def measure(project, plain, budget):
    """Time both projects' drivers in interleaved rounds; return the summary."""
    rounds = {"project": [], "baseline": []}
    for number in range(budget.rounds):
        # Each takes the lead in turn, so a drift in speed favours neither.
        order = [("project", project), ("baseline", plain)]
        for name, driver in order if number % 2 == 0 else reversed(order):
            rounds[name].append(driver.ask("time", requests=budget.requests_per_round)["times"])
    return summarize(rounds, project.ready, plain.ready)


def summarize(rounds, project_ready, baseline_ready):
    medians = {name: [statistics.median(times) for times in per_round] for name, per_round in rounds.items()}
    every = {name: [time for times in per_round for time in times] for name, per_round in rounds.items()}
    project, baseline = (statistics.median(every[name]) for name in ("project", "baseline"))
    return {
        "project_us": Spread(project, min(medians["project"]), max(medians["project"])),
        "baseline_us": Spread(baseline, min(medians["baseline"]), max(medians["baseline"])),
        "ratio": project / baseline,
        "round_ratios": ratios(medians["project"], medians["baseline"]),
        "requests": len(every["project"]),
        "middleware": (project_ready["middleware"], baseline_ready["middleware"]),
        "page_bytes": (project_ready["page_bytes"], baseline_ready["page_bytes"]),
    }


def table(results, budget):
    figure = Table(
        "2. Per-request cost in process (authenticated GET /page/, µs)",
        ["session engine", "generated project", "startproject baseline", "ratio", "per-round ratios", "target"],
    )
    for engine, result in results.items():
        figure.add(
            engine,
            result["project_us"].show(0),
            result["baseline_us"].show(0),
            f"{result['ratio']:.3f}",
            result["round_ratios"].show(3),
            f"≤ {TARGET:.2f} {verdict(result['ratio'], TARGET, at_most=True)}",
        )
    any_result = next(iter(results.values()))
    figure.note(
        f"median of {any_result['requests']} requests each (min–max of the {budget.rounds} interleaved round medians);"
    )
    figure.note(
        f"{any_result['middleware'][0]} middleware vs Django's stock {any_result['middleware'][1]}; "
        "WSGI calls in one process each, on the same PostgreSQL and Redis."
    )
    return figure
