"""
Real PostgreSQL and Redis servers for tests and benchmarks.

Each server keeps its data, unix socket and log in a private temporary
directory, listens only on 127.0.0.1 on a free port, and trades durability
for speed. A stopped server can be started again on the same port with the
same data, so tests can simulate an outage.

In scripts, use the servers as context managers::

    with PostgresServer() as postgres, RedisServer() as redis:
        print(postgres.url, redis.url)

In tests, enable the session-scoped ``postgres_server`` and ``redis_server``
fixtures with ``pytest_plugins = ["tests.support.services"]``.
"""

import atexit
import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis

HOST = "127.0.0.1"


class ServiceError(RuntimeError):
    """A test server could not be found, started or stopped."""


def find_free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def clean_environment():
    """
    Return the environment without PG* variables, so that a developer's
    PGHOST, PGOPTIONS or PGSERVICE cannot redirect or break the servers.
    """
    return {name: value for name, value in os.environ.items() if not name.startswith("PG")}


class ManagedProcess:
    """
    A long-running process started by a test or a benchmark: its log in a
    private temporary directory, its own process group, a port on 127.0.0.1,
    a bounded wait until it is ready, and a stop by PID.

    Subclasses say how to run it and how to tell that it is ready. They may
    prepare the directory before the first start (``initialize``) and finish
    the setup after it (``provision``). A stopped process starts again on the
    same port with the same directory, so tests can simulate an outage.
    """

    name = "process"
    stop_signal = signal.SIGTERM
    start_timeout = 30
    stop_timeout = 30

    def __init__(self):
        self.port = None
        self.pid = None
        self.returncode = None
        self.directory = None
        self._process = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.cleanup()

    def __repr__(self):
        return f"<{self.__class__.__name__} port={self.port} pid={self.pid}>"

    @property
    def log_path(self):
        return self.directory / f"{self.name}.log"

    @property
    def is_running(self):
        return self._process is not None and self._process.poll() is None

    def start(self):
        """
        Start the process and wait until it is ready. The first start creates
        the directory, picks the port and initializes what the process needs.
        """
        if self.is_running:
            return
        first_start = self.directory is None
        if first_start:
            self.directory = Path(tempfile.mkdtemp(prefix=f"test-{self.name}-"))
            self.port = self.port or find_free_port()
            # Backstop for runs that end without tearing the process down.
            atexit.register(self.cleanup)
        try:
            if first_start:
                self.initialize()
            self._launch()
            if first_start:
                self.provision()
        except BaseException:
            if first_start:
                self.cleanup()
            else:
                self.stop()
            raise

    def stop(self, signum=None):
        """Stop the process, wait for it to exit, keep its directory; return its exit status."""
        process = self._process
        if process is None:
            return self.returncode
        if process.poll() is None:
            self._send_signal(signum or self.stop_signal)
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._send_signal(signal.SIGKILL)
                process.wait(self.stop_timeout)
        end_group(process)
        self.returncode = process.returncode
        self._process = None
        self.pid = None
        return self.returncode

    def cleanup(self):
        """Stop the process and delete its directory."""
        self.stop()
        atexit.unregister(self.cleanup)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
            self.port = None

    def initialize(self):
        """Prepare the directory before the first start."""

    def provision(self):
        """Finish the setup once the process runs for the first time."""

    def command(self):
        """Return the command line that runs the process in the foreground."""
        raise NotImplementedError

    def environment(self):
        return clean_environment()

    def working_directory(self):
        return self.directory

    def is_ready(self):
        """Return whether the process serves what it is for."""
        raise NotImplementedError

    def log_tail(self, lines=25):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, TypeError):
            return "(no log)"

    def error(self, problem):
        """Return a ServiceError for problem, with the tail of the log."""
        return ServiceError(f"{self.name} {problem}. Its log ends with:\n{self.log_tail()}")

    def _launch(self):
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.working_directory(),
                env=self.environment(),
                # Its own process group: stop() can end its children with it,
                # and Ctrl+C reaches the tests, which stop it in order.
                start_new_session=True,
            )
        self.pid = self._process.pid
        self.returncode = None
        deadline = time.monotonic() + self.start_timeout
        while not self.is_ready():
            if self._process.poll() is not None:
                status = self._process.returncode
                end_group(self._process)
                self._process = self.pid = None
                raise self.error(f"exited with status {status} while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise self.error(f"was not ready on {HOST}:{self.port} within {self.start_timeout} seconds")
            time.sleep(0.02)

    def _send_signal(self, signum):
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)


