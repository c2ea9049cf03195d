"""Baked projects install from their lock, pass their own tests and the deploy check."""

import pytest

from tests.support.commands import PRODUCTION_SECRET, project_environment, run

# One bake per row, together covering every engine and the riskier choices.
REPRESENTATIVE = {
    "defaults": {},
    "cache-strict": {
        "session_engine": "cache",
        "session_cookie_samesite": "Strict",
        "session_ip_binding": "strict",
        "session_user_agent_binding": False,
        "device_bound_sessions": False,
        "session_expire_at_browser_close": False,
        "trusted_proxy_count": 0,
        "mfa": "required",
        "signup": "open",
    },
    "db-shared-cookie": {
        "project_name": "Shared Cookie",
        "session_engine": "db",
        "session_ip_binding": "off",
        "domain_name": "app.example.org",
        "cookie_domain": "example.org",
        "mfa": "optional",
    },
}


@pytest.fixture(scope="session", params=list(REPRESENTATIVE), ids=list(REPRESENTATIVE))
def project(request, bake_project):
    return bake_project(**REPRESENTATIVE[request.param])


def test_the_project_passes_its_own_tests_on_sqlite(project, project_python):
    result = run(
        [project_python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=project_environment()
    )

    assert " passed" in result.stdout


def test_the_project_passes_its_own_tests_on_postgresql_and_redis(
    project, project_python, postgres_server, redis_server
):
    environment = project_environment(DATABASE_URL=postgres_server.url, REDIS_URL=redis_server.url)

    result = run([project_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"], cwd=project, env=environment)

    assert " passed" in result.stdout
    # With shared stores nothing may be skipped: the cross-process revocation test must run.
    assert "skipped" not in result.stdout


def test_migrations_apply_and_match_the_models(project, project_python, tmp_path):
    environment = project_environment(
        DJANGO_SECRET_KEY=PRODUCTION_SECRET, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )

    run([project_python, "manage.py", "migrate", "--noinput"], cwd=project, env=environment)
    run([project_python, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=project, env=environment)


def test_the_deploy_check_has_nothing_to_say_with_production_values(project, project_python, redis_server):
    environment = project_environment(
        DJANGO_SECRET_KEY=PRODUCTION_SECRET,
        DATABASE_URL="postgres://app:password@127.0.0.1:5432/app",
        REDIS_URL=redis_server.url,
    )

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
