"""Screenshots of a freshly baked project, for the template's README.

Bakes the template with its default answers (or uses --project, an already
baked project with its .venv), runs it with its local .env on 127.0.0.1, and
has Debian's Chromium photograph the sign-in page, the sessions page and the
second-factor set-up at a desktop width and at a phone's:

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--project DIR]

The pictures stay true because they come from a real bake: run it again after
changing a page.
"""

import argparse
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.totp import totp  # noqa: E402  (the repository root is on the path only now)

CHROMIUM = "/usr/bin/chromium"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
DESKTOP_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
FORGET_FACTORS = "from allauth.mfa.models import Authenticator; Authenticator.objects.all().delete()"
MEMBER = "alice"
STAFF = "admin"


def bake(into):
    """Bake the template with its defaults and install the project's locked dependencies."""
    subprocess.run(
        [ROOT / ".venv/bin/cookiecutter", "--no-input", "-o", into, ROOT, "project_name=Example Project"], check=True
    )
    project = next(Path(into).iterdir())
    python = subprocess.run(
        [ROOT / ".venv/bin/python", "-c", "import sys; print(sys._base_executable)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run([python, "-m", "venv", project / ".venv"], check=True)
    subprocess.run(
        [ROOT / ".venv/bin/uv", "pip", "install", "--quiet", "--python", project / ".venv/bin/python"]
        + ["--require-hashes", "-r", project / "requirements.lock"],
        check=True,
    )
    return project


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(project, database):
    """The project on its development server with its own .env and a private SQLite file."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "DATABASE_URL", "REDIS_"))
    }
    environment["DATABASE_URL"] = f"sqlite:///{database}"
    python = str(project / ".venv/bin/python")

    def manage(*arguments, **extra):
        subprocess.run([python, "manage.py", *arguments], cwd=project, env={**environment, **extra}, check=True)

    manage("migrate", "--noinput", "-v0")
    passwords = {MEMBER: secrets.token_urlsafe(16), STAFF: secrets.token_urlsafe(16)}
    manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; U = get_user_model(); "
        f"U.objects.create_user({MEMBER!r}, 'alice@example.com', {passwords[MEMBER]!r}); "
        f"U.objects.create_superuser({STAFF!r}, 'admin@example.com', {passwords[STAFF]!r})",
    )
    port = free_port()
    server = subprocess.Popen(
        [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=project,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/health/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield base, passwords, manage
    finally:
        server.terminate()
        server.wait(10)


def sign_in(page, base, username, password):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form:has(input[name=password]) button[type=submit]")


def confirm_password(page, password):
    if "/reauthenticate/" in page.url:
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form:has(input[name=password]) button[type=submit]")


def photograph(browser, base, passwords, forget_factors, out):
    """Take every picture at every size; return their paths."""
    taken = []
    # Another device first, so the sessions page has more than one row.
    other = browser.new_context(user_agent=PHONE_AGENT)
    sign_in(other.new_page(), base, MEMBER, passwords[MEMBER])
    for size, viewport in SIZES.items():
        agent = PHONE_AGENT if size == "phone" else DESKTOP_AGENT
        context = browser.new_context(viewport=viewport, user_agent=agent)
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        taken.append(shoot(page, out / f"sign-in-{size}.png"))

        sign_in(page, base, MEMBER, passwords[MEMBER])
        page.goto(f"{base}/accounts/sessions/")
        confirm_password(page, passwords[MEMBER])
        taken.append(shoot(page, out / f"sessions-{size}.png"))
        context.close()

        context = browser.new_context(viewport=viewport, user_agent=agent)
        page = context.new_page()
        sign_in(page, base, STAFF, passwords[STAFF])
        taken.append(shoot(page, out / f"second-factor-required-{size}.png"))
        page.goto(f"{base}/accounts/2fa/totp/activate/")
        confirm_password(page, passwords[STAFF])
        taken.append(shoot(page, out / f"authenticator-app-{size}.png"))
        secret = page.input_value("#authenticator_secret")
        page.fill("input[name=code]", totp(secret))
        with page.expect_navigation():
            page.click("form:has(input[name=code]) button[type=submit]")
        taken.append(shoot(page, out / f"recovery-codes-{size}.png"))
        context.close()
        # Remove the factor again, so the next size starts from the same place.
        forget_factors()
    other.close()
    return taken


def shoot(page, path):
    page.wait_for_load_state("networkidle")
    page.screenshot(path=path, full_page=True)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/screenshots")
    parser.add_argument("--project", type=Path, help="an already baked project with its .venv")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="screenshots-"))
    try:
        project = arguments.project.resolve() if arguments.project else bake(scratch / "bake")
        with serving(project, scratch / "db.sqlite3") as (base, passwords, manage), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            try:

                def forget_factors():
                    manage("shell", "-c", FORGET_FACTORS)

                for path in photograph(browser, base, passwords, forget_factors, arguments.out):
                    print(path)
            finally:
                browser.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
