"""
The deployment files are valid, and the image's build and run steps work without Docker.

No Docker engine runs here, so the Dockerfile is linted, compose.yaml is
checked against the compose-spec schema, the Caddyfile by Caddy itself, and
what the image does is done by hand: install from the lock, collect the
static files, pass the deploy check, and run gunicorn as the image's
non-root user on files it cannot write.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.bake.test_bake import MATRIX, matrix_id
from tests.support.commands import project_environment, run, tool
from tests.support.docker import compose_config, compose_v2, required_compose_variables, unavailable
from tests.support.stack import GunicornInstance

# The Dockerfile's steps, run below as the image runs them.
PIP_INSTALL = "pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: -r requirements.lock"
COLLECTSTATIC = "DJANGO_SECRET_KEY=collectstatic-signs-nothing /opt/venv/bin/python manage.py collectstatic --noinput"
IMAGE_UID = 10001
IMAGE_COMMAND = 'CMD ["gunicorn", "--config", "gunicorn.conf.py"]'
# The image's user cannot write the code or the virtualenv. On this machine
# the Python they link to lives under /root, out of that user's reach: let it
# read (never write) everywhere, as it could in the image.
AS_IMAGE_USER = [
    "setpriv",
    f"--reuid={IMAGE_UID}",
    f"--regid={IMAGE_UID}",
    "--clear-groups",
    "--inh-caps=+dac_read_search",
    "--ambient-caps=+dac_read_search",
]
IMAGE_ENVIRONMENT = {"HOME": "/nonexistent", "PYTHONDONTWRITEBYTECODE": "1", "DJANGO_ENV_FILE": ""}
# A port nothing listens on, for a database or cache that is down.
CLOSED = "127.0.0.1:9"
# What compose.yaml's variables are set to, as in the .env of a deployment.
COMPOSE_VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?]([^${}]*))?\}")


@pytest.fixture(scope="module")
def project(bake_project):
    return bake_project()


def test_the_dockerfile_passes_hadolint(project):
    result = run([tool("hadolint"), "--no-color", "Dockerfile"], cwd=project, check=False)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "answers",
    [{}, {"domain_name": "localhost"}, {"trusted_proxy_count": 0}, {"trusted_proxy_count": 3}],
    ids=["defaults", "localhost", "no-proxy", "three-proxies"],
)
def test_the_compose_file_follows_the_compose_spec(bake_project, answers):
    project = bake_project(**answers)

    result = run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "compose.yaml"], cwd=project, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("answers", MATRIX, ids=map(matrix_id, MATRIX))
def test_compose_v2_accepts_the_compose_file_of_every_answer_set(bake_project, answers):
    compose = compose_v2()
    if compose is None:
        unavailable("Docker Compose v2 is not in build/compose/: run ./scripts/compose")
    project = bake_project(**answers)
    variables = required_compose_variables(project)

    result = compose_config(project, compose, variables)

    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert sorted(services) == sorted(
        ["caddy", "app", "migrate", "postgres"] + ([] if answers.get("session_engine") == "db" else ["redis"])
    )
    # Each variable compose requires is one .env.example asks for, and compose names it when it is missing.
    required = set(re.findall(r"\$\{(\w+):\?", (project / "compose.yaml").read_text()))
    assert required <= set(variables)
    for name in required:
        missing = compose_config(project, compose, {key: value for key, value in variables.items() if key != name})
        assert missing.returncode != 0, name
        assert f"set {name} in .env" in missing.stderr


def test_db_sessions_give_a_stack_without_redis(bake_project):
    project = bake_project(session_engine="db")
    compose = load_compose(project)

    assert "redis" not in compose["services"]
    assert "configs" not in compose
    assert "redis_data" not in compose["volumes"]
    assert "REDIS_URL" not in compose["services"]["app"]["environment"]
    assert "redis" not in compose["services"]["app"]["depends_on"]
    assert "REDIS_PASSWORD" not in required_compose_variables(project)
    assert "REDIS" not in (project / "compose.yaml").read_text().upper().replace("NO REDIS", "")


def test_only_caddy_is_reachable_and_everything_waits_for_what_it_needs(project):
    services = load_compose(project)["services"]

    assert [name for name, service in services.items() if "ports" in service] == ["caddy"]
    # Replicas need a service without a fixed container name.
    assert "container_name" not in services["app"]
    assert services["app"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["caddy"]["depends_on"] == {"app": {"condition": "service_healthy"}}
    assert "healthcheck" in services["postgres"]
    assert "healthcheck" in services["redis"]
    assert services["app"]["read_only"] is True


def test_redis_keeps_sessions_rather_than_evicting_them(project):
    redis_conf = load_compose(project)["configs"]["redis_conf"]["content"].splitlines()

    assert "maxmemory-policy noeviction" in redis_conf
    assert "appendonly yes" in redis_conf
    assert any(line.startswith("requirepass ") for line in redis_conf)


@pytest.mark.parametrize(("trusted_proxy_count", "in_compose"), [(0, "1"), (1, "1"), (3, "3")])
def test_the_app_trusts_forwarded_headers_from_caddy_only(bake_project, trusted_proxy_count, in_compose):
    compose = load_compose(bake_project(trusted_proxy_count=trusted_proxy_count))
    app = compose["services"]["app"]["environment"]

    # The stack always has Caddy in front, whatever the default for other setups.
    assert compose_default(app["DJANGO_TRUSTED_PROXY_COUNT"]) == in_compose
    assert app["DJANGO_TRUSTED_PROXIES"] == compose["services"]["caddy"]["networks"]["web"]["ipv4_address"]


def test_every_variable_compose_reads_is_documented(project):
    documented = set(re.findall(r"^#?\s*(\w+)=", (project / ".env.example").read_text(), re.MULTILINE))

    used = {name for name, _ in COMPOSE_VARIABLE.findall((project / "compose.yaml").read_text())}
    assert used - documented == set()


@pytest.mark.parametrize("answers", [{}, {"domain_name": "localhost"}], ids=["acme", "tls-internal"])
def test_caddy_accepts_the_caddyfile_as_compose_runs_it(bake_project, answers, tmp_path):
    project = bake_project(**answers)
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.fail("caddy is not installed: apt-get install caddy")
    environment = {name: compose_default(value) for name, value in caddy_environment(project).items()}

    result = subprocess.run(
        [caddy, "validate", "--config", "Caddyfile", "--adapter", "caddyfile"],
        cwd=project,
        env=os.environ | environment | {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def test_the_build_context_leaves_out_secrets_and_caches(project):
    patterns = dockerignore(project)

    for path in [".env", ".env.production", ".git/config", ".venv/bin/python", "db.sqlite3", "staticfiles/x.css"]:
        assert ignored(path, patterns), path
    for path in ["my_project/__pycache__/settings.cpython-313.pyc", "session_policy/__pycache__/x.pyc"]:
        assert ignored(path, patterns), path
    for path in [".env.example", "manage.py", "requirements.lock", "gunicorn.conf.py", "my_project/settings.py"]:
        assert not ignored(path, patterns), path


def test_the_dockerfile_runs_the_steps_rehearsed_here(project):
    dockerfile = (project / "Dockerfile").read_text()

    for step in [PIP_INSTALL, COLLECTSTATIC, "-m compileall", f"USER {IMAGE_UID}:{IMAGE_UID}", IMAGE_COMMAND]:
        assert step in dockerfile, step
    assert 'CMD ["python", "-m", "my_project.probe"]' in dockerfile
    assert 'ENTRYPOINT ["/usr/bin/tini", "--"]' in dockerfile


@pytest.fixture(scope="module")
def image(project, tmp_path_factory):
    """The image's /app and /opt/venv, built by the Dockerfile's steps; return (app, python)."""
    root = tmp_path_factory.mktemp("image")
    app = root / "app"
    patterns = dockerignore(project)
    shutil.copytree(project, app, ignore=lambda directory, names: ignored_names(project, directory, names, patterns))
    venv = root / "venv"
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "venv", venv], cwd=root)
    # The Dockerfile's flags; only the download cache is kept, for speed.
    pip_flags = PIP_INSTALL.removeprefix("pip install --no-cache-dir ").split()
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pip_flags], cwd=app)
    build_environment = project_environment(DJANGO_SECRET_KEY="collectstatic-signs-nothing")
    run([python, "manage.py", "collectstatic", "--noinput"], cwd=app, env=build_environment)
    run([python, "-m", "compileall", "-q", app], cwd=app)
    return app, python


def test_the_image_holds_no_local_secret(project, image):
    app, _ = image

    assert (project / ".env").is_file()
    assert not (app / ".env").exists()
    assert (app / "staticfiles" / "staticfiles.json").is_file()


def test_the_deploy_check_passes_in_the_image(image, postgres_server, redis_server):
    app, python = image
    environment = project_environment(
        **IMAGE_ENVIRONMENT,
        DJANGO_SECRET_KEY="production-like-secret-key-with-plenty-of-entropy-0123456789-abcdef",
        DATABASE_URL=postgres_server.url,
        REDIS_URL=redis_server.url,
    )

    result = run(
        [*AS_IMAGE_USER, python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=app,
        env=environment,
    )

    assert "System check identified no issues (0 silenced)." in result.stdout


def test_gunicorn_serves_the_image_as_its_user_without_writing_a_file(image, postgres_server, redis_server):
    app, python = image
    before = snapshot(app)
    instance = GunicornInstance(
        app,
        python,
        database_url=postgres_server.url,
        redis_url=redis_server.url,
        workers=2,
        environment=IMAGE_ENVIRONMENT,
        command_prefix=AS_IMAGE_USER,
    )

    with instance:
        assert process_uid(instance.pid) == IMAGE_UID
        status, _, body = instance.request("GET", "/health/")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, _, page = instance.request("GET", "/accounts/login/")
        assert status == 200
        stylesheet = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet is not None, page
        assert instance.request("GET", stylesheet[1].decode())[0] == 200
        assert healthcheck(instance, python) == 0
        # docker stop sends SIGTERM (through tini): gunicorn finishes and exits cleanly.
        assert instance.stop() == 0
        assert "Shutting down: Master" in instance.log_path.read_text()

    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("broken", "failed"), [("DATABASE_URL", ["database"]), ("REDIS_URL", ["cache"])], ids=["database", "cache"]
)
def test_the_health_check_names_what_is_down(image, postgres_server, redis_server, broken, failed):
    app, python = image
    urls = {"database_url": postgres_server.url, "redis_url": redis_server.url}
    urls["database_url" if broken == "DATABASE_URL" else "redis_url"] = (
        f"postgres://app:password@{CLOSED}/app" if broken == "DATABASE_URL" else f"redis://{CLOSED}/0"
    )
    instance = GunicornInstance(app, python, workers=1, environment=IMAGE_ENVIRONMENT, **urls)

    try:
        instance.start(healthy=False)
        status, headers, body = instance.request("GET", "/health/")
        assert (status, json.loads(body)) == (503, {"status": "unavailable", "failed": failed})
        assert "no-store" in dict(headers)["Cache-Control"]
        assert healthcheck(instance, python) == 1
    finally:
        instance.cleanup()


def healthcheck(instance, python):
    """Run the image's HEALTHCHECK command against the instance; return its exit status."""
    environment = project_environment(**instance.settings | {"GUNICORN_BIND": instance.address})
    command = [*AS_IMAGE_USER, python, "-m", "my_project.probe"]
    result = run(command, cwd=instance.project, env=environment, check=False)
    return result.returncode


def load_compose(project):
    return yaml.safe_load((project / "compose.yaml").read_text())


def caddy_environment(project):
    return load_compose(project)["services"]["caddy"]["environment"]


def compose_default(value):
    """Interpolate a compose value as with an empty .env: every ${NAME:-default} takes its default."""
    while (substituted := COMPOSE_VARIABLE.sub(lambda match: match[2] or "", value)) != value:
        value = substituted
    return value


def dockerignore(project):
    lines = (project / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path, patterns):
    """Whether Docker leaves path out of the build context: the last matching pattern decides."""
    candidates = [path, *("/".join(path.split("/")[:end]) for end in range(1, path.count("/") + 1))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = dockerignore_regex(pattern.removeprefix("!").strip("/"))
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def dockerignore_regex(pattern):
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern)
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


def ignored_names(project, directory, names, patterns):
    relative = Path(directory).relative_to(project)
    return [name for name in names if ignored((relative / name).as_posix().removeprefix("./"), patterns)]


def snapshot(tree):
    return {path: path.stat().st_mtime_ns for path in tree.rglob("*")}


def process_uid(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)[1])
