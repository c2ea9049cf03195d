"""
The two projects under test, ready to serve: the baked template and the baseline.

Both run on the same PostgreSQL server (a database each) and the same Redis,
with DEBUG off and a signed-up user, from the baked project's virtualenv.
"""

import contextlib
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from benchmarks import baseline, pages
from benchmarks.bake import bake, install, run, scratch_directory
from tests.support.stack import create_database

HOST = "127.0.0.1"
USERNAME = "benchmark"
PASSWORD_VARIABLE = "BENCHMARK_PASSWORD"
CREATE_USER = (
    "import os; from django.contrib.auth import get_user_model; "
    f"get_user_model().objects.create_user({USERNAME!r}, 'benchmark@example.com', os.environ[{PASSWORD_VARIABLE!r}])"
)
ENGINES = ("db", "cache", "cached_db")


@dataclass
class Subject:
    """One project under test: where it lives, how to run it, who signs in."""

    label: str
    directory: Path
    python: Path
    settings_module: str
    database_url: str
    redis_url: str
    secret_key: str
    password: str

    def environment(self, engine, **extra):
        """The environment a process of this project runs in, for a session engine."""
        inherited = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
        return inherited | {
            # Production settings: the generated project's local .env stays unread.
            "DJANGO_ENV_FILE": "",
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_SESSION_ENGINE": engine,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            **extra,
        }

    def manage(self, *arguments, **environment):
        """Run manage.py with this project's settings (any engine will do)."""
        return run(
            [self.python, "manage.py", *arguments], cwd=self.directory, env=self.environment("db", **environment)
        )

    def prepare(self, *, collect_static):
        """Create the tables and the user; collect static files where the project serves them."""
        self.manage("migrate", "--noinput")
        if collect_static:
            self.manage("collectstatic", "--noinput")
        # An ordinary user: the generated project first sends staff to set up a second factor.
        self.manage("shell", "--command", CREATE_USER, **{PASSWORD_VARIABLE: self.password})


@dataclass
class Subjects:
    project: Subject
    baseline: Subject
    scratch: Path


@contextlib.contextmanager
def prepared(postgres, redis):
    """Bake and install the template's defaults, create the baseline; yield both ready to serve."""
    scratch = scratch_directory("subjects")
    try:
        project = bake(scratch / "project")
        project_python = install(project)
        pages.add_page_to_generated(project)
        # Each project signs its own sessions; instances of one project share a key.
        common = {"redis_url": redis.url, "password": secrets.token_urlsafe(18)}
        generated = Subject(
            label="generated project",
            directory=project,
            python=project_python,
            settings_module=pages.SETTINGS_MODULE,
            database_url=create_database(postgres, "project"),
            secret_key=secrets.token_urlsafe(50),
            **common,
        )
        plain = Subject(
            label="startproject baseline",
            directory=baseline.create(project_python, scratch),
            python=project_python,
            settings_module="baseline.settings",
            database_url=create_database(postgres, "baseline"),
            secret_key=secrets.token_urlsafe(50),
            **common,
        )
        generated.prepare(collect_static=True)
        plain.prepare(collect_static=False)
        yield Subjects(generated, plain, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
