"""
Production rehearsal: a baked project deployed as compose.yaml deploys it, without Docker.

A real PostgreSQL, a real Redis, two gunicorn instances with production
settings and several workers each, the project's Caddyfile in front with TLS
from a CA made here, and Debian's Chromium driven by Playwright. Screenshots
and the Observatory's report go to build/artifacts/.
"""

import json
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.browser import chromium
from tests.support.browser import sign_in as sign_in_as
from tests.support.commands import run
from tests.support.stack import deployed_stack, header_values
from tests.support.template import TEMPLATE_DIR

ARTIFACTS = TEMPLATE_DIR / "build" / "artifacts"
OBSERVATORY = TEMPLATE_DIR / "build" / "observatory" / "node_modules" / "@mdn" / "mdn-http-observatory"
USERNAME = "rehearsal-alice"
PASSWORD = secrets.token_urlsafe(18)
SESSION_COOKIE = "__Host-sessionid"
SIGNED_IN_PAGE = '"GET / HTTP/1.1" 200'


@pytest.fixture(scope="module")
def stack(bake_project, project_python, postgres_server, redis_server):
    """The baked defaults, migrated, with a user, served by two instances behind Caddy."""
    with deployed_stack(
        bake_project(), project_python, postgres_server, redis_server, users={USERNAME: PASSWORD}, redis_index=2
    ) as stack:
        yield stack


@pytest.fixture
def browser(playwright, stack, tmp_path):
    with chromium(playwright, stack.proxy, tmp_path / "profile") as context:
        yield context


def sign_in(page, proxy):
    sign_in_as(page, proxy, USERNAME, PASSWORD)


def session_cookie(context):
    return next((cookie for cookie in context.cookies() if cookie["name"] == SESSION_COOKIE), None)


def save_artifact(name, content):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_text(content)


def screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)


def test_http_redirects_to_https(stack):
    status, headers, _ = stack.proxy.request("GET", "/accounts/login/?next=/", https=False)

    assert status in (301, 308)
    assert header_values(headers, "Location") == [f"{stack.proxy.url}/accounts/login/?next=/"]


def test_sign_in_over_https_with_cookies_scripts_cannot_read(stack, browser):
    page = browser.new_page()
    page.goto(f"{stack.proxy.http_url}/accounts/login/")
    assert page.url == f"{stack.proxy.url}/accounts/login/"
    screenshot(page, "rehearsal-login.png")

    sign_in(page, stack.proxy)

    assert USERNAME in page.content()
    cookie = session_cookie(browser)
    assert cookie is not None, browser.cookies()
    assert (cookie["secure"], cookie["httpOnly"], cookie["sameSite"]) == (True, True, "Lax")
    # __Host-: the browser only kept it because it is Secure, host-only and for the whole site.
    assert (cookie["domain"], cookie["path"]) == (stack.proxy.host, "/")
    assert SESSION_COOKIE not in page.evaluate("document.cookie")
    assert cookie["value"] not in page.evaluate("document.cookie")


def test_the_sessions_page_lists_this_browser(stack, browser):
    page = browser.new_page()
    sign_in(page, stack.proxy)

    page.goto(f"{stack.proxy.url}/accounts/sessions/")

    assert page.url == f"{stack.proxy.url}/accounts/sessions/"
    assert "This device" in page.content()
    # The address Caddy saw, as the app resolved it through X-Forwarded-For.
    assert page.locator("td", has_text=stack.proxy.host).count() >= 1
    screenshot(page, "rehearsal-sessions.png")


def test_a_client_cannot_choose_its_address_with_x_forwarded_for(stack, browser):
    browser.set_extra_http_headers({"X-Forwarded-For": "203.0.113.9"})
    page = browser.new_page()
    sign_in(page, stack.proxy)

    page.goto(f"{stack.proxy.url}/accounts/sessions/")

    this_device = page.locator("tr", has_text="This device")
    assert this_device.locator("td", has_text=stack.proxy.host).count() == 1
    assert "203.0.113.9" not in page.content()


def test_one_session_works_on_every_instance(stack, browser):
    page = browser.new_page()
    sign_in(page, stack.proxy)
    cookie = f"{SESSION_COOKIE}={session_cookie(browser)['value']}"
    user_agent = page.evaluate("navigator.userAgent")
    signed_in_before = [access_log(app).count(SIGNED_IN_PAGE) for app in stack.apps]

    # Through Caddy, which takes the instances in turn...
    for _ in range(2 * len(stack.apps)):
        status, _, body = stack.proxy.request("GET", "/", headers={"Cookie": cookie, "User-Agent": user_agent})
        assert status == 200
        assert USERNAME.encode() in body
    signed_in_after = [access_log(app).count(SIGNED_IN_PAGE) for app in stack.apps]
    assert all(after > before for before, after in zip(signed_in_before, signed_in_after, strict=True))

    # ...and straight to each instance, as Caddy would forward it.
    for app in stack.apps:
        status, _, body = app.request("GET", "/", headers={"Cookie": cookie, "User-Agent": user_agent})
        assert (status, USERNAME.encode() in body) == (200, True), app


