"""
A Docker engine of the tests' own, and the base image the generated Dockerfile starts from.

The engine (Debian's docker.io) keeps its data, state, pid file and socket in
a private temporary directory, so it collides with no other engine on the
machine, and is stopped by its PID. It has no bridge network and touches no
firewall rule: every container runs with the host's network and reaches the
tests' PostgreSQL and Redis on 127.0.0.1, as no test may send traffic to
private-range addresses.

No image registry is reachable from the tests, so the image the Dockerfile
names, python:3.13-slim-bookworm, is made here: Debian bookworm from the
mirror apt uses (debootstrap), and a CPython 3.13 of this machine copied into
/usr/local, as in the official image. The result is cached as a tarball keyed
by everything that goes into it. Users' builds keep the official image.
"""

import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.support.services import ManagedProcess, ServiceError, clean_environment

BASE_IMAGE = "python:3.13-slim-bookworm"
# What the official image holds besides Debian's minimal base: Python's
# runtime libraries, CA certificates, /etc/services and time zones.
BASE_PACKAGES = (
    "ca-certificates",
    "libbz2-1.0",
    "libffi8",
    "liblzma5",
    "libncursesw6",
    "libreadline8",
    "libsqlite3-0",
    "libssl3",
    "libtinfo6",
    "libuuid1",
    "netbase",
    "tzdata",
    "zlib1g",
)
DEBIAN_SUITE = "bookworm"
# The Debian archive this machine's apt uses: the test reaches no other.
APT_SOURCES = (Path("/etc/apt/sources.list.d"), Path("/etc/apt/sources.list"))


def debian_mirror():
    """The first Debian archive (not its security archive) in this machine's apt sources."""
    for source in APT_SOURCES:
        files = sorted(source.glob("*.sources")) + sorted(source.glob("*.list")) if source.is_dir() else [source]
        for path in files:
            if not path.is_file():
                continue
            for line in path.read_text().splitlines():
                words = line.split()
                for word in words[1:] if words and words[0] in ("URIs:", "deb") else ():
                    if word.startswith("http") and word.rstrip("/").endswith("/debian"):
                        return word.rstrip("/")
    raise RuntimeError("no Debian archive in this machine's apt sources: debootstrap needs one")


# The machine's own CAs: outbound HTTPS may be re-signed by one of them, and
# the image's pip must then trust it.
LOCAL_CAS = Path("/usr/local/share/ca-certificates")
# As in debian-slim: apt keeps no downloaded package in the image.
APT_DOCKER_CLEAN = (
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb'
    ' /var/cache/apt/*.bin || true"; };\n'
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb'
    ' /var/cache/apt/*.bin || true"; };\n'
    'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";\n'
)
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "django-secure-sessions-template"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def find_docker_tools():
    """Return (dockerd, docker) of Debian's docker.io, or raise ServiceError saying what is missing."""
    if os.geteuid() != 0:
        raise ServiceError("the tests start their own Docker engine, which needs root")
    dockerd = shutil.which("dockerd", path=SYSTEM_PATH)
    # The client of the same package: it builds with BuildKit without the buildx plugin.
    docker = "/usr/bin/docker" if os.access("/usr/bin/docker", os.X_OK) else shutil.which("docker", path=SYSTEM_PATH)
    if dockerd is None or docker is None:
        raise ServiceError("dockerd or docker was not found: install the Debian package docker.io")
    return dockerd, docker


