"""
The generated image, built and run by a real Docker engine as compose.yaml runs it.

For the default answers and for the db session engine (no Redis at all): the
image builds offline, carries only what production runs, migrates in a
one-off container, then serves as compose's app service does (its options
read from `docker compose config`: read-only, every capability dropped, no
new privileges, stop_grace_period), as uid 10001, healthy by its own
HEALTHCHECK, serving the sign-in page and a signed-in page through Caddy with
TLS, writing nothing, and stopping gracefully while a sign-in is in flight.

Containers use the host's network and reach the tests' PostgreSQL and Redis
on 127.0.0.1. Caddy listens on 127.0.0.1:80 and 443: run this tier under
`flock /tmp/caddy.lock`. Figures go to stdout (pytest -s shows them).
"""

import http.client
import json
import re
import secrets
import shutil
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from tests.support.docker import compose_config, compose_v2, http_get, required_compose_variables, unavailable
from tests.support.services import HOST, find_free_port
from tests.support.stack import CaddyProxy, create_database
from tests.support.visitors import CSRF_FIELD, PASSWORD, SIGNED_IN_AS, Tally, Visitor, create_visitors

ANSWERS = {"defaults": {}, "db": {"session_engine": "db"}}
IMAGE_UID = 10001
# The image's own probe command and timeout, run every 2 s instead of every
# 30 s so that the test sees "healthy" without waiting half a minute.
HEALTH_INTERVAL = "2s"
HEALTHY_WITHIN = 120
# What production does not run: none of it may be in the image.
DEVELOPMENT_FILES = [
    "conftest.py",
    "benchmarks",
    ".github",
    "uv.lock",
    "requirements-dev.lock",
    "docs",
    "README.md",
    ".pre-commit-config.yaml",
    "pyproject.toml",
]
LOAD_SECONDS = 20
LOAD_CLIENTS = 8


def figure(text):
    print(f"\n[docker] {text}", flush=True)


@pytest.fixture(scope="module", params=list(ANSWERS))
def image(request, bake_project, docker_engine):
    """The image built from a bake with BuildKit; return a namespace with its project, tag and size."""
    project = bake_project(**ANSWERS[request.param])
    tag = f"secure-sessions-{request.param}:test"
    started = time.monotonic()
    docker_engine.docker("build", "--network", "host", "--tag", tag, project, env={"DOCKER_BUILDKIT": "1"})
    build_seconds = time.monotonic() - started
    size = int(docker_engine.docker("image", "inspect", "--format", "{{.Size}}", tag).stdout)
    base = int(docker_engine.docker("image", "inspect", "--format", "{{.Size}}", "python:3.13-slim-bookworm").stdout)
    figure(
        f"{request.param}: BuildKit build {build_seconds:.0f} s; image {size / 1e6:.0f} MB, "
        f"{(size - base) / 1e6:.0f} MB over the stand-in base"
    )
    return SimpleNamespace(name=request.param, project=project, tag=tag, size=size)


