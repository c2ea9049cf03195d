"""Finish a generated project: write a local .env, then print the next steps.

Cookiecutter runs this file with the generated project as the working
directory. cruft runs it again on every update, so it never replaces a file
that already exists.
"""

import json
import os
import secrets
from pathlib import Path

# jsonify gives JSON text; tojson turns it into an ASCII-only JSON string
# literal that is also a valid Python string literal, whatever the answers are.
CONTEXT = json.loads({{ cookiecutter | jsonify | tojson }})  # fmt: skip

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


def main() -> None:
    """Write the local .env unless it exists, then print the next steps."""
    if create_private_file(ENV_FILE, local_env()):
        print(f"Wrote {ENV_FILE} for local development only; never deploy it.")
    else:
        print(f"Kept the existing {ENV_FILE}.")
    print(next_steps(CONTEXT["project_slug"]))


if __name__ == "__main__":
    main()
