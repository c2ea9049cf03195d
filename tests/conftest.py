"""Shared helpers for the template's tests: baking, and a virtualenv for baked projects."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["tests.services"]

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
# The generated project's template: the one directory whose name cookiecutter renders.
PROJECT_TEMPLATE_DIR = next(TEMPLATE_DIR.glob("{{cookiecutter.project_slug*"))
DEFAULTS = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())


def copy_template(destination):
    """Copy what cookiecutter reads of this template into destination, leaving caches behind."""
    ignore = shutil.ignore_patterns("__pycache__", ".ruff_cache", ".pytest_cache", ".hypothesis")
    destination.mkdir(parents=True, exist_ok=True)
    for name in ["cookiecutter.json", "local_extensions.py"]:
        shutil.copy(TEMPLATE_DIR / name, destination)
    for directory in [TEMPLATE_DIR / "hooks", PROJECT_TEMPLATE_DIR]:
        shutil.copytree(directory, destination / directory.name, ignore=ignore)
    return destination / PROJECT_TEMPLATE_DIR.name


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


@pytest.fixture
def config_file(tmp_path):
    """Keep cookiecutter's clones and replay files out of the home directory."""
    path = tmp_path / "cookiecutter-config.yaml"
    path.write_text(
        f"cookiecutters_dir: {json.dumps(str(tmp_path / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(tmp_path / 'replay'))}\n"
    )
    return path


@pytest.fixture(scope="session")
def bake_project(cookies_session):
    """Bake the template with some answers changed; return the project's path."""

    def bake(**answers):
        result = cookies_session.bake(extra_context=answers)
        if result.exception is not None:
            raise result.exception
        assert result.exit_code == 0
        return Path(result.project_path)

    return bake


@pytest.fixture(scope="session")
def project_python(tmp_path_factory, bake_project):
    """A virtualenv with a baked project's locked dev dependencies; return its python."""
    project = bake_project()
    venv = tmp_path_factory.mktemp("project-venv")
    run([tool("uv"), "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=project)
    python = venv / "bin" / "python"
    run(
        [
            tool("uv"),
            "pip",
            "install",
            "--quiet",
            "--require-hashes",
            "--python",
            str(python),
            "-r",
            "requirements-dev.lock",
        ],
        cwd=project,
    )
    return python


def project_environment(**variables):
    """The environment a baked project runs in: this one, minus Django's variables, plus these."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    return inherited | {"DJANGO_ENV_FILE": ""} | variables
