"""Debian's Chromium, driven by Playwright without any browser download."""

import contextlib

CHROMIUM = "/usr/bin/chromium"
# Headless, and nothing that would reach out to the network by itself.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.contextmanager
def chromium(playwright, proxy, profile, extra_flags=()):
    """Chromium with a fresh profile, trusting the proxy's certificate and no other new one."""
    trust = f"--ignore-certificate-errors-spki-list={proxy.authority.spki_sha256}"
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, trust, *extra_flags], timeout=60_000
    )
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()


def sign_in(page, proxy, username, password):
    """Sign in through the form, starting from plain http as a typed address would."""
    page.goto(f"{proxy.http_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == f"{proxy.url}/"
