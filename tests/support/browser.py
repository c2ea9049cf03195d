"""Debian's Chromium, driven by Playwright without any browser download."""

import contextlib

from tests.support.totp import Authenticator

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
    flags = [*CHROMIUM_FLAGS, f"--ignore-certificate-errors-spki-list={proxy.authority.spki_sha256}"]
    if proxy.name != proxy.host:
        flags.append(f"--host-resolver-rules=MAP {proxy.name} {proxy.host}")
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=[*flags, *extra_flags], timeout=60_000
    )
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()


def sign_in(page, proxy, username, password):
    """Sign in through the form, starting from plain http as a typed address would.

    The test users are superusers, who must have a second factor by default:
    the first sign-in sets up an authenticator app, later ones give its code.
    """
    page.goto(f"{proxy.http_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if page.url == f"{proxy.url}/accounts/2fa/authenticate/":
        submit_code(page, AUTHENTICATORS[username].code())
    elif page.url == f"{proxy.url}/accounts/2fa/":
        set_up_authenticator(page, proxy, username)
        page.goto(f"{proxy.url}/")
    assert page.url == f"{proxy.url}/"


# The authenticator app of each user who set one up in this test run, by username.
AUTHENTICATORS = {}


def set_up_authenticator(page, proxy, username):
    """Set up TOTP from the secret the activation page shows, as a person with an app would."""
    page.goto(f"{proxy.url}/accounts/2fa/totp/activate/")
    authenticator = AUTHENTICATORS[username] = Authenticator(page.input_value("#authenticator_secret"))
    submit_code(page, authenticator.code())
    assert page.url == f"{proxy.url}/accounts/2fa/recovery-codes/"


def submit_code(page, code):
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.click("form:has(input[name=code]) button[type=submit]")
