"""
Measure what the generated project's session protections cost; print one table.

    ./scripts/benchmark [--quick] [--update-docs] [--profile] [--output-dir DIR]

Figures: 1 generation, 2 per-request cost in process, 3 session-store
traffic, 4 throughput under gunicorn, 5 scale-out, 6 memory. Every server
listens on 127.0.0.1 and is stopped at the end, even after an error.
"""

import argparse
import contextlib
import json
import os
import shlex
import sys
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path

from benchmarks import (
    docs,
    generation,
    in_process,
    load,
    machine,
    memory,
    per_request,
    plot,
    profiling,
    scale_out,
    store_traffic,
    subjects,
    throughput,
)
from benchmarks.bake import TEMPLATE_DIR
from benchmarks.budget import FULL, QUICK
from benchmarks.report import Spread, Table, verdict
from tests.support.services import PostgresServer, RedisServer, find_postgres_bindir, stop_cleanly_on_termination


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="./scripts/benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run that checks every figure works")
    parser.add_argument("--update-docs", action="store_true", help="write the table and plot into docs/")
    parser.add_argument("--profile", action="store_true", help="also profile figure 2's page with pyinstrument")
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=TEMPLATE_DIR / "build" / "benchmarks",
        help="where the results, plot, profiles and logs go (default: build/benchmarks)",
    )
    arguments = parser.parse_args(argv)
    if arguments.quick and arguments.update_docs:
        parser.error("--update-docs records a full run: drop --quick")
    return arguments


class Report:
    """The tables printed so far, kept for the results file and the docs."""

    def __init__(self):
        self.parts = []
        self.durations = {}
        self._lap = time.monotonic()

    def lap(self, name):
        """Record how long the step that just ended took."""
        now = time.monotonic()
        self.durations[name] = now - self._lap
        self._lap = now

    def show(self, part):
        text = part.render() if isinstance(part, Table) else part
        self.parts.append(text)
        print(text + "\n", flush=True)

    @property
    def text(self):
        return "\n\n".join(self.parts) + "\n"


def header(budget, description, started):
    lines = [f"Session-protection benchmarks ({budget.name} run, {time.strftime('%Y-%m-%d %H:%M %Z', started)})"]
    lines += [f"  {name + ':':<19}{value}" for name, value in description]
    return "\n".join(lines)


def plain(value):
    """Make results JSON-friendly."""
    if isinstance(value, Spread):
        return value.as_dict()
    if is_dataclass(value):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def measure(arguments, budget, report, results, output):
    """Run every figure, printing each table as soon as it is ready."""
    wrk_script = load.write_script(output)
    logs = output / "logs"
    results["generation"] = generation.measure(budget)
    report.lap("1")
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(PostgresServer())
        redis = stack.enter_context(RedisServer())
        ready = stack.enter_context(subjects.prepared(postgres, redis))
        report.lap("setup")
        results["machine"] = machine.describe(ready.project.python, find_postgres_bindir())
        report.show(header(budget, results["machine"], results["started"]))
        report.show(generation.table(results["generation"]))

        results["per_request"], results["store_traffic"] = in_process.measure(ready, budget, logs)
        report.lap("2 and 3")
        report.show(per_request.table(results["per_request"], budget))
        results["price"] = profiling.measure_price(ready, budget)
        report.show(profiling.price_table(results["price"]))
        if arguments.profile:
            report.show(profiling.profile(ready, budget, output))
        report.lap("2b")
        report.show(store_traffic.table(results["store_traffic"], budget))

        setups, results["memory"] = throughput.measure(ready, budget, wrk_script)
        results["redis_import_mib"] = memory.import_cost_mib(ready.project.python, "redis")
        results["throughput"] = throughput.summarize(setups)
        report.lap("4 and 6")
        report.show(throughput.table(results["throughput"], budget))

        results["scale_out"] = scale_out.summarize(scale_out.measure(ready, budget, wrk_script))
        report.lap("5")
        report.show(scale_out.table(results["scale_out"], budget))
        report.show(memory.table(results["memory"], results["redis_import_mib"]))


def targets(results):
    """The issue's targets, met or missed, in one table; and the errors, which must be none."""
    figure = Table("Targets", ["figure", "measured", "target", "verdict"])
    for engine, result in results["per_request"].items():
        ratio = result["times"]["ratio"]
        figure.add(
            f"2. per-request ratio, {engine}",
            f"{ratio:.3f}",
            f"≤ {per_request.TARGET:.2f}",
            verdict(ratio, per_request.TARGET, at_most=True),
        )
    for measure, ratio in results["price"]["ratio_to_stock"].items():
        figure.add(
            f"2b. whole stack / stock middleware, {measure}",
            f"{ratio['median']:.3f}",
            f"≤ {profiling.TARGET:.2f}",
            verdict(ratio["median"], profiling.TARGET, at_most=True),
        )
    for label, result in results["throughput"].items():
        if throughput.has_target(label):
            ratio = result["ratio"]
            figure.add(
                f"4. throughput ratio, {label}",
                f"{ratio:.3f}",
                f"≥ {throughput.TARGET:.1f}",
                verdict(ratio, throughput.TARGET, at_most=False),
            )
    loaded = [*results["throughput"].values(), *results["scale_out"].values()]
    errors = sum(result["errors"] for result in loaded)
    requests = sum(result["requests"] for result in loaded)
    figure.add("4 and 5. errors under load", f"{errors} in {requests}", "0", "meets" if errors == 0 else "MISSES")
    return figure, errors


def write_outputs(arguments, report, results, output):
    plot_path = output / "benchmarks-throughput.png"
    title = f"Signed-in GET under gunicorn, {results['machine'][0][1]}"
    plot.throughput(results["throughput"], results["scale_out"], plot_path, title)
    (output / "results.json").write_text(json.dumps(plain(results), indent=2) + "\n")
    (output / "table.txt").write_text(report.text)
    print(f"Results, plot, profiles and logs: {output}")
    if arguments.update_docs:
        command = " ".join(["./scripts/benchmark", *map(shlex.quote, sys.argv[1:])])
        docs.update(report.text, plot_path, command)
        print(f"Updated {docs.DOCUMENT.relative_to(TEMPLATE_DIR)} and {docs.PLOT.relative_to(TEMPLATE_DIR)}.")


def run(arguments):
    budget = QUICK if arguments.quick else FULL
    output = arguments.output_dir.resolve()
    (output / "logs").mkdir(parents=True, exist_ok=True)
    clock = time.monotonic()
    report = Report()
    results = {"budget": budget.name, "started": time.localtime()}
    measure(arguments, budget, report, results, output)
    summary, errors = targets(results)
    report.show(summary)
    steps = ", ".join(f"{name}: {seconds:.0f} s" for name, seconds in report.durations.items())
    load_now = " ".join(f"{value:.2f}" for value in os.getloadavg())
    report.show(f"Done in {time.monotonic() - clock:.0f} s ({steps}); load average at the end: {load_now}.")
    results["durations"] = report.durations
    results["started"] = time.strftime("%Y-%m-%dT%H:%M:%S%z", results["started"])
    write_outputs(arguments, report, results, output)
    if errors:
        print(f"ERROR: {errors} requests under load failed: see the tables above.", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    arguments = parse_arguments(argv)
    # SIGTERM and SIGHUP unwind like Ctrl+C, so every server is stopped.
    stop_cleanly_on_termination()
    try:
        sys.exit(run(arguments))
    except KeyboardInterrupt:
        sys.exit("Interrupted: every server was stopped.")
