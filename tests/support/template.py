"""The template under test: where its parts are, its default answers, a copy to break, a rendered hook."""

import json
import runpy
import shutil
from pathlib import Path

from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config
from cookiecutter.utils import create_env_with_context

TEMPLATE_DIR = Path(__file__).resolve().parents[2]
# The generated project's template: the one directory whose name cookiecutter renders.
PROJECT_TEMPLATE_DIR = next(TEMPLATE_DIR.glob("{{cookiecutter.project_slug*"))
HOOKS_DIR = TEMPLATE_DIR / "hooks"
DEFAULTS = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())


def default_answers() -> dict:
    """Return the answers cookiecutter takes without input, as the hooks get them."""
    context = generate_context(context_file=str(TEMPLATE_DIR / "cookiecutter.json"))
    return dict(prompt_for_config(context, no_input=True))


def load_rendered_hook(name: str, answers: dict, directory: Path) -> dict:
    """Render the hook called name as cookiecutter does, into directory; load it without running main()."""
    context = {"cookiecutter": answers}
    source = (HOOKS_DIR / name).read_text(encoding="utf-8")
    path = directory / name
    path.write_text(create_env_with_context(context).from_string(source).render(**context), encoding="utf-8")
    return runpy.run_path(str(path), run_name="rendered_hook")


def copy_template(destination: Path) -> Path:
    """Copy what cookiecutter reads of this template into destination, leaving caches behind."""
    ignore = shutil.ignore_patterns("__pycache__", ".ruff_cache", ".pytest_cache", ".hypothesis")
    destination.mkdir(parents=True, exist_ok=True)
    for name in ["cookiecutter.json", "local_extensions.py"]:
        shutil.copy(TEMPLATE_DIR / name, destination)
    for directory in [HOOKS_DIR, PROJECT_TEMPLATE_DIR]:
        shutil.copytree(directory, destination / directory.name, ignore=ignore)
    return destination / PROJECT_TEMPLATE_DIR.name
