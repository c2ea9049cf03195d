"""
The benchmark's quick run works end to end and prints every figure.

A smoke test only: the numbers depend on the machine, so nothing here is
about speed (docs/benchmarks.md has the figures and how to read them).
"""

import json
import re
import subprocess

from tests.support.template import TEMPLATE_DIR

# A bound on a hang, not a timing assertion: the quick run takes about a minute.
HANG_TIMEOUT = 600
# Each figure's title, and rows its table must hold.
FIGURES = {
    "1. Generation": ["bake the defaults", "bake + uv venv"],
    "2. Per-request cost in process": ["db ", "cache ", "cached_db "],
    "2b. The price of each addition": ["whole stack", "stock middleware only", "- session_policy.middleware"],
    "3. Session-store traffic": ["db / generated", "cache / baseline", "cached_db / generated"],
    "4. Throughput under gunicorn": [
        "startproject baseline, db",
        "generated, db",
        "generated, cache",
        "generated, cached_db",
    ],
    "5. Scale-out": ["1 instance x 2 workers", "2 instances x 2 workers", "1 instance x 1 worker"],
    "6. Memory": ["startproject baseline, db", "generated, cached_db"],
    "Targets": [
        "2. per-request ratio, cached_db",
        "2b. whole stack / stock middleware, cpu",
        "4. throughput ratio, generated, cache",
        "4 and 5. errors under load",
    ],
}


def sections(output):
    """Split the printed report into {title: its lines}, titles being unindented lines."""
    found = {}
    title = None
    for line in output.splitlines():
        if line and not line.startswith(" "):
            title = line
            found[title] = []
        elif title is not None:
            found[title].append(line)
    return found


def test_the_quick_benchmark_prints_every_figure(tmp_path):
    result = subprocess.run(
        [TEMPLATE_DIR / "scripts" / "benchmark", "--quick", "--output-dir", tmp_path],
        cwd=TEMPLATE_DIR,
        capture_output=True,
        text=True,
        timeout=HANG_TIMEOUT,
        check=False,
    )

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    printed = sections(result.stdout)
    for title, rows in FIGURES.items():
        section = next((lines for heading, lines in printed.items() if heading.startswith(title)), None)
        assert section is not None, f"no {title!r} table in:\n{result.stdout}"
        for row in rows:
            assert any(line.strip().startswith(row.strip()) for line in section), f"{title}: no row {row!r}"
    # Every measured row holds numbers, not placeholders.
    assert not re.search(r"\bnan\b", result.stdout)
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results["per_request"]) == {"db", "cache", "cached_db"}
    assert set(results["price"]["ratio_to_stock"]) == {"elapsed", "cpu"}
    assert (tmp_path / "benchmarks-throughput.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "table.txt").read_text().startswith("Session-protection benchmarks (quick run")
