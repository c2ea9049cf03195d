"""
Device-bound sessions in a real browser, on the production stack.

Debian's Chromium with Device Bound Session Credentials switched on (software
keys, no refresh quota) signs in through Caddy's TLS to two gunicorn
instances with several workers on PostgreSQL and Redis, registers its key,
and renews its short-lived bound cookie by itself. The stack has its own
address, so that it can run beside the production rehearsal on 127.0.0.1;
so does the stack whose workers are kept busy.
"""

import contextlib
import secrets
import time
from pathlib import Path

import pytest

from tests.support.browser import chromium, sign_in
from tests.support.stack import busy_worker, deployed_stack, header_values

HOST = "127.0.0.7"
# Two instances of two sync workers, one worker of each held by a slow client during every sign-in.
BUSY_HOST = "127.0.0.31"
BUSY_WORKERS = 2
USERNAME = "device-bound-carol"
PASSWORD = secrets.token_urlsafe(18)
# Short, so that a few refreshes take under a minute; the default is 10 minutes.
BOUND_COOKIE_SECONDS = 10
SESSION_COOKIE = "__Host-sessionid"
BOUND_COOKIE = "__Host-devicebound"
DEVICE_BOUND_SESSIONS = [
    "--enable-features=DeviceBoundSessions:RefreshQuota/false,"
    "EnableBoundSessionCredentialsSoftwareKeysForManualTesting"
]
REGISTERED = '"POST /accounts/device-binding/register/ HTTP/1.1" 200'
REFRESHED = '"POST /accounts/device-binding/refresh/ HTTP/1.1" 200'
UNPROVEN = '"reason": "device_unproven"'
# Sign-ins in a row, each racing its registration against the redirect's page.
SIGN_INS = 12


def device_bound_stack(bake_project, project_python, postgres_server, redis_server, **options):
    return deployed_stack(
        bake_project(),
        project_python,
        postgres_server,
        redis_server,
        users={USERNAME: PASSWORD},
        # No second factor for the superuser: a code works once per 30 s, and SIGN_INS come faster.
        environment={
            "DJANGO_SESSION_DEVICE_BINDING_COOKIE_SECONDS": str(BOUND_COOKIE_SECONDS),
            "DJANGO_MFA": "optional",
        },
        **options,
    )


