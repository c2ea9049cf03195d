"""gunicorn instances of either project, with production settings, on 127.0.0.1."""

from pathlib import Path

from benchmarks.pages import LOGIN
from tests.support.stack import GunicornInstance


class Instance(GunicornInstance):
    """A GunicornInstance of either project, ready once its sign-in page answers.

    The baseline has no /health/ page, and the page every benchmark needs
    working is the sign-in form anyway.
    """

    def health(self):
        try:
            return self.request("GET", LOGIN)[0]
        except OSError:
            return None

    def worker_pids(self):
        """The PIDs of the master's worker processes."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []


def instance(subject, engine, *, workers, with_redis=True):
    """An instance of a subject for one session engine; start it with ``with``."""
    # The rest of the environment is GunicornInstance's: production settings, no .env.
    return Instance(
        subject.directory,
        subject.python,
        database_url=subject.database_url,
        redis_url=subject.redis_url if with_redis else "",
        secret_key=subject.secret_key,
        workers=workers,
        environment={"DJANGO_SETTINGS_MODULE": subject.settings_module, "DJANGO_SESSION_ENGINE": engine},
    )
