"""Baking with cookiecutter itself, hooks included, as a user or cruft does."""

from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.support.template import TEMPLATE_DIR


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "output"
    directory.mkdir()
    return directory


@pytest.fixture
def bake(config_file: Path):
    """Return a function running cookiecutter on the template without input."""

    def bake(output_dir: Path, **kwargs) -> Path:
        # Cookiecutter refuses no_input together with a replay file.
        if "replay" not in kwargs:
            kwargs["no_input"] = True
        project = cookiecutter(
            str(TEMPLATE_DIR),
            output_dir=str(output_dir),
            config_file=str(config_file),
            **kwargs,
        )
        return Path(project)

    return bake
