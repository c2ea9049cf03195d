"""Figure 6: peak resident memory of each gunicorn worker, read from /proc after the load."""

import statistics

from benchmarks.report import Spread, Table

MIB = 1024 * 1024


def peak_rss_mib(pid):
    """VmHWM, the process's peak resident set size, in MiB; None if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / MIB
    except OSError:
        return None
    return None


def sample(instance):
    """Peak RSS of an instance's master and of each of its workers."""
    workers = [peak_rss_mib(pid) for pid in instance.worker_pids()]
    return {"master": peak_rss_mib(instance.pid), "workers": [value for value in workers if value is not None]}


def table(samples):
    """samples: {configuration label: sample}."""
    figure = Table(
        "6. Memory: peak RSS per gunicorn worker (MiB, after figure 4's load)",
        ["configuration", "workers", "per worker", "master", "workers + master"],
    )
    for label, memory in samples.items():
        workers = memory["workers"]
        figure.add(
            label,
            len(workers),
            Spread.of(workers).show(1),
            f"{memory['master']:.1f}",
            f"{sum(workers) + memory['master']:.0f}",
        )
    figure.note("VmHWM from /proc: each worker's peak resident set, shared library pages included,")
    figure.note("so the sum overstates what the machine spends; median (min–max) over the workers.")
    return figure


def median_worker(memory):
    return statistics.median(memory["workers"])
