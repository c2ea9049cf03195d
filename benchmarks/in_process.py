"""
Figures 2 and 3 from the generated project's own benchmark, benchmarks/per_request.py.

It runs in the project's virtualenv, one process per project, copy and
engine, with --serve: signed in once, it answers commands (see its serve()).
The baseline runs the same script, with its own settings, from its own
directory: the same client, page and counting for both projects.
"""

import contextlib
import json
import select
import subprocess
from pathlib import Path

from benchmarks import per_request, store_traffic
from benchmarks.pages import PAGE
from benchmarks.subjects import ENGINES

# Inside the generated project.
BENCHMARK = Path("benchmarks") / "per_request.py"
REPLY_TIMEOUT = 300


class DriverError(RuntimeError):
    """The driver process failed or stopped answering."""


class Driver:
    """A project set up in its own process, signed in, answering commands.

    Starting returns at once; ``wait_ready()`` waits for the sign-in and the
    warm-up, so that several drivers can start side by side.
    """

    def __init__(self, subject, benchmark, engine, log_path):
        self.subject = subject
        self.log_path = log_path
        self.ready = None
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [subject.python, benchmark, "--serve", *benchmark_arguments(subject, engine)],
                cwd=subject.directory,
                env=subject.environment(engine),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )

    def wait_ready(self):
        if self.ready is None:
            self.ready = self._reply()
        return self

    def ask(self, command, **arguments):
        self.wait_ready()
        self.process.stdin.write(json.dumps({"command": command, **arguments}) + "\n")
        self.process.stdin.flush()
        return self._reply()

    def _reply(self):
        readable, _, _ = select.select([self.process.stdout], [], [], REPLY_TIMEOUT)
        line = self.process.stdout.readline() if readable else ""
        if not line:
            self.close()
            raise DriverError(f"the {self.subject.label} driver stopped answering:\n{self.log_tail()}")
        return json.loads(line)

    def log_tail(self, lines=20):
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def close(self):
        if self.process.poll() is None:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.process.stdin.write(json.dumps({"command": "quit"}) + "\n")
                self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def benchmark_arguments(subject, engine, *, database_url=None):
    """The project's benchmark's options for a subject's page on an engine, on the subject's servers by default."""
    database_url = database_url or subject.database_url
    return [
        f"--settings={subject.settings_module}",
        f"--database-url={database_url}",
        f"--redis-url={subject.redis_url}",
        f"--session-engine={engine}",
        f"--page={PAGE}",
    ]


@contextlib.contextmanager
def drivers(subjects, engine, log_dir, copies=1):
    """
    Yield (project drivers, baseline drivers), copies of each, for one engine.

    Processes of the same code differ by a few percent (memory layout, hash
    seeds, which core they land on): several copies average that out.
    """
    with contextlib.ExitStack() as stack:
        started = {}
        for subject in (subjects.project, subjects.baseline):
            started[subject.label] = []
            for copy in range(copies):
                log_path = log_dir / f"driver-{subject.directory.name}-{engine}-{copy}.log"
                driver = Driver(subject, subjects.project.directory / BENCHMARK, engine, log_path)
                stack.callback(driver.close)
                started[subject.label].append(driver)
        project, baseline = ([driver.wait_ready() for driver in group] for group in started.values())
        yield project, baseline


def measure(subjects, budget, log_dir):
    """Figures 2 and 3 for every engine, from the same drivers; return both by engine."""
    timings, traffic = {}, {}
    for engine in ENGINES:
        with drivers(subjects, engine, log_dir, copies=budget.processes) as (project, baseline):
            timings[engine] = per_request.measure(project, baseline, budget)
            # Last: counting moves the policy's clock into the future.
            traffic[engine] = store_traffic.measure(project[0], baseline[0], budget)
    return timings, traffic
