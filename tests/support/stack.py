"""
A baked project run for real: gunicorn instances behind Caddy serving TLS.

Each process logs to a private temporary directory, listens on 127.0.0.1,
waits a bounded time to be ready, and is stopped by its PID. For example::

    app = GunicornInstance(project, python, database_url=..., redis_url=...)
    with app, CaddyProxy(project / "Caddyfile", [app]) as proxy:
        status, headers, body = proxy.request("GET", "/health/")

The rehearsal uses them; benchmarks and reliability tests can too (stop an
instance, start it again on the same port, put more of them behind a proxy).
"""

import base64
import contextlib
import hashlib
import http.client
import os
import secrets
import shutil
import socket
import ssl
import threading
from pathlib import Path
from types import SimpleNamespace

import psycopg
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.support.commands import project_environment, run
from tests.support.services import HOST, ManagedProcess, ServiceError

CLIENT_TIMEOUT = 10


class GunicornInstance(ManagedProcess):
    """
    One instance of a baked project: gunicorn with the project's
    gunicorn.conf.py and production settings, on a free port of 127.0.0.1.

    ``environment`` adds or overrides variables; ``command_prefix`` runs
    gunicorn through another program (e.g. to change its user); ``host``
    binds another loopback address, as if the instance ran on another host.
    """

    name = "gunicorn"
    # Django and the app load in every worker: slower than a bare server.
    start_timeout = 60

    def __init__(
        self,
        project,
        python,
        *,
        database_url,
        redis_url,
        allowed_hosts=(HOST,),
        workers=2,
        trusted_proxy_count=None,
        secret_key=None,
        environment=None,
        command_prefix=(),
        host=HOST,
    ):
        super().__init__()
        self.host = host
        self.project = Path(project)
        self.python = Path(python)
        self.allowed_hosts = list(allowed_hosts)
        self.workers = workers
        self.command_prefix = list(command_prefix)
        self.port = None
        self.expect_healthy = True
        self.settings = {
            "DJANGO_SECRET_KEY": secret_key or secrets.token_urlsafe(50),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DJANGO_ALLOWED_HOSTS": ",".join(self.allowed_hosts),
        }
        if trusted_proxy_count is not None:
            self.settings["DJANGO_TRUSTED_PROXY_COUNT"] = str(trusted_proxy_count)
        self.settings |= environment or {}

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def command(self):
        # The image's command: the gunicorn script beside the virtualenv's Python.
        return [*self.command_prefix, self.python.parent / "gunicorn", "--config", "gunicorn.conf.py"]

    def working_directory(self):
        return self.project

    def environment(self):
        return project_environment(
            **self.settings,
            GUNICORN_BIND=self.address,
            GUNICORN_WORKERS=str(self.workers),
        )

    def manage(self, *arguments, environment=None, check=True):
        """Run manage.py in the project with this instance's settings, plus environment."""
        settings = project_environment(**self.settings | (environment or {}))
        return run([self.python, "manage.py", *arguments], cwd=self.project, env=settings, check=check)

    def request(self, method, path, headers=None, body=None):
        """
        Send a request straight to this instance, as the proxy would: for an
        allowed host, over https as far as Django knows, from 127.0.0.1.
        Return (status, [(name, value), ...], body).
        """
        as_proxied = {"Host": self.allowed_hosts[0], "X-Forwarded-Proto": "https", "X-Forwarded-For": HOST}
        client = self.connect()
        try:
            client.request(method, path, body=body, headers=as_proxied | (headers or {}))
            response = client.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            client.close()

    def connect(self):
        """Open a connection to this instance: plain http, as from the proxy."""
        return http.client.HTTPConnection(self.host, self.port, timeout=CLIENT_TIMEOUT)

    def health(self):
        """Return the status of /health/, or None when nothing answers."""
        try:
            return self.request("GET", "/health/")[0]
        except (OSError, http.client.HTTPException):
            return None

    def start(self, *, healthy=True):
        """
        Start gunicorn and wait until /health/ answers 200; with healthy=False,
        until it answers at all (for an instance whose database or cache is down).
        """
        self.expect_healthy = healthy
        super().start()

    def is_ready(self):
        status = self.health()
        return status == 200 if self.expect_healthy else status is not None


