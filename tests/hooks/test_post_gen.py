"""The post-generation hook refuses a project whose files are broken or inconsistent."""

import re
import runpy
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.generate import generate_context
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config
from cookiecutter.utils import create_env_with_context

from tests.support.template import TEMPLATE_DIR, copy_template

SETTINGS = Path("my_project/settings.py")
HEADER = "The generated project failed its checks:"


def default_answers() -> dict:
    """Return the answers cookiecutter takes without input."""
    context = generate_context(context_file=str(TEMPLATE_DIR / "cookiecutter.json"))
    return dict(prompt_for_config(context, no_input=True))


@pytest.fixture(scope="module")
def hook(tmp_path_factory) -> dict:
    """Render the post-generation hook for the default answers and load it without running main()."""
    context = {"cookiecutter": default_answers()}
    source = (TEMPLATE_DIR / "hooks" / "post_gen_project.py").read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("hook") / "post_gen_project.py"
    path.write_text(create_env_with_context(context).from_string(source).render(**context), encoding="utf-8")
    return runpy.run_path(str(path), run_name="rendered_hook")


@pytest.fixture
def project(tmp_path, bake_project) -> Path:
    """A private copy of a project baked with the default answers, free to break."""
    return Path(shutil.copytree(bake_project(), tmp_path / "my_project"))


