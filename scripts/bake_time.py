"""Print how long baking the default answers takes, as a ratio to cookiecutter's own start.

Run with the template's virtualenv:

    .venv/bin/python scripts/bake_time.py [--runs N] [TEMPLATE ...]

Each round times `cookiecutter --version`, then `cookiecutter --no-input` of
each template (this one unless others are named, e.g. an older checkout made
with `git worktree add`) into a fresh temporary directory, in turn, so that
every median sees the same machine load. The ratio is what a template (its
hooks, its filters, its files) costs beyond the start of cookiecutter itself.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
COOKIECUTTER = str(Path(sys.executable).parent / "cookiecutter")
# Installed cookiecutters start from compiled bytecode (pip compiles it): let
# the untimed first round write it, even where the environment says not to.
ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> float:
    """Run command, which must succeed quietly; return its wall-clock seconds."""
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=ENVIRONMENT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed rounds (default: 15)")
    parser.add_argument("templates", nargs="*", type=Path, default=[TEMPLATE_DIR], help="template directories")
    arguments = parser.parse_args()
    times = {}
    with tempfile.TemporaryDirectory(prefix="bake-time-") as scratch:
        # Cookiecutter reads its config from the home directory unless told: keep it out of the figures.
        config = Path(scratch, "config.yaml")
        config.write_text(f"cookiecutters_dir: {scratch}/cookiecutters\nreplay_dir: {scratch}/replay\n")
        bake = [COOKIECUTTER, "--no-input", "--config-file", str(config)]
        for number in range(arguments.runs + 1):
            round_times = {"cookiecutter --version": timed([COOKIECUTTER, "--version"])}
            for template in arguments.templates:
                round_times[f"bake {template}"] = timed([*bake, "-o", tempfile.mkdtemp(dir=scratch), str(template)])
            if number:  # The first round only warms the caches.
                for label, seconds in round_times.items():
                    times.setdefault(label, []).append(seconds)
    start = statistics.median(times["cookiecutter --version"])
    for label, seconds in times.items():
        median = statistics.median(seconds)
        print(f"{label}: median {median:.3f} s of {arguments.runs}, {median / start:.2f}x cookiecutter --version")


if __name__ == "__main__":
    main()