class LocalCertificateAuthority:
    """A throwaway CA and a certificate it issued for a host, as PEM files in a directory."""

    def __init__(self, directory, host):
        self.authority = trustme.CA()
        self.certificate = self.authority.issue_cert(host)
        self.ca_path = directory / "ca.pem"
        self.certificate_path = directory / "certificate.pem"
        self.key_path = directory / "key.pem"
        self.authority.cert_pem.write_to_path(str(self.ca_path))
        self.certificate.private_key_pem.write_to_path(str(self.key_path))
        # The chain, leaf first, as servers send it.
        self.certificate_path.write_bytes(b"".join(blob.bytes() for blob in self.certificate.cert_chain_pems))

    @property
    def spki_sha256(self):
        """The leaf's public key hash, as Chromium's --ignore-certificate-errors-spki-list takes it."""
        leaf = x509.load_pem_x509_certificate(self.certificate.cert_chain_pems[0].bytes())
        spki = leaf.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(hashlib.sha256(spki).digest()).decode()

    def client_context(self):
        context = ssl.create_default_context()
        self.authority.configure_trust(context)
        return context


class CaddyProxy(ManagedProcess):
    """
    Caddy running a project's Caddyfile in front of some app instances,
    with TLS from a CA made for the test, on 127.0.0.1 (or host). The site's
    name is host unless name gives another, which the client then resolves to
    host itself (WebAuthn, for one, refuses an IP address as the site).

    The project's Caddyfile is imported after test-only global options:
    listen on 127.0.0.1 only, no admin endpoint, state in the private
    directory. Port 80 carries Caddy's http -> https redirect.
    """

    name = "caddy"

    def __init__(self, caddyfile, upstreams, *, host=HOST, name=None, https_port=443, http_port=80):
        super().__init__()
        self.caddyfile = Path(caddyfile).resolve()
        self.upstreams = list(upstreams)
        self.host = host
        self.name = name or host
        self.https_port = https_port
        self.http_port = http_port
        self.executable = shutil.which("caddy")
        if self.executable is None:
            raise ServiceError("caddy was not found: install the Debian package caddy.")
        self.authority = None

    @property
    def url(self):
        port = "" if self.https_port == 443 else f":{self.https_port}"
        return f"https://{self.name}{port}"

    @property
    def http_url(self):
        port = "" if self.http_port == 80 else f":{self.http_port}"
        return f"http://{self.name}{port}"

    @property
    def config_path(self):
        return self.directory / "Caddyfile"

    def initialize(self):
        self.authority = LocalCertificateAuthority(self.directory, self.name)
        self.config_path.write_text(
            "{\n"
            "\tadmin off\n"
            f"\tdefault_bind {self.host}\n"
            f"\thttp_port {self.http_port}\n"
            f"\thttps_port {self.https_port}\n"
            f"\tstorage file_system {self.directory / 'data'}\n"
            "\tskip_install_trust\n"
            "\tgrace_period 5s\n"
            "}\n"
            f"import {self.caddyfile}\n"
        )

    def command(self):
        return [self.executable, "run", "--config", self.config_path, "--adapter", "caddyfile"]

    def environment(self):
        # Instances, or "host:port" strings for upstreams started some other way.
        upstreams = " ".join(getattr(upstream, "address", upstream) for upstream in self.upstreams)
        home = str(self.directory)
        return os.environ | {
            "HOME": home,
            "XDG_DATA_HOME": home,
            "XDG_CONFIG_HOME": home,
            "DOMAIN_NAME": self.name,
            "CADDY_TLS": f"tls {self.authority.certificate_path} {self.authority.key_path}",
            "APP_UPSTREAMS": f"to {upstreams}",
        }

    def is_ready(self):
        try:
            with socket.create_connection((self.host, self.http_port), timeout=1):
                pass
            context = self.authority.client_context()
            with (
                socket.create_connection((self.host, self.https_port), timeout=1) as sock,
                context.wrap_socket(sock, server_hostname=self.name),
            ):
                return True
        except OSError:
            return False

    def request(self, method, path, headers=None, body=None, *, https=True):
        """Send a request through the proxy; return (status, [(name, value), ...], body)."""
        if https:
            client = http.client.HTTPSConnection(
                self.host, self.https_port, timeout=CLIENT_TIMEOUT, context=self.authority.client_context()
            )
        else:
            client = http.client.HTTPConnection(self.host, self.http_port, timeout=CLIENT_TIMEOUT)
        try:
            client.request(method, path, body=body, headers=headers or {})
            response = client.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            client.close()


