"""
Figure 2: what an authenticated page costs in process, the generated
project's full stack against the plain baseline on the same session engine.
"""

import statistics

from benchmarks.report import Spread, Table, ratios, verdict

TARGET = 1.10


def measure(project, baseline, budget):
    """
    Time every driver of both projects in interleaved rounds; return the summary.

    Each round asks every driver for the same number of requests, in an order
    that rotates from round to round, so a drift in speed favours no one.
    """
    drivers = [("project", driver) for driver in project] + [("baseline", driver) for driver in baseline]
    rounds = []
    for number in range(budget.rounds):
        shift = number % len(drivers)
        timed = {"project": [], "baseline": []}
        for name, driver in drivers[shift:] + drivers[:shift]:
            timed[name].append(driver.ask("time", requests=budget.requests_per_round))
        rounds.append(timed)
    return summarize(rounds, project[0].ready, baseline[0].ready, len(project))


def summarize(rounds, project_ready, baseline_ready, processes):
    summary = {"processes": processes, "rounds": len(rounds)}
    for measure_name in ("times", "cpu_times"):
        every = {"project": [], "baseline": []}
        round_medians = {"project": [], "baseline": []}
        for timed in rounds:
            for name, replies in timed.items():
                values = [value for reply in replies for value in reply[measure_name]]
                every[name] += values
                round_medians[name].append(statistics.median(values))
        medians = {name: statistics.median(values) for name, values in every.items()}
        round_ratios = ratios(round_medians["project"], round_medians["baseline"])
        summary[measure_name] = {
            "project_us": Spread(medians["project"], min(round_medians["project"]), max(round_medians["project"])),
            "baseline_us": Spread(medians["baseline"], min(round_medians["baseline"]), max(round_medians["baseline"])),
            # Taken round by round, as figure 4's: both sides of a ratio ran within a second.
            "ratio": round_ratios.median,
            "round_ratios": round_ratios,
            "ratio_of_medians": medians["project"] / medians["baseline"],
        }
    summary["requests"] = sum(len(reply["times"]) for timed in rounds for reply in timed["project"])
    summary["middleware"] = (len(project_ready["middleware"]), len(baseline_ready["middleware"]))
    summary["page_bytes"] = (project_ready["page_bytes"], baseline_ready["page_bytes"])
    return summary


def table(results, budget):
    figure = Table(
        "2. Per-request cost in process (authenticated GET /page/, µs of elapsed time)",
        ["engine", "generated project", "startproject baseline", "ratio", "target", "CPU ratio"],
    )
    for engine, result in results.items():
        elapsed = result["times"]
        figure.add(
            engine,
            elapsed["project_us"].show(0),
            elapsed["baseline_us"].show(0),
            elapsed["round_ratios"].show(3),
            f"≤ {TARGET:.2f} {verdict(elapsed['ratio'], TARGET, at_most=True)}",
            result["cpu_times"]["round_ratios"].show(3),
        )
    first = next(iter(results.values()))
    processes = f"{first['processes']} process{'es' if first['processes'] > 1 else ''}"
    figure.note(
        f"median of {first['requests']} requests per project, from {processes} each "
        f"(min–max of the {first['rounds']} interleaved rounds);"
    )
    figure.note(
        f"ratio: median (min–max) of the rounds' ratios; {first['middleware'][0]} middleware vs Django's stock "
        f"{first['middleware'][1]};"
    )
    figure.note("WSGI calls in process, on the same PostgreSQL and Redis; CPU ratio: the same from the serving")
    figure.note("process's CPU time alone, without its waits for the servers.")
    return figure
