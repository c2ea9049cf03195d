"""Drive a project served in another process of its own Python (see driver.py)."""

import contextlib
import json
import select
import subprocess
from pathlib import Path

from benchmarks import per_request, store_traffic
from benchmarks.subjects import ENGINES, PASSWORD_VARIABLE, USERNAME

DRIVER = Path(__file__).with_name("driver.py")
REPLY_TIMEOUT = 300


class DriverError(RuntimeError):
    """The driver process failed or stopped answering."""


class Driver:
    """A project set up in its own process, signed in, answering commands."""

    def __init__(self, subject, engine, log_path, **environment):
        self.subject = subject
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [subject.python, DRIVER, "--username", USERNAME, "--password-env", PASSWORD_VARIABLE],
                cwd=subject.directory,
                env=subject.environment(engine, **environment),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self.ready = self._reply()

    def ask(self, command, **arguments):
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


@contextlib.contextmanager
def drivers(subjects, engine, log_dir, **environment):
    """Yield a driver of the generated project and one of the baseline, for one session engine."""
    with contextlib.ExitStack() as stack:
        pair = []
        for subject in (subjects.project, subjects.baseline):
            log_path = log_dir / f"driver-{subject.directory.name}-{engine}.log"
            driver = Driver(subject, engine, log_path, **environment)
            stack.callback(driver.close)
            pair.append(driver)
        yield pair


def measure(subjects, budget, log_dir):
    """Figures 2 and 3 for every engine, from one pair of drivers each; return both by engine."""
    timings, traffic = {}, {}
    for engine in ENGINES:
        with drivers(subjects, engine, log_dir) as (project, plain):
            timings[engine] = per_request.measure(project, plain, budget)
            # Last: counting moves the policy's clock into the future.
            traffic[engine] = store_traffic.measure(project, plain, budget)
    return timings, traffic