@contextlib.contextmanager
def busy_worker(app, *, every=0.5):
    """
    Hold one of app's sync workers, as a slow client on a bad network does:
    a request to /health/ whose header lines trickle in one every ``every``
    seconds; a sync worker reads them blocking and serves nobody else. On
    exit the request ends and its answer is read; the block yields a namespace
    whose ``status`` is then that answer's (200: one worker read the whole
    trickle, so it was held all along). Keep the block shorter than
    GUNICORN_TIMEOUT, after which gunicorn replaces the held worker.
    """
    stop = threading.Event()
    held = SimpleNamespace(status=None)
    connection = socket.create_connection((app.host, app.port), timeout=CLIENT_TIMEOUT)
    start = f"GET /health/ HTTP/1.1\r\nHost: {app.allowed_hosts[0]}\r\nX-Forwarded-Proto: https\r\n"
    connection.sendall(start.encode())

    def trickle():
        # Well under gunicorn's limit of 100 header fields for any block shorter than its timeout.
        while not stop.wait(every):
            connection.sendall(b"X-Slow: 1\r\n")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield held
    finally:
        stop.set()
        thread.join()
        try:
            connection.sendall(b"Connection: close\r\n\r\n")
            response = http.client.HTTPResponse(connection)
            response.begin()
            held.status = response.status
        finally:
            connection.close()


def create_database(postgres_server, prefix="stack"):
    """Create an empty database on the test server; return its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_server.url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.url.rpartition("/")[0] + f"/{name}"


def redis_database(redis_server, index):
    """Return the URL of one of the test server's numbered databases."""
    return redis_server.url.rpartition("/")[0] + f"/{index}"


def header_values(headers, name):
    """Every value of a header, in order, from a list of (name, value) pairs."""
    return [value for key, value in headers if key.lower() == name.lower()]


@contextlib.contextmanager
def deployed_stack(
    project,
    python,
    postgres_server,
    redis_server,
    *,
    users,
    redis_index,
    environment=None,
    host=HOST,
    name=None,
    workers=3,
):
    """
    Deploy a baked project as compose.yaml does: migrate, collect static files,
    create the users (username → password, superusers), start two instances
    of workers sync workers each that share a secret key, and put Caddy in
    front, on host, serving the site as name (see CaddyProxy). Yield all of it.
    """
    settings = {
        "database_url": create_database(postgres_server, "stack"),
        "redis_url": redis_database(redis_server, redis_index),
        # The instances sign and check each other's sessions and CSRF tokens.
        "secret_key": secrets.token_urlsafe(50),
        "workers": workers,
        "trusted_proxy_count": 1,
        "environment": environment,
        "allowed_hosts": (name or host,),
    }
    apps = [GunicornInstance(project, python, **settings) for _ in range(2)]
    apps[0].manage("migrate", "--noinput")
    apps[0].manage("collectstatic", "--noinput", "-v", "0")
    for username, password in users.items():
        apps[0].manage(
            "createsuperuser",
            "--noinput",
            f"--username={username}",
            f"--email={username}@example.com",
            environment={"DJANGO_SUPERUSER_PASSWORD": password},
        )
    with contextlib.ExitStack() as running:
        for app in apps:
            running.enter_context(app)
        proxy = running.enter_context(CaddyProxy(project / "Caddyfile", apps, host=host, name=name))
        yield SimpleNamespace(project=project, apps=apps, proxy=proxy)
