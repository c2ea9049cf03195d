"""
Figure 3: session-store traffic per authenticated request in steady state:
Redis commands from INFO commandstats, SQL queries from Django's query log.
"""

import statistics

from benchmarks.report import Table

# One page every PACE seconds of the policy's clock: activity stamps (every
# minute) and key rotations (every 15 minutes) happen as they would.
PACE = 5.0


def measure(project, plain, budget):
    """Count each project's traffic per request, one driver at a time: INFO commandstats counts the whole server."""
    return {
        "project": summarize(project.ask("count", requests=budget.counted_requests, pace=PACE)),
        "baseline": summarize(plain.ask("count", requests=budget.counted_requests, pace=PACE)),
    }


def summarize(counts):
    requests = len(counts["queries"])
    commands = counts["commands"]
    return {
        "requests": requests,
        "redis_typical": statistics.median(counts["redis"]),
        "redis_mean": sum(counts["redis"]) / requests,
        "queries_typical": statistics.median(counts["queries"]),
        "queries_mean": sum(counts["queries"]) / requests,
        "sql_writes_per_1000": 1000 * sum(counts["writes"]) / requests,
        "transactions_mean": sum(counts["transactions"]) / requests,
        "commands": {name: round(calls / requests, 3) for name, calls in sorted(commands.items())},
        "last_queries": counts["last_queries"],
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