class DockerEngine(ManagedProcess):
    """dockerd on a unix socket in its own directory, without a bridge or firewall rules."""

    name = "dockerd"
    start_timeout = 60
    # It stops its containers first.
    stop_timeout = 60

    def __init__(self):
        super().__init__()
        self.dockerd, self.docker_cli = find_docker_tools()

    @property
    def socket_path(self):
        return self.directory / "docker.sock"

    def command(self):
        return [
            self.dockerd,
            f"--data-root={self.directory / 'data'}",
            f"--exec-root={self.directory / 'exec'}",
            f"--pidfile={self.directory / 'dockerd.pid'}",
            f"--host=unix://{self.socket_path}",
            "--bridge=none",
            "--iptables=false",
            "--ip-masq=false",
        ]

    def environment(self):
        return clean_environment() | {"PATH": SYSTEM_PATH}

    def is_ready(self):
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(2)
                sock.connect(str(self.socket_path))
                sock.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
                return sock.recv(64).startswith(b"HTTP/1.0 200")
        except OSError:
            return False

    def client_environment(self, **variables):
        return (
            clean_environment()
            | {
                "PATH": SYSTEM_PATH,
                "DOCKER_HOST": f"unix://{self.socket_path}",
                "DOCKER_CONFIG": str(self.directory / "client"),
            }
            | variables
        )

    def docker(self, *arguments, check=True, timeout=900, env=None, cwd=None, input=None):
        """Run the docker client against this engine; return the CompletedProcess."""
        result = subprocess.run(
            [self.docker_cli, *map(str, arguments)],
            env=self.client_environment(**(env or {})),
            cwd=cwd,
            input=input,
            capture_output=True,
            text=input is None or isinstance(input, str),
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise ServiceError(
                f"docker {' '.join(map(str, arguments))} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def cleanup(self):
        """Stop dockerd, then release what it left mounted (its network namespace) so the directory goes."""
        directory = self.directory
        self.stop()
        if directory is not None:
            mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
            for mount in sorted((path for path in mounts if path.startswith(f"{directory}/")), reverse=True):
                subprocess.run(["umount", "--lazy", mount], capture_output=True, check=False, timeout=30)
        super().cleanup()

    def inspect(self, name):
        return json.loads(self.docker("inspect", name).stdout)[0]


def python_home():
    """The prefix of a CPython 3.13 on this machine to copy into the base image."""
    for prefix in [Path(sys.base_prefix), *sorted(Path.home().glob(".pyenv/versions/3.13.*"), reverse=True)]:
        if (prefix / "bin" / "python3.13").is_file() and (prefix / "lib" / "python3.13" / "os.py").is_file():
            return prefix
    raise ServiceError("no CPython 3.13 found to put into the stand-in base image (pyenv install 3.13)")


def base_image_key(python):
    """A digest of everything that goes into the base image."""
    digest = hashlib.sha256()
    for part in [DEBIAN_SUITE, debian_mirror(), *BASE_PACKAGES, APT_DOCKER_CLEAN, str(python)]:
        digest.update(part.encode() + b"\0")
    digest.update(str((python / "bin" / "python3.13").stat().st_mtime_ns).encode())
    for ca in sorted(LOCAL_CAS.glob("*.crt")):
        digest.update(ca.read_bytes())
    return digest.hexdigest()[:16]


def base_image_tarball(log=print):
    """Return the cached root file system tarball of the stand-in base image, making it first if needed."""
    python = python_home()
    tarball = CACHE_DIR / f"python-3.13-slim-bookworm-{base_image_key(python)}.tar"
    if tarball.is_file():
        return tarball
    debootstrap = shutil.which("debootstrap", path=SYSTEM_PATH)
    if debootstrap is None:
        raise ServiceError("debootstrap was not found: install the Debian package debootstrap")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="base-image-", dir=CACHE_DIR) as work:
        root = Path(work) / "root"
        started = time.monotonic()
        subprocess.run(
            [
                debootstrap,
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                DEBIAN_SUITE,
                root,
                debian_mirror(),
            ],
            env=clean_environment() | {"PATH": SYSTEM_PATH},
            capture_output=True,
            check=True,
            timeout=900,
        )
        log(f"base image: debootstrap {DEBIAN_SUITE} in {time.monotonic() - started:.0f} s")
        # Python in /usr/local, as the official image has it; its tests and
        # whatever this machine installed into its site-packages stay out.
        local = root / "usr" / "local"
        shutil.copytree(python / "bin", local / "bin", symlinks=True, dirs_exist_ok=True)
        shutil.copytree(
            python / "lib",
            local / "lib",
            symlinks=True,
            dirs_exist_ok=True,
            ignore=lambda directory, names: [
                name
                for name in names
                if (name in {"test", "idlelib", "tkinter", "turtledemo", "__pycache__"})
                or (Path(directory).name == "site-packages" and not name.startswith("pip"))
            ],
        )
        for ca in LOCAL_CAS.glob("*.crt"):
            shutil.copy(ca, root / LOCAL_CAS.relative_to("/") / ca.name)
        (root / "etc" / "apt" / "apt.conf.d" / "docker-clean").write_text(APT_DOCKER_CLEAN)
        for command in [["ldconfig"], ["update-ca-certificates", "--fresh"]]:
            subprocess.run(
                ["chroot", root, *command], env={"PATH": SYSTEM_PATH}, capture_output=True, check=True, timeout=120
            )
        for leftover in [root / "var" / "cache" / "apt" / "archives", root / "var" / "lib" / "apt" / "lists"]:
            for path in leftover.glob("*"):
                if path.is_file():
                    path.unlink()
        partial = Path(work) / "image.tar"
        subprocess.run(["tar", "-C", root, "--numeric-owner", "-cf", partial, "."], check=True, timeout=600)
        partial.rename(tarball)
    return tarball


def import_base_image(engine, tarball):
    """Load the stand-in base image into the engine under the name the Dockerfile uses."""
    changes = [
        f"ENV PATH={SYSTEM_PATH}",
        "ENV LANG=C.UTF-8",
        # pip reads its own CA bundle unless told otherwise; this one has the machine's CAs.
        "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
        'CMD ["python3"]',
    ]
    arguments = [option for change in changes for option in ("--change", change)]
    with open(tarball, "rb") as data:
        engine.docker("import", *arguments, "-", BASE_IMAGE, input=data.read())


def http_get(host, port, path, headers=None, timeout=10):
    """GET a path over plain http; return (status, body) or (None, error)."""
    client = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        client.request("GET", path, headers=headers or {})
        response = client.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as error:
        return None, repr(error)
    finally:
        client.close()


def compose_v2():
    """Return the path of Docker Compose v2 that ./scripts/compose fetches, or None when it is missing."""
    from tests.support.template import TEMPLATE_DIR

    path = TEMPLATE_DIR / "build" / "compose" / "docker-compose"
    return path if os.access(path, os.X_OK) else None


def compose_config(project, compose, variables):
    """Run `docker compose config` on project's compose.yaml with these variables set; return the CompletedProcess."""
    return subprocess.run(
        [
            compose,
            "--project-directory",
            project,
            "--file",
            Path(project) / "compose.yaml",
            "config",
            "--format",
            "json",
        ],
        env=clean_environment() | {"PATH": SYSTEM_PATH, "DOCKER_CONFIG": tempfile.gettempdir()} | variables,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def required_compose_variables(project):
    """The variables .env.example leaves for the deployer to fill (NAME= with no value), each given a value."""
    lines = (Path(project) / ".env.example").read_text().splitlines()
    names = [line.removesuffix("=") for line in lines if line.endswith("=") and not line.startswith("#")]
    return {name: hashlib.sha256(name.encode()).hexdigest()[:32] for name in names}


def unavailable(reason):
    """Skip a test that needs Docker or Compose, saying why; fail instead where CI is set (.ci/run installs them)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: .ci/run installs what this needs)")
    pytest.skip(reason)
