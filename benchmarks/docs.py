"""Put a run's table and plot into docs/benchmarks.md, between its markers."""

import shutil

from benchmarks.bake import TEMPLATE_DIR

DOCUMENT = TEMPLATE_DIR / "docs" / "benchmarks.md"
PLOT = TEMPLATE_DIR / "docs" / "benchmarks-throughput.png"
BEGIN = "<!-- benchmark results: begin (written by ./scripts/benchmark --update-docs) -->"
END = "<!-- benchmark results: end -->"


class DocsError(RuntimeError):
    """docs/benchmarks.md lacks the markers the results go between."""


def update(report, plot_path, command):
    """Replace the results section of docs/benchmarks.md and copy the plot beside it."""
    text = DOCUMENT.read_text()
    before, begin, rest = text.partition(BEGIN)
    _, end, after = rest.partition(END)
    if not begin or not end:
        raise DocsError(f"{DOCUMENT} must contain the lines {BEGIN!r} and {END!r}")
    section = (
        f"\n\nMade by `{command}`:\n\n```text\n{report.rstrip()}\n```\n\n"
        f"![Throughput per configuration]({PLOT.name})\n\n"
    )
    DOCUMENT.write_text(before + BEGIN + section + END + after)
    shutil.copyfile(plot_path, PLOT)
