"""The README's demo command serves the site, as the README says."""

import os
import signal
import subprocess
import time
import urllib.request

from tests.support.services import find_free_port
from tests.support.template import TEMPLATE_DIR


def test_the_demo_command_serves_the_sign_in_page(tmp_path):
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
