"""Passkeys end to end in Chromium, with its DevTools virtual authenticator, behind Caddy TLS.

WebAuthn takes the site's host name as its relying party and refuses an IP
address, so this stack serves app.test, which Chromium resolves to an address
of its own: other tests run Caddy on 127.0.0.1 meanwhile.
"""

import secrets

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import chromium, sign_in
from tests.support.stack import deployed_stack

USERNAME = "passkey-alice"
PASSWORD = secrets.token_urlsafe(18)
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@pytest.fixture(scope="module")
def stack(bake_project, project_python, postgres_server, redis_server):
    with deployed_stack(
        bake_project(),
        project_python,
        postgres_server,
        redis_server,
        users={USERNAME: PASSWORD},
        redis_index=4,
        host="127.0.0.8",
        name="app.test",
    ) as stack:
        yield stack


@pytest.fixture
def page(stack, tmp_path):
    """A page with a virtual passkey authenticator; console complaints collected in page.problems."""
    with sync_playwright() as playwright, chromium(playwright, stack.proxy, tmp_path / "profile") as context:
        page = context.new_page()
        devtools = context.new_cdp_session(page)
        devtools.send("WebAuthn.enable", {"enableUI": False})
        devtools.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})
        page.problems = []
        page.on("console", lambda message: message.type in ("error", "warning") and page.problems.append(message.text))
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        yield page


def session_key(page):
    return next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "__Host-sessionid")


def test_a_passkey_signs_in_alone_and_steps_up(stack, page):
    base = stack.proxy.url
    sign_in(page, stack.proxy, USERNAME, PASSWORD)

    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    page.check("input[name=passwordless]")
    with page.expect_navigation():
        page.click("#mfa_webauthn_add")
    expect(page.locator("main")).to_contain_text("Security key")
    with page.expect_navigation():
        page.click("text=Sign out")

    page.goto(f"{base}/accounts/login/")
    with page.expect_navigation():
        page.click("#passkey_login")
    assert page.url == f"{base}/"
    expect(page.locator(".site-header")).to_contain_text(USERNAME)

    signed_in_key = session_key(page)
    page.goto(f"{base}/accounts/2fa/webauthn/reauthenticate/?next=/accounts/sessions/")
    with page.expect_navigation():
        page.click("#mfa_webauthn_reauthenticate")
    assert page.url == f"{base}/accounts/sessions/"
    assert session_key(page) != signed_in_key

    assert [problem for problem in page.problems if "Content Security Policy" in problem] == []
    assert page.problems == []
