"""Describe the machine and the software a run measured, for the table's header."""

import os
import platform
import re
import subprocess
from pathlib import Path


def first_line(command):
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return "not found"
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "?"


def cpu_model():
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    match = re.search(r"^model name\s*:\s*(.+)$", text, flags=re.MULTILINE)
    return match.group(1).strip() if match else platform.processor() or "unknown CPU"


def memory_gib():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        return 0.0


def distribution():
    try:
        release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
        return release.get("PRETTY_NAME", "").strip('"')
    except OSError:
        return platform.system()


def describe(project_python, postgres_bindir):
    """Return (name, value) pairs: hardware, system and every program measured."""
    versions = "import django, gunicorn; print(django.__version__, gunicorn.__version__)"
    django_version, _, gunicorn_version = first_line([project_python, "-c", versions]).partition(" ")
    return [
        ("CPU", f"{cpu_model()}, {os.cpu_count()} cores"),
        ("memory", f"{memory_gib():.0f} GiB"),
        ("system", f"{distribution()}, Linux {platform.release()}"),
        ("load average", " ".join(f"{value:.2f}" for value in os.getloadavg()) + " (at the start)"),
        ("Python", first_line([project_python, "-V"]).removeprefix("Python ")),
        ("Django / gunicorn", f"{django_version} / {gunicorn_version}"),
        ("PostgreSQL", first_line([postgres_bindir / "postgres", "--version"])),
        ("Redis", first_line(["redis-server", "--version"])),
        ("load generator", first_line(["wrk", "--version"])),
    ]
