"""Bake the template and install a baked project from its lock file."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


class CommandFailed(RuntimeError):
    """A command the benchmark needs exited with an error."""


def run(command, *, cwd=None, env=None, timeout=600):
    """Run a command quietly; fail with its output if it fails."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode:
        output = result.stdout[-3000:] + result.stderr[-3000:]
        raise CommandFailed(f"{' '.join(map(str, command))} exited {result.returncode}:\n{output}")
    return result


def tool(name):
    """Return a program installed in the template's virtualenv."""
    path = shutil.which(name, path=str(VENV_BIN))
    if path is None:
        raise CommandFailed(f"{name} is not installed in {VENV_BIN}: run ./scripts/bootstrap")
    return path


def base_python():
    """The interpreter the template's virtualenv was built from, as scripts/demo gives projects."""
    return getattr(sys, "_base_executable", sys.executable)


def bake(output_dir):
    """Bake the template's defaults, hooks included, with the cookiecutter CLI; return the project."""
    output_dir = Path(output_dir)
    run([tool("cookiecutter"), "--no-input", "--output-dir", output_dir, TEMPLATE_DIR])
    # The project directory's name comes from the answers: never assume it.
    projects = [path for path in output_dir.iterdir() if path.is_dir()]
    if len(projects) != 1:
        raise CommandFailed(f"expected one baked project in {output_dir}, found {projects}")
    return projects[0]


def install(project):
    """Install the project's locked runtime dependencies into project/.venv; return its python."""
    venv = project / ".venv"
    run([tool("uv"), "venv", "--quiet", "--python", base_python(), venv], cwd=project)
    python = venv / "bin" / "python"
    run(
        [tool("uv"), "pip", "install", "--quiet", "--require-hashes", "--python", python, "-r", "requirements.lock"],
        cwd=project,
    )
    return python


def install_extra(python, requirement):
    """Add one pinned package to a baked project's virtualenv (the profiler)."""
    run([tool("uv"), "pip", "install", "--quiet", "--python", python, requirement])


def scratch_directory(prefix):
    return Path(tempfile.mkdtemp(prefix=f"benchmark-{prefix}-"))
