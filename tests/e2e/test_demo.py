"""The README's demo command serves the site, as the README says, and logs nothing the visitor did not cause."""

import http.cookiejar
import os
import re
import signal
import subprocess
import time
import urllib.parse
import urllib.request

from tests.support.services import find_free_port
from tests.support.template import TEMPLATE_DIR

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# A warning of the project's logging ("WARNING name message") or of Python's warnings module.
WARNING = re.compile(r"^WARNING |Warning: ")


def test_the_demo_command_serves_the_sign_in_page_and_logs_no_warning_the_visitor_did_not_cause(tmp_path):
    port = find_free_port()
    log = tmp_path / "demo.log"
    with log.open("w") as output:
        demo = subprocess.Popen(
            ["./scripts/demo"],
            cwd=TEMPLATE_DIR,
            env=os.environ | {"PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        page = wait_for_page(f"http://127.0.0.1:{port}/accounts/login/", demo, log)
        walk_through(f"http://127.0.0.1:{port}", demo_password(log.read_text()))
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=30)

    text = log.read_text()
    assert "<h1>Sign in</h1>" in page
    assert 'sign in as "demo"' in text
    # A correct sign-in, pages, a sign-out: nothing there is the visitor's fault.
    assert [line for line in text.splitlines() if WARNING.search(line)] == []
    assert text.count("AXES: BEGIN") <= 1


def demo_password(log_text):
    """The demo user's password, which the demo prints on the line after it names the user."""
    lines = log_text.splitlines()
    [index] = [number for number, line in enumerate(lines) if 'sign in as "demo"' in line]
    return lines[index + 1].strip()


def walk_through(base, password):
    """Sign in as the demo user, open the home page and the session list, sign out, as a visitor does."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(path, page, **fields):
        fields["csrfmiddlewaretoken"] = CSRF_FIELD.search(page).group(1)
        with opener.open(base + path, data=urllib.parse.urlencode(fields).encode(), timeout=30) as response:
            return response.read().decode()

    def get(path):
        with opener.open(base + path, timeout=30) as response:
            return response.read().decode()

    with opener.open(base + "/accounts/login/", timeout=30) as response:
        login_page = response.read().decode()
    home = post("/accounts/login/", login_page, username="demo", password=password)
    assert "Signed in as <strong>demo</strong>" in home, home[:2000]
    get("/")
    get("/accounts/sessions/")
    post("/accounts/logout/", get("/"))


def wait_for_page(url, process, log, timeout=300):
    """Fetch url once the demo serves it; fail with the demo's output otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the demo exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the demo did not serve {url} within {timeout} s:\n{log.read_text()}")
