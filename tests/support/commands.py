"""Running the tools the tests drive, and the environment a baked project runs in."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# A secret key long and random-looking enough for the deploy check.
PRODUCTION_SECRET = "production-like-secret-key-with-plenty-of-entropy-0123456789-abcdef"


def run(command, *, cwd, env=None, check=True, timeout=600):
    """Run a command, failing with its output when it fails."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def tool(name):
    """Return the path of a command installed beside this Python."""
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.fail(f"{name} is not installed in {Path(sys.executable).parent}: run ./scripts/bootstrap")
    return path


def project_environment(**variables):
    """The environment a baked project runs in: this one, minus Django's variables, plus these."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    return inherited | {"DJANGO_ENV_FILE": ""} | variables