def test_sign_out_ends_the_session_and_back_shows_nothing_private(stack, browser):
    page = browser.new_page()
    sign_in(page, stack.proxy)
    stolen = session_cookie(browser)["value"]
    user_agent = page.evaluate("navigator.userAgent")

    with page.expect_navigation():
        page.click("form[action='/accounts/logout/'] button[type=submit]")

    assert page.url.startswith(f"{stack.proxy.url}/accounts/signed-out/")
    assert session_cookie(browser) is None
    page.go_back()
    assert USERNAME not in page.content()
    # The server forgot the session: a copy of the cookie opens nothing.
    status, headers, _ = stack.proxy.request(
        "GET", "/", headers={"Cookie": f"{SESSION_COOKIE}={stolen}", "User-Agent": user_agent}
    )
    assert status == 302
    assert header_values(headers, "Location")[0].startswith("/accounts/login/")


def test_headers_are_sent_once_through_the_proxy(stack, browser):
    page = browser.new_page()
    login = page.goto(f"{stack.proxy.url}/accounts/login/").headers_array()
    sign_in(page, stack.proxy)
    home = page.goto(f"{stack.proxy.url}/").headers_array()
    save_artifact("rehearsal-headers.json", json.dumps({"login": login, "home": home}, indent=2))

    for headers in (login, home):
        names = [header["name"].lower() for header in headers]
        # Django sends HSTS; Caddy must not add a second (the pair would be invalid).
        assert names.count("strict-transport-security") == 1
        assert names.count("content-security-policy") == 1
        assert names.count("server") <= 1


@pytest.fixture(scope="module")
def observatory():
    """Install the scanner (quick when it is there): only this test needs it, so no other tier waits for npm."""
    run([TEMPLATE_DIR / "scripts" / "observatory"], cwd=TEMPLATE_DIR)
    return OBSERVATORY


def test_the_http_observatory_grades_the_stack_a_plus(stack, observatory):
    scanner = observatory / "src" / "scan.js"
    node = shutil.which("node")
    if node is None or not scanner.is_file():
        pytest.fail(
            f"The HTTP Observatory is not installed at {OBSERVATORY}: run ./scripts/observatory, which installs it."
        )

    # scan.js, not the package's wrapper, which would replace NODE_EXTRA_CA_CERTS.
    result = subprocess.run(
        [node, scanner, stack.proxy.host],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "NODE_EXTRA_CA_CERTS": str(stack.proxy.authority.ca_path)},
        check=False,
    )
    save_artifact("observatory.json", result.stdout)
    report = json.loads(result.stdout or "{}")
    assert "scan" in report, result.stdout + result.stderr
    failed = {name: test["result"] for name, test in report["tests"].items() if not test["pass"]}
    print(f"HTTP Observatory: grade {report['scan']['grade']}, score {report['scan']['score']}")

    assert report["scan"]["grade"] == "A+", failed
    assert failed == {}


def test_a_new_secret_key_with_the_old_as_fallback_signs_nobody_out(stack, browser):
    page = browser.new_page()
    sign_in(page, stack.proxy)
    old_key = stack.apps[0].settings["DJANGO_SECRET_KEY"]

    restart(stack.apps, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SECRET_KEY_FALLBACKS=old_key)
    response = page.goto(f"{stack.proxy.url}/")

    assert (response.status, page.url) == (200, f"{stack.proxy.url}/")
    assert USERNAME in page.content()

    # Without the fallback, the same move signs everyone out.
    restart(stack.apps, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SECRET_KEY_FALLBACKS="")
    response = page.goto(f"{stack.proxy.url}/")

    assert response.status == 200
    assert page.url.startswith(f"{stack.proxy.url}/accounts/login/")


def test_a_session_kept_through_a_key_rotation_can_still_be_listed_and_ended(stack, browser):
    page = browser.new_page()
    sign_in(page, stack.proxy)
    old_key = stack.apps[0].settings["DJANGO_SECRET_KEY"]

    # Accepting the old key's session hash, Django gives the session a new key (auth.get_user()).
    restart(stack.apps, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SECRET_KEY_FALLBACKS=old_key)
    page.goto(f"{stack.proxy.url}/accounts/sessions/")

    assert page.url == f"{stack.proxy.url}/accounts/sessions/"
    assert "This device" in page.content(), "the session is missing from the session index"


def restart(apps, **settings):
    """Restart every instance with new settings, one after the other, as a rolling deploy does."""
    for app in apps:
        app.stop()
        app.settings |= settings
        app.start()


def access_log(app):
    return Path(app.log_path).read_text(errors="replace")