@pytest.fixture(scope="module")
def stack(bake_project, project_python, postgres_server, redis_server):
    with device_bound_stack(
        bake_project, project_python, postgres_server, redis_server, redis_index=7, host=HOST
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def busy_stack(bake_project, project_python, postgres_server, redis_server):
    with device_bound_stack(
        bake_project,
        project_python,
        postgres_server,
        redis_server,
        redis_index=10,
        host=BUSY_HOST,
        workers=BUSY_WORKERS,
    ) as stack:
        yield stack


@pytest.fixture
def bound_browser(playwright, stack, tmp_path):
    """Chromium with device-bound sessions, signed in and registered."""
    with chromium(playwright, stack.proxy, tmp_path / "profile", DEVICE_BOUND_SESSIONS) as context:
        page = context.new_page()
        sign_in(page, stack.proxy, USERNAME, PASSWORD)
        wait_for(lambda: cookie(context, BOUND_COOKIE), "the browser never registered its key")
        # The binding counts from the first request that carries the bound cookie.
        assert_signed_in(page, stack)
        yield context, page


def cookie(context, name):
    return next((cookie for cookie in context.cookies() if cookie["name"] == name), None)


def wait_for(condition, failure, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(failure)
        time.sleep(0.25)


def access_log_count(stack, line):
    return sum(Path(app.log_path).read_text(errors="replace").count(line) for app in stack.apps)


def assert_signed_in(page, stack):
    response = page.goto(f"{stack.proxy.url}/")
    assert (response.status, page.url) == (200, f"{stack.proxy.url}/")
    assert USERNAME in page.content()


def test_the_browser_registers_and_stays_signed_in_across_refreshes(stack, bound_browser):
    context, page = bound_browser
    bound = cookie(context, BOUND_COOKIE)
    assert (bound["secure"], bound["httpOnly"], bound["sameSite"], bound["path"]) == (True, True, "Lax", "/")
    assert access_log_count(stack, REGISTERED) >= 1
    refreshed_before = access_log_count(stack, REFRESHED)
    values = {bound["value"]}

    for _ in range(3):
        # Past the bound cookie's lifetime: the browser must prove its key before the page loads.
        time.sleep(BOUND_COOKIE_SECONDS + 1)
        assert_signed_in(page, stack)
        values.add(cookie(context, BOUND_COOKIE)["value"])

    assert access_log_count(stack, REFRESHED) - refreshed_before >= 3
    assert len(values) >= 4


def test_the_session_cookie_copied_out_of_the_browser_is_refused(stack, bound_browser):
    context, page = bound_browser
    stolen = cookie(context, SESSION_COOKIE)["value"]
    user_agent = page.evaluate("navigator.userAgent")

    status, headers, _ = stack.proxy.request(
        "GET", "/", headers={"Cookie": f"{SESSION_COOKIE}={stolen}", "User-Agent": user_agent}
    )

    assert status == 302, "\n".join(app.log_tail(40) for app in stack.apps)
    assert header_values(headers, "Location")[0].startswith("/accounts/login/")
    # The session ended: the copy told the server the cookie had left the device.
    response = page.goto(f"{stack.proxy.url}/")
    assert response.status == 200
    assert page.url.startswith(f"{stack.proxy.url}/accounts/login/")


def test_a_forged_refresh_through_the_proxy_is_refused_with_a_4xx(stack, bound_browser):
    context, _ = bound_browser
    cookies = "; ".join(f"{name}={cookie(context, name)['value']}" for name in (SESSION_COOKIE, BOUND_COOKIE))

    for headers in (
        {"Sec-Secure-Session-Id": "\x7f" * 3},
        {"Sec-Secure-Session-Id": "x" * 5000},
        {"Sec-Secure-Session-Id": "unknown", "Secure-Session-Response": "a.b.c"},
    ):
        status, _, _ = stack.proxy.request(
            "POST", "/accounts/device-binding/refresh/", headers={"Cookie": cookies, **headers}
        )
        assert 400 <= status < 500, headers


def test_a_chromium_without_device_bound_sessions_works_as_before(stack, playwright, tmp_path):
    with chromium(playwright, stack.proxy, tmp_path / "profile") as context:
        page = context.new_page()
        sign_in(page, stack.proxy, USERNAME, PASSWORD)
        time.sleep(BOUND_COOKIE_SECONDS + 1)

        assert_signed_in(page, stack)
        assert_signed_in(page, stack)
        assert cookie(context, BOUND_COOKIE) is None


def test_signing_in_again_and_again_never_signs_the_owner_out(stack, playwright, tmp_path):
    # The browser posts the registration and follows the sign-in redirect at the same moment: the
    # page's request cannot carry the bound cookie yet, and must not end the session for lacking it.
    assert sign_ins_signed_out(stack, playwright, tmp_path, "idle server") == (0, 0)


def test_signing_in_again_and_again_with_workers_busy_never_signs_the_owner_out(busy_stack, playwright, tmp_path):
    # With one worker of each instance held by a slow client, the registration and the redirect's
    # page queue for the one worker left, and either may be served first, or each by another instance.
    held = []

    def one_worker_of_each_instance_busy():
        workers = contextlib.ExitStack()
        for app in busy_stack.apps:
            held.append(workers.enter_context(busy_worker(app)))
        return workers

    outcome = sign_ins_signed_out(
        busy_stack, playwright, tmp_path, f"1 of {BUSY_WORKERS} workers busy", one_worker_of_each_instance_busy
    )

    # Each slow request was read to its end by one worker: that worker was held all along.
    assert [worker.status for worker in held] == [200] * (SIGN_INS * len(busy_stack.apps))
    assert outcome == (0, 0)


def sign_ins_signed_out(stack, playwright, tmp_path, condition, during=contextlib.nullcontext):
    """
    Sign in SIGN_INS times in a row with DBSC on, each time running ``during()``
    around the sign-in and the next page; return (signed out, sessions ended as
    device_unproven).
    """
    ended_before = access_log_count(stack, UNPROVEN)
    signed_out = 0
    with chromium(playwright, stack.proxy, tmp_path / "profile", DEVICE_BOUND_SESSIONS) as context:
        page = context.new_page()
        for _ in range(SIGN_INS):
            context.clear_cookies()
            with during():
                # The form by hand, not sign_in(): a sign-in that lands signed out is counted, not a failure.
                # From plain http, as a typed address would, as sign_in() does.
                response = page.goto(f"{stack.proxy.http_url}/accounts/login/")
                assert (response.status, page.url) == (200, f"{stack.proxy.url}/accounts/login/"), page.content()
                page.fill("input[name=username]", USERNAME)
                page.fill("input[name=password]", PASSWORD)
                with page.expect_navigation():
                    page.click("button[type=submit]")
                landed = page.url
                wait_for(lambda: cookie(context, BOUND_COOKIE), "the browser never registered its key")
                page.goto(f"{stack.proxy.url}/")
            signed_out += f"{stack.proxy.url}/" != landed or f"{stack.proxy.url}/" != page.url
    ended = access_log_count(stack, UNPROVEN) - ended_before
    print(
        f"\n[device binding] {SIGN_INS} sign-ins, {condition}: "
        f"{signed_out} signed out, {ended} sessions ended as device_unproven"
    )
    return signed_out, ended