def replace(path: Path, old: str, new: str) -> None:
    """Replace old, which must be there, by new in the file at path."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}: update this test"
    path.write_text(text.replace(old, new), encoding="utf-8")


def set_default(project: Path, variable: str, literal: str) -> None:
    """Change the default the settings read variable with, as a rendering bug would."""
    path = project / SETTINGS
    text, count = re.subn(rf'("{variable}",[^=]*?default=)([^,)\n]+)', rf"\g<1>{literal}", path.read_text())
    assert count == 1, f"{variable} has no default in {path}: update this test"
    path.write_text(text)


def append(project: Path, name: str, text: str) -> int:
    """Append text to the file name of project; return the number of its first new line."""
    path = project / name
    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.read_text() if path.exists() else ""
    path.write_text(before + text)
    return before.count("\n") + 1


# Each way to break a baked project, and the line the hook must report for it.
BREAKAGES: dict[str, tuple[Callable[[Path], object], str]] = {
    "python syntax": (
        lambda project: append(project, "my_project/views.py", "def broken(:\n"),
        r"my_project/views\.py:\d+: invalid syntax",
    ),
    "python warning": (
        lambda project: append(project, "my_project/views.py", 'PATTERN = "\\d"\n'),
        # The wording of the warning changes between Python versions.
        r"my_project/views\.py:\d+: .*invalid escape sequence.*",
    ),
    "toml": (
        lambda project: replace(project / "pyproject.toml", 'version = "0.1.0"', "version = 0.1.0"),
        r"pyproject\.toml: .*\(at line 3, column \d+\)",
    ),
    "yaml": (
        lambda project: replace(project / ".github/workflows/ci.yml", "branches: [main]", "branches: [main"),
        r"\.github/workflows/ci\.yml:\d+: expected ',' or '\]', but got .*",
    ),
    "json": (
        lambda project: append(project, "static/manifest.json", '{"name": "app",}\n'),
        r"static/manifest\.json: Illegal trailing comma before end of object: line 1 column 15 \(char 14\)",
    ),
    "idle timeout": (
        lambda project: set_default(project, "DJANGO_SESSION_IDLE_TIMEOUT_MINUTES", "720"),
        r"my_project/settings\.py: DJANGO_SESSION_IDLE_TIMEOUT_MINUTES defaults to 720 min, "
        r"not less than the absolute 720 min",
    ),
    "rotation": (
        lambda project: set_default(project, "DJANGO_SESSION_ROTATION_MINUTES", "1000"),
        r"my_project/settings\.py: DJANGO_SESSION_ROTATION_MINUTES defaults to 1000 min, "
        r"not less than the absolute 720 min",
    ),
    "computed timeout": (
        lambda project: set_default(project, "DJANGO_SESSION_ABSOLUTE_TIMEOUT_HOURS", 'int("12")'),
        r"my_project/settings\.py: no literal default read from DJANGO_SESSION_ABSOLUTE_TIMEOUT_HOURS",
    ),
    "engine": (
        lambda project: set_default(project, "DJANGO_SESSION_ENGINE", '"signed_cookies"'),
        r"my_project/settings\.py: the session engine 'signed_cookies' is not one of \('cached_db', 'cache', 'db'\)",
    ),
    "redis never read": (
        lambda project: replace(project / SETTINGS, 'env.str("REDIS_URL", default="")', '""'),
        r"my_project/settings\.py: REDIS_URL is never read: cache-backed sessions would live in one process",
    ),
    "redis undocumented": (
        lambda project: replace(project / ".env.example", "# REDIS_URL=", "# CACHE_URL="),
        r"\.env\.example: REDIS_URL is not documented; the cache session engines need it",
    ),
    "cookie domain outside the hosts": (
        lambda project: set_default(project, "DJANGO_COOKIE_DOMAIN", '"example.org"'),
        r"my_project/settings\.py: the cookie domain 'example\.org' covers none of the allowed hosts "
        r"\['example\.com'\]",
    ),
    "__Host- with a domain": (
        lambda project: (
            set_default(project, "DJANGO_COOKIE_DOMAIN", '"example.com"'),
            replace(project / SETTINGS, '("__Secure-" if COOKIE_DOMAIN else "__Host-")', '"__Host-"'),
        ),
        r"my_project/settings\.py: the cookie domain 'example\.com' gets the prefix '__Host-' over HTTPS "
        r"instead of '__Secure-'",
    ),
    "__Secure- without a domain": (
        lambda project: replace(project / SETTINGS, '("__Secure-" if COOKIE_DOMAIN else "__Host-")', '"__Secure-"'),
        r"my_project/settings\.py: the cookie domain '' gets the prefix '__Secure-' over HTTPS instead of '__Host-'",
    ),
    "prefix computed at run time": (
        lambda project: replace(
            project / SETTINGS, '("__Secure-" if COOKIE_DOMAIN else "__Host-")', "cookie_prefix(COOKIE_DOMAIN)"
        ),
        r"my_project/settings\.py: cannot evaluate 'cookie_prefix\(COOKIE_DOMAIN\)' without running the settings",
    ),
    ".env not ignored": (
        lambda project: replace(project / ".gitignore", "\n.env\n", "\n"),
        r"\.gitignore: does not ignore \.env, which holds the local secret key",
    ),
    ".env ignored, then not": (
        lambda project: append(project, ".gitignore", "!.env\n"),
        r"\.gitignore: does not ignore \.env, which holds the local secret key",
    ),
    "settings missing": (
        lambda project: (project / SETTINGS).unlink(),
        r"my_project/settings\.py: missing",
    ),
}


def test_a_fresh_project_passes_every_check(hook, project):
    assert hook["find_problems"](project, "my_project") == []


def test_a_project_sharing_its_cookie_with_subdomains_passes_every_check(hook, bake_project):
    project = bake_project(project_name="Shared", domain_name="app.example.org", cookie_domain="example.org")

    assert hook["find_problems"](project, "shared") == []


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_each_broken_file_is_reported_by_name(hook, project, breakage):
    breaks, expected = BREAKAGES[breakage]
    breaks(project)

    problems = hook["find_problems"](project, "my_project")

    assert len(problems) == 1, problems
    assert re.fullmatch(expected, problems[0]), problems[0]


def test_directories_the_template_never_writes_are_not_checked(hook, project):
    append(project, ".venv/lib/python3.13/site-packages/old.py", "print 'python 2'\n")
    append(project, "node_modules/broken/package.json", "{\n")
    append(project, ".git/config.yaml", "[\n")

    assert hook["find_problems"](project, "my_project") == []


@pytest.mark.parametrize(
    ("gitignore", "ignored"),
    [
        (".env\n", True),
        ("/.env\n", True),
        ("**/.env\n", True),
        (".env*\n", True),
        ("*.env\n", True),
        ("# .env\n", False),
        (".env/\n", False),
        (".envrc\n", False),
        (".env\n!.env\n", False),
        ("!.env\n.env\n", True),
        ("", False),
    ],
)
def test_gitignore_patterns_are_read_as_git_reads_them(hook, gitignore, ignored):
    assert hook["ignores"](gitignore, ".env") is ignored


def test_main_refuses_a_broken_project_without_writing_env(hook, project, monkeypatch, capsys):
    (project / ".env").unlink()
    set_default(project, "DJANGO_SESSION_ROTATION_MINUTES", "720")
    replace(project / ".gitignore", "\n.env\n", "\n")
    monkeypatch.chdir(project)

    status = hook["main"]()

    assert status == 1
    assert not (project / ".env").exists()
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        HEADER,
        "  my_project/settings.py: DJANGO_SESSION_ROTATION_MINUTES defaults to 720 min, "
        "not less than the absolute 720 min",
        "  .gitignore: does not ignore .env, which holds the local secret key",
    ]


def test_main_is_idempotent(hook, project, monkeypatch, capsys):
    (project / ".env").unlink()
    monkeypatch.chdir(project)

    assert hook["main"]() == 0
    first = (project / ".env").read_text()
    assert hook["main"]() == 0

    assert (project / ".env").read_text() == first
    out, err = capsys.readouterr()
    assert err == ""
    assert "Wrote .env" in out
    assert "Kept the existing .env." in out


# Template bugs the answers cannot reveal to the pre-generation hook: each
# breaks a template file, as a careless edit would, and the generated project.
TEMPLATE_BUGS = {
    "unquoted TOML string": (
        "pyproject.toml",
        "description = {{ cookiecutter.description | quoted }}",
        'description = "{{ cookiecutter.description }}"',
        {"description": 'Sessions that say "bye"'},
        r"  pyproject\.toml: .*\(at line 4, column \d+\)",
    ),
    "stray digit in a timeout": (
        "{{cookiecutter.project_slug}}/settings.py",
        "default={{ cookiecutter.session_idle_timeout_minutes }},",
        "default={{ cookiecutter.session_idle_timeout_minutes }}0,",
        {"session_idle_timeout_minutes": 100},
        r"  my_project/settings\.py: DJANGO_SESSION_IDLE_TIMEOUT_MINUTES defaults to 1000 min, "
        r"not less than the absolute 720 min",
    ),
    ".env dropped from .gitignore": (
        ".gitignore",
        "\n.env\n",
        "\n",
        {},
        r"  \.gitignore: does not ignore \.env, which holds the local secret key",
    ),
}


@pytest.mark.parametrize("bug", list(TEMPLATE_BUGS))
def test_cookiecutter_removes_a_project_that_fails_the_checks(bug, tmp_path, config_file, capfd):
    path, old, new, answers, expected = TEMPLATE_BUGS[bug]
    template = tmp_path / "template"
    replace(copy_template(template) / path, old, new)
    output = tmp_path / "output"
    output.mkdir()

    with pytest.raises(FailedHookException):
        cookiecutter(str(template), no_input=True, extra_context=answers, output_dir=output, config_file=config_file)

    assert list(output.iterdir()) == []
    lines = capfd.readouterr().err.splitlines()
    assert lines[:1] == [HEADER]
    assert len(lines) == 2, lines
    assert re.fullmatch(expected, lines[1]), lines[1]