def end_group(process):
    """Kill whatever the process left in its group, e.g. the workers of a crashed master."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class PostgresServer(ManagedProcess):
    """
    A PostgreSQL server with a password-protected role and database for
    tests. Connections over TCP need the password (scram-sha-256); the
    ``postgres`` superuser can only connect through the private unix socket.
    """

    name = "postgres"
    # SIGINT is the "fast shutdown": it does not wait for clients to leave.
    stop_signal = signal.SIGINT

    def __init__(self, user="app", database="app"):
        super().__init__()
        self.user = user
        self.database = database
        self.password = secrets.token_urlsafe(18)
        self.bindir = find_postgres_bindir()
        # PostgreSQL refuses to run as root, so root runs it as the postgres
        # OS user that the Debian package creates.
        self.run_as = None
        if os.geteuid() == 0:
            try:
                self.run_as = pwd.getpwnam("postgres")
            except KeyError:
                raise ServiceError(
                    "There is no postgres OS user to run PostgreSQL as: "
                    "install the Debian package postgresql, which creates it."
                ) from None
            search_path = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin"
            self.runuser = shutil.which("runuser", path=search_path)
            if self.runuser is None:
                raise ServiceError("runuser was not found: install the Debian package util-linux.")

    @property
    def url(self):
        if self.port is None:
            raise ServiceError("Start the PostgreSQL server before asking its URL.")
        return f"postgres://{self.user}:{self.password}@{HOST}:{self.port}/{self.database}"

    @property
    def data_directory(self):
        return self.directory / "data"

    def initialize(self):
        if self.run_as is not None:
            os.chown(self.directory, self.run_as.pw_uid, self.run_as.pw_gid)
        self._run(
            self.bindir / "initdb",
            f"--pgdata={self.data_directory}",
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            # The data is thrown away: don't wait for it to reach the disk.
            "--no-sync",
        )

    def provision(self):
        # token_urlsafe() passwords hold no quote to escape; quoted names keep
        # their case, so they match the URL.
        self._run(
            self.bindir / "psql",
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            f"--host={self.directory}",
            f"--port={self.port}",
            "--username=postgres",
            "--dbname=postgres",
            f"--command=CREATE ROLE \"{self.user}\" LOGIN CREATEDB PASSWORD '{self.password}'",
            f'--command=CREATE DATABASE "{self.database}" OWNER "{self.user}"',
            as_postgres=False,
        )

    def command(self):
        settings = {
            "listen_addresses": HOST,
            "port": self.port,
            "unix_socket_directories": self.directory,
            "password_encryption": "scram-sha-256",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        options = [f"--{name}={value}" for name, value in settings.items()]
        return self._as_postgres([self.bindir / "postgres", "-D", self.data_directory, *options])

    def is_ready(self):
        # pg_ctl's own test: the postmaster writes "ready" on the 8th line of
        # postmaster.pid once it accepts connections. The first line is its
        # PID, which differs from the runuser process that root launches.
        try:
            lines = (self.data_directory / "postmaster.pid").read_text().splitlines()
        except FileNotFoundError:
            return False
        if lines and lines[0].isdigit():
            self.pid = int(lines[0])
        return len(lines) >= 8 and lines[7].strip() == "ready"

    def _launch(self):
        # A postmaster.pid left by a crash would make is_ready() believe the
        # new server is up before it is. The server is stopped, so it is stale.
        (self.data_directory / "postmaster.pid").unlink(missing_ok=True)
        super()._launch()

    def _as_postgres(self, command):
        if self.run_as is None:
            return command
        return [self.runuser, "-u", self.run_as.pw_name, "--", *command]

    def _run(self, program, *arguments, as_postgres=True):
        command = [program, *arguments]
        if as_postgres:
            command = self._as_postgres(command)
        with open(self.log_path, "ab") as log:
            result = subprocess.run(
                command,
                check=False,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                env=clean_environment(),
            )
        if result.returncode:
            raise self.error(f"{Path(program).name} failed")


def find_postgres_bindir():
    """
    Return the directory holding initdb, postgres and psql: the newest
    Debian version under /usr/lib/postgresql, else wherever PATH finds them.
    """
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=debian_version, reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if all((bindir / program).exists() for program in ("initdb", "postgres")):
            if not (bindir / "psql").exists():
                raise ServiceError(f"psql is missing from {bindir}: install the Debian package postgresql-client.")
            return bindir
    raise ServiceError(
        "PostgreSQL server programs (initdb, postgres) were not found: install the Debian package postgresql."
    )


def debian_version(bindir):
    """Return a sortable version from /usr/lib/postgresql/<version>/bin."""
    try:
        return [int(part) for part in bindir.parent.name.split(".")]
    except ValueError:
        return [0]


class RedisServer(ManagedProcess):
    """A Redis server that keeps its data in memory only."""

    name = "redis"

    def __init__(self):
        super().__init__()
        self.executable = shutil.which("redis-server")
        if self.executable is None:
            raise ServiceError("redis-server was not found: install the Debian package redis-server.")

    @property
    def url(self):
        if self.port is None:
            raise ServiceError("Start the Redis server before asking its URL.")
        return f"redis://{HOST}:{self.port}/0"

    def command(self):
        return [
            self.executable,
            "--bind",
            HOST,
            "--port",
            str(self.port),
            "--unixsocket",
            str(self.directory / "redis.sock"),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.directory),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            "",
        ]

    def is_ready(self):
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class RedisReplica(RedisServer):
    """A Redis server replicating primary, ready once it has the primary's data."""

    name = "redis-replica"

    def __init__(self, primary):
        super().__init__()
        self.primary = primary

    def command(self):
        return [*super().command(), "--replicaof", HOST, str(self.primary.port)]

    def provision(self):
        deadline = time.monotonic() + self.start_timeout
        while redis_client(self.port).info("replication")["master_link_status"] != "up":
            if time.monotonic() > deadline:
                raise self.error(f"did not reach its primary on {HOST}:{self.primary.port}")
            time.sleep(0.05)


