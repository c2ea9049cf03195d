"""Every page works in Chromium under the strict CSP, and the idle warning does its job.

A baked project deployed behind Caddy with TLS, as in the rehearsal, with a
one-minute idle timeout so the warning can be seen through to the end.
"""

import re
import secrets
import time

import pytest
from playwright.sync_api import expect

from tests.support.browser import chromium, sign_in
from tests.support.stack import deployed_stack

USERNAME = "browser-alice"
PASSWORD = secrets.token_urlsafe(18)
IDLE_MINUTES = 1


@pytest.fixture(scope="module")
def stack(bake_project, project_python, postgres_server, redis_server):
    with deployed_stack(
        bake_project(),
        project_python,
        postgres_server,
        redis_server,
        users={USERNAME: PASSWORD},
        redis_index=3,
        environment={"DJANGO_SESSION_IDLE_TIMEOUT_MINUTES": str(IDLE_MINUTES)},
    ) as stack:
        yield stack


@pytest.fixture
def page(playwright, stack, tmp_path):
    """A page whose console complaints and script errors are collected in page.problems."""
    with chromium(playwright, stack.proxy, tmp_path / "profile") as context:
        page = context.new_page()
        page.problems = []
        page.on("console", lambda message: message.type in ("error", "warning") and page.problems.append(message.text))
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        page.on("response", lambda response: response.status == 404 and page.problems.append(f"404 {response.url}"))
        yield page


def csp_violations(page):
    return [problem for problem in page.problems if "Content Security Policy" in problem]


def visit(page, url):
    response = page.goto(url)
    assert response.status < 400, f"{url}: {response.status}"


def test_every_page_and_form_works_under_the_csp(stack, page):
    base = stack.proxy.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page.locator(".errors")).to_be_visible()
    visit(page, f"{base}/accounts/password/reset/")
    page.fill("input[name=email]", "nobody@example.com")
    with page.expect_navigation():
        page.click("button[type=submit]")

    sign_in(page, stack.proxy, USERNAME, PASSWORD)
    for path in [
        "/",
        "/accounts/sessions/",
        "/accounts/password/change/",
        "/accounts/reauthenticate/?next=/",
        "/admin/",
        "/admin/accounts/user/",
        "/admin/session_policy/usersession/",
        "/admin/axes/accessattempt/",
    ]:
        visit(page, base + path)
    visit(page, f"{base}/admin/accounts/user/")
    with page.expect_navigation():
        page.get_by_role("link", name=USERNAME, exact=True).click()
    with page.expect_navigation():
        page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    visit(page, f"{base}/accounts/sessions/")
    # Signed in nowhere else: nothing to sign out of.
    expect(page.get_by_role("button", name="Sign out everywhere else")).to_have_count(0)
    with page.expect_navigation():
        page.click("text=Sign out")

    assert page.url == f"{base}/accounts/signed-out/"
    assert csp_violations(page) == []
    assert page.problems == []


def test_the_idle_warning_offers_to_stay_and_then_signs_out(stack, page):
    # The browser's clock is moved by hand; the server's idle limit must really pass.
    page.clock.install()
    sign_in(page, stack.proxy, USERNAME, PASSWORD)
    warning = page.locator("#idle-warning")
    expect(warning).not_to_be_visible()

    page.clock.run_for(31_000)
    expect(warning).to_be_visible()
    with page.expect_response(re.compile(r"/accounts/sessions/stay-signed-in/$")) as answer:
        page.click("#idle-warning-stay")
    assert answer.value.status == 200
    expect(warning).not_to_be_visible()

    time.sleep(IDLE_MINUTES * 60 + 2)
    with page.expect_navigation():
        page.clock.run_for(IDLE_MINUTES * 60_000 + 2_000)

    assert page.url.startswith(f"{stack.proxy.url}/accounts/login/")
    expect(page.locator(".messages")).to_contain_text("after a period of inactivity")
    assert csp_violations(page) == []


def test_the_idle_warning_counts_down_and_signs_out_now(stack, page):
    page.clock.install()
    sign_in(page, stack.proxy, USERNAME, PASSWORD)

    page.clock.run_for(31_000)
    expect(page.locator("#idle-warning")).to_be_visible()
    countdown = page.locator("#idle-warning-countdown")
    expect(countdown).to_have_text(re.compile(r"^\d+ seconds$"))
    # It opened with half the timeout left, less what the sign-in's redirect took.
    left = int(countdown.inner_text().split()[0])
    assert IDLE_MINUTES * 60 / 2 - 10 <= left <= IDLE_MINUTES * 60 / 2
    page.clock.run_for(10_000)
    # The page's clock also runs on by itself meanwhile.
    expect(countdown).to_have_text(re.compile(rf"^({left - 10}|{left - 11}|{left - 12}) seconds$"))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out now").click()

    assert page.url == f"{stack.proxy.url}/accounts/signed-out/"
    expect(page.get_by_role("status")).to_contain_text("You have signed out")
    assert csp_violations(page) == []
