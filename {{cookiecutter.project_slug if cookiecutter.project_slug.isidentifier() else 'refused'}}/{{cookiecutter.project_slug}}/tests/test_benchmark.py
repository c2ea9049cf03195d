"""The per-request benchmark runs and says what it measured: figures, not a verdict on speed."""

import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_the_quick_benchmark_prices_every_addition_to_the_stock_stack():
    result = subprocess.run(
        [sys.executable, "benchmarks/per_request.py", "--quick", "--json"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    stacks = figures["price"]["stacks"]
    assert {"whole stack", "stock middleware only"} <= set(stacks)
    # Every middleware is either Django's stock or priced on its own.
    priced = {name.removeprefix("- ") for name in stacks if name.startswith("- ")}
    assert len(set(settings.MIDDLEWARE) - priced) == figures["price"]["middleware"][1]
    assert figures["price"]["ratio_to_stock"]["cpu"]["median"] > 0
    assert figures["traffic"]["requests"] == 100
    assert figures["traffic"]["queries_typical"] >= 1


def test_a_run_longer_than_a_session_lives_is_refused():
    result = subprocess.run(
        [sys.executable, "benchmarks/per_request.py", "--counted", "100000", "--pace", "3600"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode != 0
    assert "lower --counted or --pace" in result.stderr
