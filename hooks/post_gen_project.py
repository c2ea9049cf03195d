"""Finish a generated project: write its local .env, print the next steps.

Cookiecutter runs this file with the generated project as the working
directory, and cruft runs it again on every update: it never replaces a file
that exists. Nothing here checks the generated files. The answers were checked
before any file was written (hooks/pre_gen_project.py), the running
configuration is checked by the project's own system checks (`manage.py check
--deploy`), and the template's tests bake every answer set to prove that the
result compiles, lints and passes that check.
"""

import os
import secrets
from pathlib import Path

ENV_FILE = Path(".env")


def local_env() -> str:
    """Return the content of a .env for local development, with a new secret key."""
    return (
        "# Local development only: relaxes what plain-http development needs. "
        "Never deploy this file.\n"
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n"
        "DJANGO_DEBUG=true\n"
        "DJANGO_HTTPS=false\n"
        "DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1,[::1]\n"
        # runserver answers the browser itself: no proxy adds X-Forwarded-For.
        "DJANGO_TRUSTED_PROXY_COUNT=0\n"
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


def next_steps(project_dir: str) -> str:
    """Return the commands that take the new project to a running site."""
    return "\n".join(
        [
            "Next steps:",
            f"  cd {project_dir}",
            "  ./scripts/venv && . .venv/bin/activate  # finds Python 3.12 or newer",
            "  pip install --require-hashes -r requirements-dev.lock",
            "  python manage.py migrate",
            "  python manage.py createsuperuser",
            "  python manage.py runserver",
            "  pytest",
        ]
    )


def main() -> None:
    """Write the local .env unless it exists, then print the next steps."""
    if create_private_file(ENV_FILE, local_env()):
        print(f"Wrote {ENV_FILE} for local development only; never deploy it.")
    else:
        print(f"Kept the existing {ENV_FILE}.")
    # Cookiecutter names the project's directory after the answers; cd into that.
    print(next_steps(Path.cwd().name))


if __name__ == "__main__":
    main()
