"""
``--profile``: where figure 2's extra time goes.

Profiles the generated project's page with pyinstrument (installed into the
baked project's virtualenv at the version benchmarks/requirements.txt pins),
then measures the share of each addition to Django's stock stack inside one
process (see attribution.py).
"""

from pathlib import Path

from benchmarks.bake import install_extra
from benchmarks.in_process import Driver
from benchmarks.report import Table

ENGINE = "cached_db"
REQUIREMENTS = Path(__file__).with_name("requirements.txt")


def pinned(name):
    """The exact requirement benchmarks/requirements.txt pins for name."""
    for line in REQUIREMENTS.read_text().splitlines():
        requirement = line.split("#")[0].strip()
        if requirement.split("==")[0].lower() == name:
            return requirement
    raise LookupError(f"{name} is not pinned in {REQUIREMENTS}")


def profile(subjects, budget, output):
    """Write a pyinstrument profile of the project's page; return each addition's share as a table."""
    project = subjects.project
    install_extra(project.python, pinned("pyinstrument"))
    requests = budget.rounds * budget.requests_per_round
    driver = Driver(project, ENGINE, output / "logs" / "driver-profile.log")
    try:
        report = driver.ask("profile", requests=requests, output=str(output / "profile.html"))
        shares = driver.ask("attribute", requests=requests)
    finally:
        driver.close()
    figure = Table(
        f"2b. Profile: the share of each addition to the stock stack ({ENGINE}, µs per request, one process)",
        ["variant of the generated project's stack", "CPU", "share", "elapsed", "share"],
    )
    for name, result in shares.items():
        figure.add(
            name,
            f"{result['cpu']:.0f}",
            f"{result['cpu_share']:+.0f}",
            f"{result['elapsed']:.0f}",
            f"{result['elapsed_share']:+.0f}",
        )
    figure.note(f"medians of {requests} requests per variant, alternating between variants in one process;")
    figure.note("share: the full stack's median less the variant's. A negative share means that leaving it out")
    figure.note("costs more: another part then does the work (e.g. loading the user inside the atomic block).")
    name = Path(report["output"]).name
    figure.note(f"pyinstrument profile of the full stack: {name} (and .txt, .pyisession) in the output directory.")
    return figure