class SentinelServer(ManagedProcess):
    """
    A Redis Sentinel watching primary under master_name: it declares the
    primary down after a second of silence and promotes a replica.
    """

    name = "redis-sentinel"

    def __init__(self, primary, master_name, *, quorum=2):
        super().__init__()
        self.primary = primary
        self.master_name = master_name
        self.quorum = quorum
        self.executable = shutil.which("redis-server")
        if self.executable is None:
            raise ServiceError("redis-server was not found: install the Debian package redis-server.")

    @property
    def address(self):
        return f"{HOST}:{self.port}"

    @property
    def config_path(self):
        return self.directory / "sentinel.conf"

    def initialize(self):
        # Sentinel rewrites its configuration as it learns: the file must be its own.
        self.config_path.write_text(
            f"bind {HOST}\n"
            f"port {self.port}\n"
            f"dir {self.directory}\n"
            f"sentinel monitor {self.master_name} {HOST} {self.primary.port} {self.quorum}\n"
            f"sentinel down-after-milliseconds {self.master_name} 1000\n"
            f"sentinel failover-timeout {self.master_name} 3000\n"
            f"sentinel parallel-syncs {self.master_name} 1\n"
        )

    def command(self):
        return [self.executable, str(self.config_path), "--sentinel", "--daemonize", "no", "--logfile", ""]

    def is_ready(self):
        try:
            return redis_client(self.port).ping()
        except redis.RedisError:
            return False

    def master_port(self):
        """Return the port of the primary this sentinel names."""
        _, port = redis_client(self.port).sentinel_get_master_addr_by_name(self.master_name)
        return int(port)


def redis_client(port):
    """A redis-py client for the Redis or Sentinel on port, quick to give up."""
    return redis.Redis(HOST, port, socket_timeout=2, socket_connect_timeout=2)


def raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")


def stop_cleanly_on_termination():
    """
    Turn SIGTERM and SIGHUP into KeyboardInterrupt, which pytest answers by
    tearing down fixtures: by default they kill Python without running
    fixture teardown or atexit, and the servers would outlive the tests.
    """
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, raise_keyboard_interrupt)


@pytest.fixture(scope="session")
def postgres_server():
    """Yield a PostgreSQL server shared by the test session."""
    stop_cleanly_on_termination()
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def redis_server():
    """Yield a Redis server shared by the test session."""
    stop_cleanly_on_termination()
    with RedisServer() as server:
        yield server
