"""Every answer set bakes a project that compiles, lints and passes the deploy check; bakes are deterministic."""

import filecmp
import json
import os
import re
import subprocess
import tomllib
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.support.commands import PRODUCTION_SECRET, project_environment, run, tool
from tests.support.template import DEFAULTS, PROJECT_TEMPLATE_DIR

JINJA_LEFTOVER = re.compile(r"{{|{%|cookiecutter\.")
# Django templates are copied as they are: their {{ }} and {% %} are Django's.
DJANGO_TEMPLATE_DIRS = ("templates",)
# Left by tools run inside the template; never part of a project.
CACHE_DIRS = {"__pycache__", ".ruff_cache", ".pytest_cache"}

CHOICES = {name: values for name, values in DEFAULTS.items() if isinstance(values, list) and not name.startswith("_")}
BOOLEANS = [name for name, value in DEFAULTS.items() if isinstance(value, bool)]
# The defaults, then every value of every choice and boolean, each in at least one bake.
MATRIX = (
    [{}]
    + [{name: value} for name, values in CHOICES.items() for value in values[1:]]
    + [{name: not DEFAULTS[name]} for name in BOOLEANS]
    + [
        {"domain_name": "app.example.org", "cookie_domain": "example.org"},
        {"trusted_proxy_count": 0},
        {"session_idle_timeout_minutes": 5, "session_absolute_timeout_hours": 1, "session_rotation_minutes": 2},
        # The longest timeouts the absolute one allows: one digit more would fail the deploy check.
        {"session_idle_timeout_minutes": 59, "session_absolute_timeout_hours": 1, "session_rotation_minutes": 59},
        {"project_name": "Tea Shop", "time_zone": "Europe/Paris", "domain_name": "localhost"},
        # Text that breaks any answer spliced into a Python, TOML or YAML string unquoted.
        {
            # More " than ': ruff format then wants settings.py's SITE_NAME in single quotes.
            "project_name": 'O\'Brien\'s "Tea" "Room" \'\'\' """ \\ é 😀',
            "project_slug": "hostile",
            "description": "Say \"hi\" & <b>'bye'</b> \\ C:\\path # not a comment: [x]",
            "author_name": 'Zoë "Z" O\'Neil',
        },
    ]
)


def compile_python(text: str) -> None:
    """Compile Python source; a SyntaxWarning (an invalid escape, say) counts as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(text, "<generated>", "exec", dont_inherit=True)


PARSERS = {
    ".py": compile_python,
    ".toml": tomllib.loads,
    ".json": json.loads,
    ".yml": lambda text: list(yaml.safe_load_all(text)),
    ".yaml": lambda text: list(yaml.safe_load_all(text)),
}


def matrix_id(answers):
    return "defaults" if not answers else ",".join(f"{name}={value}" for name, value in answers.items())


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
        "uv.lock",
        "requirements.lock",
        "requirements-dev.lock",
        "my_project/settings.py",
        "session_policy/checks.py",
        "accounts/models.py",
        ".env",
    ]:
        assert (project / expected).is_file(), expected


@pytest.fixture(scope="module")
def matrix_projects(bake_project):
    """A project baked with each answer set of the matrix."""
    return [bake_project(**answers) for answers in MATRIX]


@pytest.fixture(params=range(len(MATRIX)), ids=[matrix_id(answers) for answers in MATRIX])
def matrix_project(request, matrix_projects):
    return matrix_projects[request.param]


@pytest.fixture(scope="module")
def deploy_checks(matrix_projects, project_python, redis_server):
    """Run check --deploy with production values in every matrix project, one per core; return each result."""
    # The project's system checks decide what a safe configuration is: run them, do not restate them.
    command = [project_python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    environment = project_environment(
        DJANGO_SECRET_KEY=PRODUCTION_SECRET,
        DATABASE_URL="postgres://app:password@127.0.0.1:5432/app",
        REDIS_URL=redis_server.url,
    )

    def check(project):
        return subprocess.run(
            command, cwd=project, env=environment, capture_output=True, text=True, timeout=600, check=False
        )

    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        return dict(zip(matrix_projects, pool.map(check, matrix_projects), strict=True))


def test_every_answer_set_renders_clean_code(matrix_project):
    project = matrix_project
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


def test_every_answer_set_compiles_and_parses(matrix_project):
    problems = []
    for path in project_files(matrix_project):
        if parse := PARSERS.get(path.suffix):
            try:
                parse(path.read_text(encoding="utf-8"))
            except (SyntaxError, ValueError, yaml.YAMLError) as error:  # UnicodeDecodeError is a ValueError
                problems.append(f"{path.relative_to(matrix_project)}: {error}")

    assert problems == []


def test_every_answer_set_passes_the_deploy_check(matrix_project, deploy_checks):
    result = deploy_checks[matrix_project]

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_answers_reach_the_settings(cookies):
    result = cookies.bake(
        extra_context={"session_engine": "db", "session_ip_binding": "strict", "session_idle_timeout_minutes": 7}
    )

    settings = (Path(result.project_path) / "my_project" / "settings.py").read_text()
    assert 'list(_engines), default="db")' in settings
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

    for lock in ["uv.lock", "requirements.lock", "requirements-dev.lock"]:
        assert (default / lock).read_text() == (other / lock).read_text()
        assert "my-project" not in (default / lock).read_text()
        assert "other-shop" not in (other / lock).read_text()


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

    assert used <= set(DEFAULTS)
