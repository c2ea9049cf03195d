"""The post-generation hook writes a private local .env once, and says what to do next."""

import runpy
import stat
from pathlib import Path

import pytest

from tests.support.template import HOOKS_DIR

ENV_FIRST_LINE = "# Local development only: relaxes what plain-http development needs. Never deploy this file."
ENV_SETTINGS = [
    "DJANGO_DEBUG=true",
    "DJANGO_HTTPS=false",
    "DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1,[::1]",
    "DJANGO_TRUSTED_PROXY_COUNT=0",
    "EMAIL_URL=consolemail://",
]


@pytest.fixture(scope="module")
def hook() -> dict:
    """The hook's functions, loaded without running main(): it holds no Jinja to render."""
    return runpy.run_path(str(HOOKS_DIR / "post_gen_project.py"), run_name="post_gen_hook")


def read_env(project: Path) -> list[str]:
    return (project / ".env").read_text(encoding="utf-8").splitlines()


def secret_key(project: Path) -> str:
    prefix = "DJANGO_SECRET_KEY="
    [line] = [line for line in read_env(project) if line.startswith(prefix)]
    return line.removeprefix(prefix)


def test_defaults_bake(bake, output_dir, capfd):
    project = bake(output_dir)

    assert project == output_dir / "my_project"
    out, err = capfd.readouterr()
    assert err == ""
    assert "Wrote .env" in out
    assert "  cd my_project\n" in out
    assert "pip install --require-hashes -r requirements-dev.lock" in out


def test_env_file_is_private_and_local_only(bake, output_dir):
    project = bake(output_dir)

    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600
    lines = read_env(project)
    assert lines[0] == ENV_FIRST_LINE
    assert lines[1].startswith("DJANGO_SECRET_KEY=")
    assert lines[2:] == ENV_SETTINGS
    assert len(secret_key(project)) >= 50


def test_secret_key_differs_between_bakes(bake, tmp_path):
    first = bake(tmp_path / "first")
    second = bake(tmp_path / "second")

    assert secret_key(first) != secret_key(second)


def test_rebake_keeps_existing_env(bake, output_dir, capfd):
    project = bake(output_dir)
    env_file = project / ".env"
    env_file.write_text(env_file.read_text() + "MARKER=kept\n")
    before = env_file.read_text()
    capfd.readouterr()

    bake(output_dir, overwrite_if_exists=True)

    assert env_file.read_text() == before
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert "Kept the existing .env." in capfd.readouterr().out


def test_main_is_idempotent(hook, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    hook["main"]()
    first = (tmp_path / ".env").read_text()
    hook["main"]()

    assert (tmp_path / ".env").read_text() == first
    out, err = capsys.readouterr()
    assert err == ""
    assert out.count("Wrote .env") == 1
    assert out.count("Kept the existing .env.") == 1
    assert out.count(f"  cd {tmp_path.name}\n") == 2


def test_a_planted_symlink_is_not_followed(hook, tmp_path, monkeypatch):
    target = tmp_path / "elsewhere"
    (tmp_path / ".env").symlink_to(target)
    monkeypatch.chdir(tmp_path)

    hook["main"]()

    assert not target.exists()
    assert (tmp_path / ".env").is_symlink()
