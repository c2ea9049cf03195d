"""Figure 6: peak resident memory of each gunicorn worker, read from /proc after the load."""

import subprocess

from benchmarks.report import Spread, Table

# Anonymous memory a fresh interpreter gains by importing a module: what a worker pays for it.
IMPORT_COST = """
import sys

def anonymous_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("RssAnon:"))

import django.core.cache.backends.redis  # what any Django process imports anyway
before = anonymous_kib()
__import__(sys.argv[1])
print(anonymous_kib() - before)
"""


def status_mib(pid, field):
    """A memory line of /proc/PID/status (VmHWM, RssAnon...) in MiB; None if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def sample(instance):
    """Peak and anonymous RSS of an instance's master and of each of its workers."""
    workers = instance.worker_pids()
    return {
        "master": status_mib(instance.pid, "VmHWM"),
        "workers": [value for pid in workers if (value := status_mib(pid, "VmHWM")) is not None],
        "anonymous": [value for pid in workers if (value := status_mib(pid, "RssAnon")) is not None],
    }


def import_cost_mib(python, module):
    """What importing module adds to a process of this Python, in MiB."""
    result = subprocess.run(
        [python, "-c", IMPORT_COST, module], capture_output=True, text=True, timeout=60, check=False
    )
    return int(result.stdout) / 1024 if result.returncode == 0 else None


def table(samples, redis_import_mib):
    """samples: {configuration label: sample}."""
    figure = Table(
        "6. Memory: peak RSS per gunicorn worker (MiB, after figure 4's load)",
        ["configuration", "workers", "peak RSS per worker", "of it anonymous", "master", "all processes"],
    )
    for label, memory in samples.items():
        workers = memory["workers"]
        figure.add(
            label,
            len(workers),
            Spread.of(workers).show(1),
            Spread.of(memory["anonymous"]).show(1),
            f"{memory['master']:.1f}",
            f"{sum(workers) + memory['master']:.0f}",
        )
    figure.note("VmHWM and RssAnon from /proc, median (min–max) over the workers; peak RSS counts shared")
    figure.note("library pages in every process, so the last column overstates what the machine spends.")
    if redis_import_mib is not None:
        figure.note(
            f"`import redis` alone adds {redis_import_mib:.1f} MiB to a process: every Redis-backed worker pays it,"
        )
        figure.note("the baseline on db never imports it.")
    return figure