@pytest.fixture(scope="module")
def app_service(image, tmp_path_factory):
    """compose.yaml's app and migrate services as `docker compose config` resolves them with a deployment's .env."""
    compose = compose_v2()
    if compose is None:
        unavailable("Docker Compose v2 is not in build/compose/: run ./scripts/compose")
    directory = tmp_path_factory.mktemp("compose")
    shutil.copy(image.project / "compose.yaml", directory)
    variables = required_compose_variables(image.project) | {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    (directory / ".env").write_text("".join(f"{name}={value}\n" for name, value in variables.items()))
    result = compose_config(directory, compose, {})
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    return services["app"], services["migrate"]


@pytest.fixture(scope="module")
def deployment(image, app_service, docker_engine, postgres_server, redis_server, tmp_path_factory):
    """The app container running as compose runs it, after the migrate one-off; removed at the end."""
    app, migrate = app_service
    # What compose.yaml promises; the run below takes them from it.
    assert app["read_only"] is True
    assert app["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in app["security_opt"]
    assert ("REDIS_URL" in app["environment"]) is (image.name != "db")
    port = find_free_port()
    environment = dict(app["environment"]) | {
        "DATABASE_URL": create_database(postgres_server, "docker"),
        # The stack's host names become this machine's loopback.
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_TRUSTED_PROXIES": HOST,
        "GUNICORN_BIND": f"{HOST}:{port}",
    }
    if "REDIS_URL" in environment:
        environment["REDIS_URL"] = redis_server.url
    env_file = tmp_path_factory.mktemp("env") / "app.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in environment.items()))
    options = ["--network", "host", "--env-file", env_file, *service_options(app)]
    name = f"app-{image.name}-{secrets.token_hex(3)}"

    def one_off(*command):
        return docker_engine.docker("run", "--rm", *options, image.tag, *command, timeout=300)

    started = time.monotonic()
    one_off(*migrate["command"])
    figure(f"{image.name}: migrate one-off {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    docker_engine.docker("run", "--detach", "--name", name, "--health-interval", HEALTH_INTERVAL, *options, image.tag)
    try:
        status = wait_for_health(docker_engine, name)
        health = docker_engine.inspect(name)["State"].get("Health", {}).get("Log", [])
        logs = docker_engine.docker("logs", name, check=False).stderr[-3000:]
        assert status == "healthy", f"{status}; probes: {health}; log:\n{logs}"
        figure(f"{image.name}: healthy {time.monotonic() - started:.1f} s after start")
        yield SimpleNamespace(
            name=name,
            port=port,
            image=image,
            stop_grace=seconds(app["stop_grace_period"]),
            manage=lambda *arguments: one_off("python", "manage.py", *arguments),
        )
    finally:
        docker_engine.docker("rm", "--force", name, check=False)


def service_options(service):
    """docker run options for what a compose service sets about the container itself."""
    options = ["--read-only"] if service.get("read_only") else []
    for path in service.get("tmpfs", []):
        options += ["--tmpfs", path]
    for capability in service.get("cap_drop", []):
        options += ["--cap-drop", capability]
    for option in service.get("security_opt", []):
        options += ["--security-opt", option]
    if "user" in service:
        options += ["--user", service["user"]]
    if "stop_grace_period" in service:
        options += ["--stop-timeout", str(seconds(service["stop_grace_period"]))]
    return options


def seconds(duration):
    """Seconds in a compose duration such as 40s or 1m30s."""
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([hms])", duration)
    assert "".join(number + unit for number, unit in parts) == duration, duration
    return sum(int(number) * units[unit] for number, unit in parts)


def wait_for_health(engine, name):
    deadline = time.monotonic() + HEALTHY_WITHIN
    while time.monotonic() < deadline:
        state = engine.inspect(name)["State"]
        if not state["Running"]:
            return f"exited {state['ExitCode']}"
        if state["Health"]["Status"] in ("healthy", "unhealthy"):
            return state["Health"]["Status"]
        time.sleep(0.5)
    return "starting"


def probe_durations(engine, name):
    """The seconds each health probe Docker kept (its last five) took."""
    log = engine.inspect(name)["State"]["Health"]["Log"]
    return [(timestamp(probe["End"]) - timestamp(probe["Start"])).total_seconds() for probe in log]


def timestamp(text):
    # Docker gives nanoseconds; Python takes microseconds.
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", text).replace("Z", "+00:00"))


def test_the_image_builds_offline_with_the_legacy_builder_too(bake_project, docker_engine):
    started = time.monotonic()
    result = docker_engine.docker(
        "build",
        "--network",
        "host",
        "--tag",
        "secure-sessions-legacy:test",
        bake_project(),
        env={"DOCKER_BUILDKIT": "0"},
    )
    figure(f"legacy builder build {time.monotonic() - started:.0f} s")
    assert "Successfully tagged secure-sessions-legacy:test" in result.stdout


def test_the_image_carries_only_what_production_runs(image, docker_engine):
    listing = docker_engine.docker(
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "python",
        image.tag,
        "-c",
        "import os, sys\n"
        "for root, dirs, files in os.walk(sys.argv[1]):\n"
        "    for name in dirs + files: print(os.path.relpath(os.path.join(root, name), sys.argv[1]))",
        "/app",
    ).stdout.split()

    assert [path for path in listing if path.split("/")[-1] == "tests"] == []
    assert [path for path in listing if path in DEVELOPMENT_FILES] == []
    assert ".env" not in listing
    assert "requirements.lock" in listing
    assert "staticfiles/staticfiles.json" in listing


def test_it_runs_as_its_user_and_passes_the_deploy_check(deployment, docker_engine):
    processes = docker_engine.docker("top", deployment.name, "-eo", "pid,uid,args").stdout.splitlines()[1:]

    assert processes
    assert {int(line.split()[1]) for line in processes} == {IMAGE_UID}, processes
    assert any("gunicorn" in line for line in processes), processes
    result = deployment.manage("check", "--deploy", "--fail-level", "WARNING")
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_it_serves_sign_in_and_a_signed_in_page_through_the_tls_proxy(deployment, tmp_path):
    create_visitors(deployment, 1)
    with CaddyProxy(deployment.image.project / "Caddyfile", [f"{HOST}:{deployment.port}"]) as proxy:
        status, _, page = proxy.request("GET", "/accounts/login/")
        assert status == 200
        assert CSRF_FIELD.search(page.decode()) is not None
        visitor = ContainerVisitor(
            lambda: http.client.HTTPSConnection(
                proxy.host, proxy.https_port, timeout=60, context=proxy.authority.client_context()
            )
        )

        assert visitor.sign_in(), visitor.tally.summary()
        status, _, page = visitor.request("GET", "/")
        assert status == 200
        assert SIGNED_IN_AS.search(page)[1] == visitor.username
        assert any(name.startswith("__Host-") for name in visitor.cookies), visitor.cookies


def test_it_writes_nothing(deployment, docker_engine):
    # Layers: nothing changed (read-only stops writes; this finds them if it goes).
    assert docker_engine.docker("diff", deployment.name).stdout == ""
    # The one writable place, the tmpfs, stays empty too.
    scratch = docker_engine.docker("exec", deployment.name, "python", "-c", "import os; print(os.listdir('/tmp'))")
    assert scratch.stdout.strip() == "[]"


def test_it_stays_healthy_under_load(deployment, docker_engine):
    stop = time.monotonic() + LOAD_SECONDS
    answers = []
    probes = []

    def load():
        while time.monotonic() < stop:
            answers.append(http_get(HOST, deployment.port, "/accounts/login/", headers=as_proxied())[0])

    def probe():
        while time.monotonic() < stop:
            started = time.monotonic()
            command, _ = healthcheck(docker_engine, deployment.name)
            result = docker_engine.docker("exec", deployment.name, *command, check=False)
            probes.append((time.monotonic() - started, result.returncode))

    with ThreadPoolExecutor(LOAD_CLIENTS + 1) as pool:
        for future in [pool.submit(load) for _ in range(LOAD_CLIENTS)] + [pool.submit(probe)]:
            future.result()

    durations = sorted(duration for duration, _ in probes)
    _, timeout = healthcheck(docker_engine, deployment.name)
    figure(
        f"{deployment.image.name}: under {LOAD_CLIENTS} clients, {len(answers)} pages in {LOAD_SECONDS} s; "
        f"{len(probes)} health probes took median {statistics.median(durations):.2f} s, max {durations[-1]:.2f} s "
        f"of the {timeout:.0f} s timeout; Docker's own last probes: "
        + ", ".join(f"{duration:.2f}" for duration in probe_durations(docker_engine, deployment.name))
    )
    assert set(answers) == {200}
    assert [status for _, status in probes if status != 0] == []
    # Healthy as Docker judges it: fewer failures in a row than the HEALTHCHECK's retries.
    assert docker_engine.inspect(deployment.name)["State"]["Health"]["Status"] == "healthy"


def test_it_stops_gracefully_within_the_grace_period_with_a_sign_in_in_flight(deployment, docker_engine):
    # A real sign-in, its body half sent when the stop begins.
    create_visitors(deployment, 1)
    visitor = ContainerVisitor(lambda: http.client.HTTPConnection(HOST, deployment.port, timeout=60))
    status, _, page = visitor.request("GET", "/accounts/login/")
    assert status == 200
    token = CSRF_FIELD.search(page)[1]
    body = urlencode({"username": visitor.username, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
    head = (
        f"POST /accounts/login/ HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\nX-Forwarded-For: {HOST}\r\n"
        f"User-Agent: {visitor.user_agent}\r\nReferer: https://{HOST}/accounts/login/\r\n"
        f"Cookie: {'; '.join(f'{name}={value}' for name, value in visitor.cookies.items())}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    connection = socket.create_connection((HOST, deployment.port), timeout=60)
    connection.sendall(head + body[: len(body) // 2])
    # The worker has taken the request before the stop begins.
    time.sleep(1)
    stopping = {}

    def stop():
        started = time.monotonic()
        docker_engine.docker("stop", deployment.name, timeout=deployment.stop_grace + 30)
        stopping["seconds"] = time.monotonic() - started

    stopper = threading.Thread(target=stop)
    stopper.start()
    deadline = time.monotonic() + 10
    while "Handling signal: term" not in docker_engine.docker("logs", deployment.name).stderr:
        assert time.monotonic() < deadline, "gunicorn never got SIGTERM"
        time.sleep(0.1)
    connection.sendall(body[len(body) // 2 :])
    answer = read_all(connection)
    stopper.join()

    state = docker_engine.inspect(deployment.name)["State"]
    figure(f"{deployment.image.name}: stopped in {stopping['seconds']:.1f} s of its {deployment.stop_grace} s grace")
    assert answer.startswith(b"HTTP/1.1 302 "), answer[:500]
    assert b"\r\nLocation: /\r\n" in answer
    assert (state["ExitCode"], state["OOMKilled"]) == (0, False)
    assert stopping["seconds"] < deployment.stop_grace
    assert "Shutting down: Master" in docker_engine.docker("logs", deployment.name).stderr


class ContainerVisitor(Visitor):
    """The first visitor of create_visitors, its browser reaching the container through connect()."""

    def __init__(self, connect):
        super().__init__(0, [SimpleNamespace(allowed_hosts=[HOST])], Tally())
        self.open_connection = connect

    def connect(self, instance):
        return self.open_connection()


def as_proxied():
    return {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": HOST}


def healthcheck(engine, name):
    """The image's HEALTHCHECK: its command and its timeout in seconds."""
    config = engine.inspect(name)["Config"]["Healthcheck"]
    kind, *command = config["Test"]
    assert kind == "CMD", config
    return command, config["Timeout"] / 1e9


def read_all(connection):
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    connection.close()
    return b"".join(chunks)
