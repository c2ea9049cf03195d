"""
Figure 3: session-store traffic per authenticated request in steady state,
as the project's benchmark counts it: Redis commands from INFO commandstats,
SQL queries from Django's query log.
"""

from benchmarks.report import Table

# One page every PACE seconds of the policy's clock: activity stamps (every
# minute) and key rotations (every 15 minutes) happen as they would.
PACE = 5.0


def measure(project, plain, budget):
    """Each project's traffic per request, one process at a time: INFO commandstats counts the whole server."""
    return {
        name: driver.ask("traffic", requests=budget.counted_requests, pace=PACE)
        for name, driver in (("project", project), ("baseline", plain))
    }


def command_mix(commands):
    return ", ".join(f"{name} {calls:g}" for name, calls in commands.items()) or "none"


def table(results, budget):
    figure = Table(
        "3. Session-store traffic per authenticated request (steady state)",
        [
            "session engine / project",
            "Redis cmds",
            "SQL queries",
            "SQL writes /1000",
            "transactions",
            "Redis commands, mean",
        ],
    )
    for engine, pair in results.items():
        for name, label in (("project", "generated"), ("baseline", "baseline")):
            result = pair[name]
            figure.add(
                f"{engine} / {label}",
                f"{result['redis_typical']:g} (mean {result['redis_mean']:.2f})",
                f"{result['queries_typical']:g} (mean {result['queries_mean']:.2f})",
                f"{result['sql_writes_per_1000']:.1f}",
                f"{result['transactions_mean']:.2f}",
                command_mix(result["commands"]),
            )
    requests = next(iter(results.values()))["project"]["requests"]
    figure.note(
        f"typical request (median) and mean over {requests} requests, one per {PACE:g} s of the policy's clock"
    )
    figure.note("(activity stamp every 60 s, key rotation every 15 min); commands from INFO commandstats,")
    figure.note("queries from Django's query log, counted in process after the same sign-in as figure 2;")
    figure.note("transactions: BEGIN per request in that log (psycopg sends nothing for an empty one).")
    return figure
