"""A generated project takes in later template changes with cruft, and keeps its own .env."""

import json
import os
import stat
from pathlib import Path

import pytest

from tests.support.commands import run, tool
from tests.support.template import PROJECT_TEMPLATE_DIR, copy_template


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    """An environment where git and cookiecutter read no configuration of this machine."""
    config = tmp_path / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(tmp_path / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(tmp_path / 'replay'))}\n"
    )
    return os.environ | {
        "COOKIECUTTER_CONFIG": str(config),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Template Tests",
        "GIT_AUTHOR_EMAIL": "tests@example.com",
        "GIT_COMMITTER_NAME": "Template Tests",
        "GIT_COMMITTER_EMAIL": "tests@example.com",
    }


def git(*arguments: str, cwd: Path, environment: dict[str, str]) -> str:
    return run(["git", *arguments], cwd=cwd, env=environment).stdout


@pytest.fixture
def template(tmp_path: Path, environment: dict[str, str]) -> Path:
    """A git repository holding a copy of this template, as cruft clones it."""
    template = tmp_path / "template"
    copy_template(template)
    git("init", "--quiet", "--initial-branch=main", cwd=template, environment=environment)
    commit_all(template, "Template as it is today", environment)
    return template


def commit_all(repository: Path, message: str, environment: dict[str, str]) -> None:
    git("add", "--all", cwd=repository, environment=environment)
    git("commit", "--quiet", "--message", message, cwd=repository, environment=environment)


@pytest.fixture
def project(tmp_path: Path, template: Path, environment: dict[str, str]) -> Path:
    """A project created with cruft from the template, committed to its own repository."""
    output = tmp_path / "projects"
    run(
        [tool("cruft"), "create", "--no-input", "--output-dir", str(output), str(template)],
        cwd=tmp_path,
        env=environment,
    )
    project = output / "my_project"
    git("init", "--quiet", "--initial-branch=main", cwd=project, environment=environment)
    commit_all(project, "Generated", environment)
    return project


def cruft(*arguments: str, project: Path, environment: dict[str, str], check: bool = True):
    return run([tool("cruft"), *arguments], cwd=project, env=environment, check=check)


def changed_files(project: Path, environment: dict[str, str]) -> set[str]:
    """Return the paths git status reports, staged or not, tracked or not."""
    status = git("status", "--porcelain", "--untracked-files=all", cwd=project, environment=environment)
    return {line[3:] for line in status.splitlines()}


def test_a_new_project_is_exactly_what_the_template_renders(project, environment):
    # Deterministic rendering, and hooks that add only skipped files: nothing to update.
    cruft("diff", "--exit-code", project=project, environment=environment)
    cruft("check", project=project, environment=environment)
    assert changed_files(project, environment) == set()


def test_cruft_update_applies_a_template_change_and_keeps_env(template, project, environment):
    env_file = project / ".env"
    env_file.write_text(env_file.read_text() + "MARKER=set by the developer\n")
    env_before = env_file.read_bytes()
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur team's own notes.\n")
    commit_all(project, "Our own change", environment)
    policy = template / PROJECT_TEMPLATE_DIR.name / "docs" / "session-policy.md"
    policy.write_text(policy.read_text() + "\nReviewed by {{ cookiecutter.author_name }}.\n")
    commit_all(template, "Template change", environment)
    assert cruft("check", project=project, environment=environment, check=False).returncode == 1

    cruft("update", "--skip-apply-ask", project=project, environment=environment)

    assert changed_files(project, environment) == {".cruft.json", "docs/session-policy.md"}
    assert (project / "docs" / "session-policy.md").read_text().endswith("\nReviewed by Your Name.\n")
    assert readme.read_text().endswith("\nOur team's own notes.\n")
    assert env_file.read_bytes() == env_before
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    template_head = git("rev-parse", "HEAD", cwd=template, environment=environment).strip()
    assert json.loads((project / ".cruft.json").read_text())["commit"] == template_head
    cruft("check", project=project, environment=environment)


def test_cruft_update_refuses_a_template_version_the_answers_fail(template, project, environment):
    cruft_state = (project / ".cruft.json").read_text()
    hook = template / "hooks" / "pre_gen_project.py"
    # A later template version that allows shorter idle timeouts than this project chose.
    rule = '"session_idle_timeout_minutes": integer_check(1, 1440),'
    assert rule in hook.read_text(), "update this test: the rule it tightens moved"
    hook.write_text(hook.read_text().replace(rule, rule.replace("1440", "20")))
    commit_all(template, "Shorter idle timeouts only", environment)

    result = cruft("update", "--skip-apply-ask", project=project, environment=environment, check=False)

    assert result.returncode == 1
    # cruft replays the stored answers as text: 30 comes back as '30'.
    assert "session_idle_timeout_minutes='30': is out of range; use a whole number from 1 to 20." in result.stderr
    assert changed_files(project, environment) == set()
    assert (project / ".cruft.json").read_text() == cruft_state
