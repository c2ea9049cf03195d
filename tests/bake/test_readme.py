"""The README's two commands work as written."""

import os
import re
import signal
import subprocess
import time
import urllib.request

from tests.support.commands import run, tool
from tests.support.services import find_free_port
from tests.support.template import TEMPLATE_DIR

README = (TEMPLATE_DIR / "README.md").read_text()
DEMO_COMMAND = "./scripts/demo"
TEST_COMMAND = "./scripts/test"


def test_the_readme_names_both_commands_and_ci_runs_the_test_command():
    commands = re.findall(r"^\s*(\./scripts/\w+)\s*$", README, flags=re.MULTILINE)

    assert DEMO_COMMAND in commands
    assert TEST_COMMAND in commands
    assert TEST_COMMAND in (TEMPLATE_DIR / ".ci" / "run").read_text()


def test_the_demo_command_serves_the_sign_in_page(tmp_path):
    port = find_free_port()
    log = tmp_path / "demo.log"
    with log.open("w") as output:
        demo = subprocess.Popen(
            [DEMO_COMMAND],
            cwd=TEMPLATE_DIR,
            env=os.environ | {"PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        page = wait_for_page(f"http://127.0.0.1:{port}/accounts/login/", demo, log)
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=30)

    assert "<h1>Sign in</h1>" in page
    assert 'sign in as "demo"' in log.read_text()


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


def test_the_template_code_is_lint_clean():
    run([tool("ruff"), "check", "--no-cache", "hooks", "tests"], cwd=TEMPLATE_DIR)
    run([tool("ruff"), "format", "--check", "--no-cache", "hooks", "tests"], cwd=TEMPLATE_DIR)
