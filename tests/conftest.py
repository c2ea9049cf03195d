"""Fixtures every tier shares (baking, a virtualenv for baked projects), and each tier's markers.

Each folder of tests/ is a tier, and its tests get the tier's markers without
a decorator: a test file dropped into a folder joins that tier.
"""

import json
import sys
from pathlib import Path

import pytest

from tests.support.commands import run, tool

pytest_plugins = ["tests.support.services"]

TESTS_DIR = Path(__file__).resolve().parent
# The markers of each folder's tests (registered in pytest.ini). "fast" is what
# a developer runs while working: the hooks and the baked files, no browser, no load.
TIERS = {
    "hooks": ("hooks", "fast"),
    "bake": ("bake", "fast"),
    "support": ("support",),
    "project": ("project",),
    "e2e": ("e2e",),
    "docker": ("docker",),
}


@pytest.hookimpl(tryfirst=True)  # Before -m deselects by marker.
def pytest_collection_modifyitems(items):
    """Mark each test with the markers of its folder; refuse a test outside every tier."""
    for item in items:
        folder = item.path.relative_to(TESTS_DIR).parts[0]
        if folder not in TIERS:
            raise pytest.UsageError(
                f"{item.path.relative_to(TESTS_DIR.parent)}: a test file belongs in one of the folders "
                f"{', '.join(f'tests/{name}/' for name in TIERS)} (README.md, 'Repository layout')"
            )
        for marker in TIERS[folder]:
            item.add_marker(marker)


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
            # As pip does: otherwise every process of the project compiles Django again
            # wherever PYTHONDONTWRITEBYTECODE is set.
            "--compile-bytecode",
            "--require-hashes",
            "--python",
            str(python),
            "-r",
            "requirements-dev.lock",
        ],
        cwd=project,
    )
    return python
