"""Finish a generated project: check it, write a local .env, print the next steps.

Cookiecutter runs this file with the generated project as the working
directory. When a check fails, each problem is printed to stderr with the file
it is in, and the hook exits with status 1, which makes cookiecutter delete
the project it created. cruft runs this file again on every update, so it
only reads what the template wrote and never replaces a file that exists.
"""

import ast
import contextlib
import fnmatch
import json
import os
import re
import secrets
import sys
import tomllib
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

# Cookiecutter depends on PyYAML and runs hooks with its own interpreter.
import yaml

# jsonify gives JSON text; tojson turns it into an ASCII-only JSON string
# literal that is also a valid Python string literal, whatever the answers are.
CONTEXT = json.loads({{ cookiecutter | jsonify | tojson }})  # fmt: skip

ENV_FILE = Path(".env")
# A re-run over an existing project finds these; the template writes none of them.
SKIPPED_DIRECTORIES = frozenset({".git", ".venv", "venv", "node_modules", "staticfiles", "__pycache__", ".ruff_cache"})
SESSION_ENGINES = ("cached_db", "cache", "db")
TIMEOUT_DEFAULTS = (
    "DJANGO_SESSION_IDLE_TIMEOUT_MINUTES",
    "DJANGO_SESSION_ABSOLUTE_TIMEOUT_HOURS",
    "DJANGO_SESSION_ROTATION_MINUTES",
)
# Each must be read with a literal default for the checks below to be made.
SESSION_DEFAULTS = (*TIMEOUT_DEFAULTS, "DJANGO_SESSION_ENGINE", "DJANGO_COOKIE_DOMAIN", "DJANGO_ALLOWED_HOSTS")
REDIS_URL_DOCUMENTED = re.compile(r"^#?\s*REDIS_URL=", re.MULTILINE)


def compile_python(text: str) -> None:
    """Compile Python source; a SyntaxWarning counts as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(text, "<generated>", "exec", dont_inherit=True)


PARSERS: dict[str, Callable[[str], object]] = {
    ".py": compile_python,
    ".toml": tomllib.loads,
    ".json": json.loads,
    ".yml": lambda text: list(yaml.safe_load_all(text)),
    ".yaml": lambda text: list(yaml.safe_load_all(text)),
}


def generated_files(root: Path) -> Iterator[Path]:
    """Yield every file under root, in a stable order, outside skipped directories."""
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(set(subdirectories) - SKIPPED_DIRECTORIES)
        for name in sorted(files):
            yield Path(directory, name)


def syntax_problems(root: Path) -> list[str]:
    """Return one line per Python, TOML, YAML or JSON file that does not parse."""
    problems = []
    for path in generated_files(root):
        parse = PARSERS.get(path.suffix)
        if parse is None:
            continue
        try:
            parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, ValueError, yaml.YAMLError) as error:  # UnicodeDecodeError is a ValueError
            problems.append(parse_error(path.relative_to(root), error))
    return problems


def parse_error(path: Path, error: Exception) -> str:
    """Return the one-line report of a file that does not parse."""
    if isinstance(error, SyntaxError):
        return f"{path}:{error.lineno}: {error.msg}"
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark:
        return f"{path}:{error.problem_mark.line + 1}: {error.problem}"
    return f"{path}: {error}"


def environment_defaults(tree: ast.Module) -> dict[str, object]:
    """Return the literal default of every env.<cast>("NAME", default=...) call, by NAME."""
    defaults = {}
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and ast.unparse(call.func).startswith("env.") and call.args:
            default = next((keyword.value for keyword in call.keywords if keyword.arg == "default"), None)
            # Computed defaults, such as the SQLite path, are no part of the policy.
            with contextlib.suppress(ValueError):
                defaults[ast.literal_eval(call.args[0])] = ast.literal_eval(default)
    return defaults


def evaluate(node: ast.expr, names: dict[str, object]) -> object:
    """Evaluate an expression made of constants, the given names and conditionals."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.IfExp):
        return evaluate(node.body if evaluate(node.test, names) else node.orelse, names)
    raise ValueError(f"cannot evaluate {ast.unparse(node)!r} without running the settings")


def cookie_problems(tree: ast.Module, domain: str, hosts: list[str]) -> list[str]:
    """Return why the default cookie domain, the allowed hosts and the cookie prefix disagree."""
    problems = []
    if domain and not any(host == domain or host.endswith(f".{domain}") for host in hosts):
        problems.append(f"the cookie domain {domain!r} covers none of the allowed hosts {hosts!r}")
    assignments = {ast.unparse(node.targets[0]): node.value for node in tree.body if isinstance(node, ast.Assign)}
    if "COOKIE_PREFIX" not in assignments:
        return [*problems, "COOKIE_PREFIX is never assigned"]
    try:
        prefix = evaluate(assignments["COOKIE_PREFIX"], {"COOKIE_DOMAIN": domain or None, "HTTPS": True})
    except ValueError as error:
        return [*problems, str(error)]
    # __Host- promises no Domain attribute: a cookie shared with subdomains can only be __Secure-.
    if prefix != (expected := "__Secure-" if domain else "__Host-"):
        problems.append(f"the cookie domain {domain!r} gets the prefix {prefix!r} over HTTPS instead of {expected!r}")
    return problems


