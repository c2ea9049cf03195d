"""Figure 1: how long generating a project takes, with and without installing it."""

import shutil
import time

from benchmarks.bake import bake, install, scratch_directory
from benchmarks.report import Spread, Table


def timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(budget):
    """Time bakes of the defaults (hooks included), then bakes followed by an install from the lock file."""
    scratch = scratch_directory("generation")
    try:
        bakes, installs = [], []
        for number in range(max(budget.bakes, budget.installs)):
            if number < budget.bakes:
                bakes.append(timed(lambda n=number: bake(scratch / f"bake-{n}")))
            if number < budget.installs:
                installs.append(timed(lambda n=number: install(bake(scratch / f"install-{n}"))))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"bake": Spread.of(bakes), "bake_install": Spread.of(installs), "runs": (len(bakes), len(installs))}


def table(result):
    figure = Table("1. Generation (seconds)", ["step", "runs", "median (min–max)"])
    figure.add("bake the defaults, hooks included (cookiecutter CLI)", result["runs"][0], result["bake"].show(2))
    figure.add(
        "bake + uv venv + uv pip install --require-hashes -r requirements.lock",
        result["runs"][1],
        result["bake_install"].show(2),
    )
    figure.note("uv's download cache is warm after the first install: later installs copy from it, offline.")
    return figure
