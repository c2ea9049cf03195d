"""Every answer bakes into a clean, deterministic project."""

import filecmp
import json
import re
from pathlib import Path

import pytest

from tests.support.commands import run, tool
from tests.support.template import DEFAULTS, PROJECT_TEMPLATE_DIR, TEMPLATE_DIR

JINJA_LEFTOVER = re.compile(r"{{|{%|cookiecutter\.")
# Django templates are copied as they are: their {{ }} and {% %} are Django's.
DJANGO_TEMPLATE_DIRS = ("templates",)
# Left by tools run inside the template; never part of a project.
CACHE_DIRS = {"__pycache__", ".ruff_cache", ".pytest_cache"}

CHOICES = {name: values for name, values in DEFAULTS.items() if isinstance(values, list) and not name.startswith("_")}
BOOLEANS = [name for name, value in DEFAULTS.items() if isinstance(value, bool)]
# Every value of every choice and boolean, each in at least one bake.
MATRIX = (
    [{name: value} for name, values in CHOICES.items() for value in values[1:]]
    + [{name: not DEFAULTS[name]} for name in BOOLEANS]
    + [
        {"domain_name": "app.example.org", "cookie_domain": "example.org"},
        {"trusted_proxy_count": 0},
        {"session_idle_timeout_minutes": 5, "session_absolute_timeout_hours": 1, "session_rotation_minutes": 2},
        {"project_name": "Tea Shop", "time_zone": "Europe/Paris", "domain_name": "localhost"},
    ]
)


def matrix_id(answers):
    return ",".join(f"{name}={value}" for name, value in answers.items())


def project_files(project):
    return sorted(path for path in project.rglob("*") if path.is_file() and ".ruff_cache" not in path.parts)


def test_every_question_has_a_plain_words_prompt():
    questions = [name for name in DEFAULTS if not name.startswith("_")]

    assert sorted(DEFAULTS["__prompts__"]) == sorted(questions)


def test_the_defaults_bake_a_django_project(bake_project):
    project = bake_project()

    assert project.name == "my_project"
    for expected in [
        "manage.py",
        "pyproject.toml",
        "requirements.lock",
        "requirements-dev.lock",
        "my_project/settings.py",
        "session_policy/checks.py",
        "accounts/models.py",
        ".env",
    ]:
        assert (project / expected).is_file(), expected


@pytest.mark.parametrize("answers", MATRIX, ids=matrix_id)
def test_every_choice_renders_clean_code(cookies, answers):
    result = cookies.bake(extra_context=answers)

    assert result.exception is None
    project = Path(result.project_path)
    leftovers = [
        f"{path.relative_to(project)}:{number}: {line.strip()}"
        for path in project_files(project)
        if not set(path.relative_to(project).parts) & set(DJANGO_TEMPLATE_DIRS)
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if JINJA_LEFTOVER.search(line)
    ]
    assert leftovers == []
    run([tool("ruff"), "check", "--no-cache", "."], cwd=project)
    run([tool("ruff"), "format", "--check", "--no-cache", "."], cwd=project)


def test_the_answers_reach_the_settings(cookies):
    result = cookies.bake(
        extra_context={"session_engine": "db", "session_ip_binding": "strict", "session_idle_timeout_minutes": 7}
    )

    settings = (Path(result.project_path) / "my_project" / "settings.py").read_text()
    assert 'list(SESSION_ENGINES), default="db")' in settings
    assert '["off", "subnet", "strict"], default="strict"' in settings
    assert "default=7," in settings


def test_the_same_answers_bake_the_same_files(tmp_path, cookies):
    first = Path(cookies.bake(extra_context={"project_name": "Same"}).project_path)
    second = Path(cookies.bake(extra_context={"project_name": "Same"}).project_path)

    names = [path.relative_to(first) for path in project_files(first)]
    assert names == [path.relative_to(second) for path in project_files(second)]
    # Only the local .env differs: it holds a fresh secret key.
    _, mismatch, errors = filecmp.cmpfiles(first, second, [str(name) for name in names], shallow=False)
    assert (mismatch, errors) == ([".env"], [])


def test_the_lock_files_do_not_depend_on_the_answers(cookies):
    default = Path(cookies.bake().project_path)
    other = Path(cookies.bake(extra_context={"project_name": "Other Shop", "session_engine": "db"}).project_path)

    for lock in ["requirements.lock", "requirements-dev.lock"]:
        assert (default / lock).read_text() == (other / lock).read_text()
        assert "my-project" not in (default / lock).read_text()


def test_the_generated_env_file_is_ignored_by_git(bake_project):
    project = bake_project()

    run(["git", "init", "--quiet"], cwd=project)
    ignored = run(["git", "check-ignore", ".env", "db.sqlite3", "staticfiles/x"], cwd=project)
    assert ignored.stdout.split() == [".env", "db.sqlite3", "staticfiles/x"]


def test_the_template_names_no_unlisted_variable():
    used = set()
    for path in PROJECT_TEMPLATE_DIR.rglob("*"):
        if path.is_file() and not set(path.parts) & CACHE_DIRS:
            used |= set(re.findall(r"cookiecutter\.(\w+)", path.read_text(errors="replace")))

    assert used <= set(json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text()))