def session_problems(settings: str) -> list[str]:
    """Return one line per inconsistency in the session defaults of settings source."""
    tree = ast.parse(settings)
    defaults = environment_defaults(tree)
    if missing := [name for name in SESSION_DEFAULTS if name not in defaults]:
        return [f"no literal default read from {', '.join(missing)}"]
    if wrong := [name for name in TIMEOUT_DEFAULTS if type(defaults[name]) is not int]:
        return [f"the default of {', '.join(wrong)} is not a whole number"]
    problems = cookie_problems(tree, defaults["DJANGO_COOKIE_DOMAIN"], defaults["DJANGO_ALLOWED_HOSTS"])
    absolute = defaults["DJANGO_SESSION_ABSOLUTE_TIMEOUT_HOURS"] * 60
    for name in ("DJANGO_SESSION_IDLE_TIMEOUT_MINUTES", "DJANGO_SESSION_ROTATION_MINUTES"):
        if not defaults[name] < absolute:
            problems.append(f"{name} defaults to {defaults[name]} min, not less than the absolute {absolute} min")
    if defaults["DJANGO_SESSION_ENGINE"] not in SESSION_ENGINES:
        problems.append(f"the session engine {defaults['DJANGO_SESSION_ENGINE']!r} is not one of {SESSION_ENGINES}")
    if "REDIS_URL" not in defaults:
        problems.append("REDIS_URL is never read: cache-backed sessions would live in one process")
    return problems


def ignores(gitignore: str, name: str) -> bool:
    """Return whether .gitignore text ignores the top-level file name (the last match wins)."""
    ignored = False
    for line in gitignore.splitlines():
        pattern = line.strip()
        if pattern and not pattern.startswith("#"):
            negated = pattern.startswith("!")
            if fnmatch.fnmatchcase(name, pattern.removeprefix("!").removeprefix("/").removeprefix("**/")):
                ignored = not negated
    return ignored


def find_problems(root: Path, project_slug: str) -> list[str]:
    """Return one line per problem with the generated files, each naming its file."""
    if problems := syntax_problems(root):
        return problems  # The checks below parse the same files.
    settings, env_example, gitignore = Path(project_slug, "settings.py"), Path(".env.example"), Path(".gitignore")
    if missing := [str(path) for path in (settings, env_example, gitignore) if not (root / path).is_file()]:
        return [f"{path}: missing" for path in missing]
    problems = [f"{settings}: {line}" for line in session_problems((root / settings).read_text(encoding="utf-8"))]
    # Any deployment may switch to a cache engine, which needs a shared Redis.
    if not REDIS_URL_DOCUMENTED.search((root / env_example).read_text(encoding="utf-8")):
        problems.append(f"{env_example}: REDIS_URL is not documented; the cache session engines need it")
    if not ignores((root / gitignore).read_text(encoding="utf-8"), ENV_FILE.name):
        problems.append(f"{gitignore}: does not ignore {ENV_FILE}, which holds the local secret key")
    return problems


def local_env() -> str:
    """Return the content of a .env for local development, with a new secret key."""
    return (
        "# Local development only: relaxes what plain-http development needs. "
        "Never deploy this file.\n"
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n"
        "DJANGO_DEBUG=true\n"
        "DJANGO_HTTPS=false\n"
        "DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1,[::1]\n"
        "EMAIL_URL=consolemail://\n"
    )


def create_private_file(path: Path, content: str) -> bool:
    """Create path, readable by its owner only, with content; return False if it exists."""
    # O_EXCL makes creation atomic and refuses to follow a planted symlink.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with open(fd, "w", encoding="utf-8") as file:
        file.write(content)
    return True


def next_steps(project_slug: str) -> str:
    """Return the commands that take the new project to a running site."""
    return "\n".join(
        [
            "Next steps:",
            f"  cd {project_slug}",
            "  python3 -m venv .venv && . .venv/bin/activate  # Python 3.12 or newer",
            "  pip install --require-hashes -r requirements-dev.lock",
            "  python manage.py migrate",
            "  python manage.py createsuperuser",
            "  python manage.py runserver",
            "  pytest",
        ]
    )


def main() -> int:
    """Check the generated files, write the local .env unless it exists; return the exit status."""
    if problems := find_problems(Path("."), CONTEXT["project_slug"]):
        print("The generated project failed its checks:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    if create_private_file(ENV_FILE, local_env()):
        print(f"Wrote {ENV_FILE} for local development only; never deploy it.")
    else:
        print(f"Kept the existing {ENV_FILE}.")
    print(next_steps(CONTEXT["project_slug"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
