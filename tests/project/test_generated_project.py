"""Baked projects install from their lock, pass their own tests and the deploy check, for every kind of answer.

The generated suite takes its clock jumps from the policy in force, so the same
tests prove the policy whatever the answers: the matrix bakes the ends of every
range and every choice, and runs each project's suite on SQLite and on
PostgreSQL + Redis. The suites run side by side, one per core, in one shared
virtualenv (the lock is the same file for every answer set).
"""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.support.commands import PRODUCTION_SECRET, project_environment, run

# Together: every choice's every value, both values of every boolean, both ends of
# every range (and the answers of the first report against short timeouts); the
# engine meets each IP binding, second-factor policy and sign-up policy once.
MATRIX = {
    "defaults": {},
    # Every range at its low end and every choice at its strictest.
    "shortest-cache": {
        "session_engine": "cache",
        "session_idle_timeout_minutes": 1,
        "session_absolute_timeout_hours": 1,
        "session_rotation_minutes": 1,
        "session_expire_at_browser_close": False,
        "session_cookie_samesite": "Strict",
        "session_ip_binding": "strict",
        "session_user_agent_binding": False,
        "device_bound_sessions": False,
        "trusted_proxy_count": 0,
        "mfa": "required",
        "signup": "open",
    },
    # Every range at its high end, the loosest choices, a cookie shared with subdomains.
    "longest-db-shared-cookie": {
        "project_name": "Shared Cookie",
        "session_engine": "db",
        "session_idle_timeout_minutes": 1440,
        "session_absolute_timeout_hours": 720,
        "session_rotation_minutes": 1440,
        "session_ip_binding": "off",
        "trusted_proxy_count": 10,
        "domain_name": "app.example.org",
        "cookie_domain": "example.org",
        "time_zone": "Pacific/Chatham",
        "mfa": "optional",
    },
    # A short idle timeout under a long re-authentication window, a rotation every minute.
    "short-idle-cached-db": {
        "session_idle_timeout_minutes": 5,
        "session_absolute_timeout_hours": 1,
        "session_rotation_minutes": 1,
        "session_cookie_samesite": "Strict",
        "session_ip_binding": "strict",
        "mfa": "required",
        "signup": "open",
    },
}
DATABASES = ("sqlite", "postgresql")
SUITE = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"]


@pytest.fixture(scope="session", params=list(MATRIX))
def row(request):
    return request.param


@pytest.fixture(scope="session")
def matrix_projects(bake_project):
    """Each row's project, baked once (cookiecutter changes the working directory: one bake at a time)."""
    return {name: bake_project(**answers) for name, answers in MATRIX.items()}


@pytest.fixture(scope="session")
def project(row, matrix_projects):
    return matrix_projects[row]


def selected_suites(session):
    """The (row, database) pairs whose suite a selected test reads."""
    return {
        (item.callspec.params["row"], item.callspec.params["database"])
        for item in session.items
        if item.originalname == "test_the_project_passes_its_own_tests"
    }


def needs_no_redis(row):
    """Whether the row's answers keep sessions and the cache in the database alone."""
    return MATRIX[row].get("session_engine") == "db"


@pytest.fixture(scope="session")
def suites(request, matrix_projects, project_python):
    """Start every selected project suite at once, one per core; yield their futures by (row, database).

    Each PostgreSQL suite gets a database of its own and each a Redis database
    number of its own: the suites create test databases and empty the cache.
    A `db` row runs on PostgreSQL alone, as its own CI does: its cache is a
    table in the database.
    """
    wanted = sorted(selected_suites(request.session))
    environments = {pair: project_environment() for pair in wanted if pair[1] == "sqlite"}
    on_postgresql = [name for name, database in wanted if database == "postgresql"]
    if on_postgresql:
        postgres = request.getfixturevalue("postgres_server")
        redis = request.getfixturevalue("redis_server")
        server_url, redis_url = postgres.url.rsplit("/", 1)[0], redis.url.rsplit("/", 1)[0]
        with psycopg.connect(postgres.url, autocommit=True) as connection:
            for number, name in enumerate(on_postgresql):
                database = f"suite_{number}"
                connection.execute(f'DROP DATABASE IF EXISTS "test_{database}"')
                connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
                connection.execute(f'CREATE DATABASE "{database}"')
                stores = {"DATABASE_URL": f"{server_url}/{database}"}
                if not needs_no_redis(name):
                    stores["REDIS_URL"] = f"{redis_url}/{number}"
                environments[name, "postgresql"] = project_environment(**stores)

    def run_suite(pair):
        return subprocess.run(
            [project_python, *SUITE],
            cwd=matrix_projects[pair[0]],
            env=environments[pair],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )

    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        yield {pair: pool.submit(run_suite, pair) for pair in wanted}


@pytest.mark.parametrize("database", DATABASES)
def test_the_project_passes_its_own_tests(row, database, suites):
    result = suites[row, database].result()

    assert result.returncode == 0, f"{result.stdout[-20000:]}\n{result.stderr[-5000:]}"
    assert " passed" in result.stdout
    if database == "postgresql":
        # With shared stores nothing may be skipped: the cross-process revocation test must run.
        assert "skipped" not in result.stdout


def test_migrations_apply_and_match_the_models(project, project_python, tmp_path):
    environment = project_environment(
        DJANGO_SECRET_KEY=PRODUCTION_SECRET, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )

    run([project_python, "manage.py", "migrate", "--noinput"], cwd=project, env=environment)
    run([project_python, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=project, env=environment)


def test_the_deploy_check_has_nothing_to_say_with_production_values(row, project, project_python, redis_server):
    stores = {"DATABASE_URL": "postgres://app:password@127.0.0.1:5432/app"}
    if not needs_no_redis(row):
        stores["REDIS_URL"] = redis_server.url
    environment = project_environment(DJANGO_SECRET_KEY=PRODUCTION_SECRET, **stores)

    result = run(
        [project_python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=project, env=environment
    )

    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_deploy_check_refuses_a_process_local_session_cache(bake_project, project_python):
    project = bake_project()
    environment = project_environment(DJANGO_SECRET_KEY=PRODUCTION_SECRET)

    result = run([project_python, "manage.py", "check", "--deploy"], cwd=project, env=environment, check=False)

    assert result.returncode == 1
    assert "session_policy.E001" in result.stderr
