"""Every page a person can reach, at a phone's width and a desktop's, in Chromium.

A baked project deployed behind Caddy with TLS. The whole visit runs twice,
with fresh users: once in ordinary browser contexts, which record every
Content Security Policy violation, and once in contexts that bypass the CSP
so that axe-core (npm, installed by scripts/axe) can be injected to audit
each page against WCAG 2.2 A and AA. At 390 px and at 1280 px, every page
must fit the width of the window, break no CSP rule and have no serious or
critical accessibility violation.

The visit: the signed-out pages and each error page; a member's pages, each
message a session's end leaves (signed out, ended from another device, timed
out, browser changed, password changed) and the idle warning; a staff
member's before and after setting up a second factor, the admin, and the
message a factor change leaves.
"""

import re
import secrets
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.stack import deployed_stack
from tests.support.totp import Authenticator

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "build/axe/node_modules/axe-core/axe.min.js"
SIZES = [(390, 844), (1280, 800)]
# WCAG 2.2 A and AA rules; axe's "best-practice" ones are advice, not the standard.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = ["serious", "critical"]
PASSWORD = secrets.token_urlsafe(18)
NEW_PASSWORD = secrets.token_urlsafe(18)
# Long enough that sessions signed in at the start of a slow, audited walk are still alive
# when the sessions page lists them; the idle sleeper waits this long once.
IDLE_MINUTES = 2
# When the page opens its idle warning: a minute before the end, or halfway through a
# shorter timeout (static/js/idle-warning.js).
WARNING_OPENS_AFTER_MS = (IDLE_MINUTES * 60 - min(60, IDLE_MINUTES * 30)) * 1000
DESKTOP_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
HTML = "text/html; charset=utf-8"
OTHER_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Gecko/20100101 Firefox/130.0"


@pytest.fixture(scope="module")
def axe_source():
    # Quick when the pinned version is there: only this test needs it, so no other tier waits for npm.
    subprocess.run([ROOT / "scripts/axe"], check=True)
    return AXE.read_text()


@pytest.fixture(scope="module")
def stack(bake_project, project_python, postgres_server, redis_server):
    with deployed_stack(
        bake_project(),
        project_python,
        postgres_server,
        redis_server,
        users={},
        redis_index=9,
        environment={"DJANGO_SESSION_IDLE_TIMEOUT_MINUTES": str(IDLE_MINUTES)},
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def browser(playwright, stack):
    proxy = stack.proxy
    flags = [*CHROMIUM_FLAGS, f"--ignore-certificate-errors-spki-list={proxy.authority.spki_sha256}"]
    if proxy.name != proxy.host:
        flags.append(f"--host-resolver-rules=MAP {proxy.name} {proxy.host}")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags, timeout=60_000)
    yield browser
    browser.close()


class Visit:
    """One run through every page, in contexts that either record CSP violations or audit with axe."""

    def __init__(self, browser, stack, axe_source, *, audit):
        self.browser = browser
        self.stack = stack
        self.base = stack.proxy.url
        self.axe_source = axe_source
        self.audit = audit
        self.kind = "axe" if audit else "csp"
        self.problems = []
        self.seen = []
        self.contexts = []

    def page(self, user_agent=DESKTOP_AGENT):
        context = self.browser.new_context(bypass_csp=self.audit, user_agent=user_agent)
        context.set_default_timeout(20_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self.console(page, message))
        return page

    def console(self, page, message):
        if "Content Security Policy" in message.text:
            self.problems.append(f"[{self.kind}] CSP on {page.url}: {message.text}")

    def close(self):
        for context in self.contexts:
            context.close()

    def look(self, page, label):
        """Check the page as it stands at each width."""
        self.seen.append(label)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                self.problems.append(f"[{self.kind}] {label} at {width} px: {overflow} px wider than the window")
            if self.audit:
                for violation in self.axe(page):
                    self.problems.append(f"[axe] {label} at {width} px: {violation}")

    def axe(self, page):
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=self.axe_source)
        return page.evaluate(
            """async ([tags, impacts]) => {
                const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
                return result.violations
                    .filter((violation) => impacts.includes(violation.impact))
                    .map((violation) => `${violation.id} (${violation.impact}): `
                        + violation.nodes.slice(0, 3).map((node) => node.target.join(" ")).join(", "));
            }""",
            [AXE_TAGS, FAILING_IMPACTS],
        )

    # Ways through the site, as a person takes them.

    def go(self, page, path):
        return page.goto(self.base + path)

    def sign_in(self, page, username, password=PASSWORD):
        if "/accounts/login/" not in page.url and "/accounts/signed-out/" not in page.url:
            self.go(page, "/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form:has(input[name=password]) button[type=submit]")

    def submit(self, page, selector="main form:has(input:not([type=hidden])) button[type=submit]"):
        with page.expect_navigation():
            page.click(selector)

    def confirm(self, page, password=PASSWORD):
        page.fill("input[name=password]", password)
        self.submit(page)

    def enter_code(self, page, code):
        page.fill("input[name=code]", code)
        self.submit(page, "form:has(input[name=code]) button[type=submit]")


def create_users(stack, **users):
    """Create users: username -> is_staff (staff are superusers)."""
    lines = ["from django.contrib.auth import get_user_model", "User = get_user_model()"]
    for username, staff in users.items():
        make = "create_superuser" if staff else "create_user"
        lines.append(f"User.objects.{make}({username!r}, {username + '@example.com'!r}, {PASSWORD!r})")
    stack.apps[0].manage("shell", "-c", "\n".join(lines))


def forget_rate_limits(stack):
    """Let this client ask for password resets again: the next run sees the form's answer, not the 429."""
    stack.apps[0].manage(
        "shell",
        "-c",
        "from django.core.cache import cache\n"
        "client = cache._cache.get_client(write=True)\n"
        "for key in client.scan_iter('*password-reset*'):\n"
        "    client.delete(key)",
    )


# The error pages no visitor can call up at will, each as (status, the exception, how the handler is called).
HANDLED_ERRORS = {
    "400, session changed": (400, "SessionInterrupted()", "views.bad_request(None, exception)"),
    "500": (500, "RuntimeError('broken')", "views.server_error(None)"),
    "503": (503, "OperationalError('down')", "views.server_error(None)"),
}


def error_page_html(stack, exception, handler_call):
    """An error page exactly as the project's handler renders it for the exception."""
    code = (
        "import importlib, os\n"
        "from django.contrib.sessions.exceptions import SessionInterrupted\n"
        "from django.db import OperationalError\n"
        "views = importlib.import_module(os.environ['DJANGO_SETTINGS_MODULE'].rsplit('.', 1)[0] + '.views')\n"
        "try:\n"
        f"    raise {exception}\n"
        "except Exception as exception:\n"
        f"    print('<<<' + {handler_call}.content.decode() + '>>>')"
    )
    output = stack.apps[0].manage("shell", "-v", "0", "-c", code).stdout
    return output[output.index("<<<") + 3 : output.rindex(">>>")]


def answer_with(status, html, csp):
    """A route handler answering with this page, as the project would."""
    return lambda route: route.fulfill(
        status=status, body=html, headers={"content-type": HTML, "content-security-policy": csp}
    )


def visit_signed_out_pages(visit, stack):
    page = visit.page()
    visit.go(page, "/accounts/login/")
    visit.look(page, "sign-in")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "not the password")
    visit.submit(page)
    expect(page.get_by_role("alert").first).to_be_visible()
    visit.look(page, "sign-in, wrong password")
    visit.go(page, "/accounts/signed-out/")
    visit.look(page, "signed out")
    visit.go(page, "/accounts/password/reset/")
    visit.look(page, "password reset")
    page.fill("input[name=email]", "nobody@example.com")
    visit.submit(page)
    assert page.url.endswith("/accounts/password/reset/done/")
    visit.look(page, "password reset sent")

    assert visit.go(page, "/no-such-page/").status == 404
    visit.look(page, "404")
    csp = visit.go(page, "/accounts/login/").headers["content-security-policy"]
    page.evaluate("document.querySelector('[name=csrfmiddlewaretoken]').value = 'x'.repeat(64)")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "not the password")
    with page.expect_navigation() as navigation:
        page.click("form:has(input[name=password]) button[type=submit]")
    assert navigation.value.status == 403
    visit.look(page, "403, form expired")
    visit.go(page, "/accounts/login/")
    # More fields than Django reads: a SuspiciousOperation, answered 400.
    page.evaluate(
        """() => {
            const form = document.querySelector("form:has([name=password])");
            for (let i = 0; i < 1100; i++) {
                const field = document.createElement("input");
                field.type = "hidden"; field.name = `f${i}`; form.append(field);
            }
        }"""
    )
    with page.expect_navigation() as navigation:
        page.click("form:has(input[name=password]) button[type=submit]")
    assert navigation.value.status == 400
    visit.look(page, "400")
    for _ in range(12):
        visit.go(page, "/accounts/password/reset/")
        page.fill("input[name=email]", "nobody@example.com")
        with page.expect_navigation() as navigation:
            page.click("main form button[type=submit]")
        if navigation.value.status == 429:
            break
    assert navigation.value.status == 429
    visit.look(page, "429")
    # The pages only a race or an outage calls up, as their handler renders them, under the site's CSP.
    for name, (status, exception, handler_call) in HANDLED_ERRORS.items():
        html = error_page_html(stack, exception, handler_call)
        path = f"/error-{status}/"
        page.route(visit.base + path, answer_with(status, html, csp))
        assert visit.go(page, path).status == status
        expect(page.locator("link[rel=stylesheet]")).to_have_count(1)
        visit.look(page, name)


def visit_member_pages(visit, member):
    elsewhere = visit.page(user_agent=OTHER_AGENT)
    visit.sign_in(elsewhere, member)
    visit.sign_in(visit.page(), member)
    page = visit.page()
    page.clock.install()
    visit.sign_in(page, member)
    assert page.url == visit.base + "/"
    visit.look(page, "home")
    visit.go(page, "/accounts/2fa/")
    visit.look(page, "two-factor, optional")
    visit.go(page, "/accounts/password/change/")
    visit.look(page, "password change")
    # Signed in a moment ago, the sessions page asks for nothing more: confirm by hand.
    visit.go(page, "/accounts/reauthenticate/?next=/accounts/sessions/")
    visit.look(page, "confirm your password")
    visit.confirm(page)
    assert page.url == visit.base + "/accounts/sessions/"
    visit.look(page, "sessions")
    # Every "End session" button names the session it ends.
    names = [button.text_content() for button in page.get_by_role("button", name=re.compile("^End session")).all()]
    assert len(names) == len(set(names)) == 2, names
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^End session on Firefox")).click()
    expect(page.get_by_role("status")).to_contain_text("The session was ended")
    visit.look(page, "sessions, one ended")

    visit.go(elsewhere, "/")
    expect(elsewhere.get_by_role("status")).to_contain_text("ended from another device")
    visit.look(elsewhere, "ended from another device")
    visit.sign_in(elsewhere, member)
    # The same cookie from another browser, as a thief's would arrive.
    elsewhere.context.new_cdp_session(elsewhere).send("Network.setUserAgentOverride", {"userAgent": DESKTOP_AGENT})
    visit.go(elsewhere, "/")
    expect(elsewhere.get_by_role("status")).to_contain_text("your browser changed")
    visit.look(elsewhere, "browser changed")

    page.clock.run_for(WARNING_OPENS_AFTER_MS + 1_000)
    expect(page.locator("#idle-warning")).to_be_visible()
    expect(page.locator("#idle-warning-countdown")).to_have_text(re.compile(r"^\d+ seconds$"))
    visit.look(page, "idle warning")
    with page.expect_response(re.compile(r"/stay-signed-in/$")):
        page.click("#idle-warning-stay")

    other = visit.page()
    visit.sign_in(other, member)
    visit.go(page, "/accounts/password/change/")
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    visit.submit(page)
    visit.look(page, "password changed")
    visit.go(other, "/")
    expect(other.get_by_role("status")).to_contain_text("password of your account was changed")
    visit.look(other, "ended by a password change")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("You have signed out")
    visit.look(page, "after signing out")


def visit_staff_pages(visit, staff):
    page = visit.page()
    visit.sign_in(page, staff)
    assert page.url == visit.base + "/accounts/2fa/"
    expect(page.get_by_role("alert")).to_contain_text("must have a second factor")
    visit.look(page, "two-factor, required")
    visit.go(page, "/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:
        visit.confirm(page)
    visit.look(page, "set up an authenticator app")
    code = page.locator("input[name=code]")
    assert code.get_attribute("inputmode") == "numeric"
    assert code.get_attribute("autocomplete") == "one-time-code"
    authenticator = Authenticator(page.locator(".secret").inner_text().strip())
    visit.enter_code(page, "000000")
    expect(page.get_by_role("alert").first).to_be_visible()
    visit.look(page, "set up an authenticator app, wrong code")
    visit.enter_code(page, authenticator.code())
    assert page.url == visit.base + "/accounts/2fa/recovery-codes/"
    visit.look(page, "recovery codes")
    codes = page.locator("#recovery_codes li").all_inner_texts()
    assert page.get_by_role("link", name="Download the codes").is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("continue")).click()
    visit.go(page, "/accounts/2fa/")
    visit.look(page, "two-factor, set up")
    for path in ["/admin/", "/admin/accounts/user/", "/admin/session_policy/usersession/"]:
        visit.go(page, path)
        visit.look(page, f"admin {path}")

    other = visit.page()
    visit.sign_in(other, staff)
    assert other.url == visit.base + "/accounts/2fa/authenticate/"
    expect(other.get_by_role("button", name=re.compile("passkey"))).to_have_count(0)
    visit.look(other, "second factor at sign-in")
    visit.enter_code(other, "000000")
    visit.look(other, "second factor at sign-in, wrong code")
    visit.enter_code(other, codes[0])
    assert other.url == visit.base + "/"

    visit.go(page, "/accounts/reauthenticate/?next=/accounts/2fa/webauthn/add/")
    assert "/accounts/2fa/reauthenticate/" in page.url
    visit.look(page, "confirm with a code")
    visit.enter_code(page, codes[1])
    assert page.url == visit.base + "/accounts/2fa/webauthn/add/"
    visit.look(page, "add a passkey")
    visit.go(page, "/accounts/2fa/totp/deactivate/")
    visit.look(page, "turn off the authenticator app")
    visit.go(page, "/accounts/2fa/recovery-codes/generate/")
    visit.look(page, "make new recovery codes")
    visit.submit(page, "main form button[type=submit]")
    visit.go(other, "/")
    expect(other.get_by_role("status")).to_contain_text("second factor of your account was added or removed")
    visit.look(other, "ended by a factor change")


@pytest.mark.parametrize("audit", [False, True], ids=["csp-and-widths", "axe"])
def test_every_page_fits_a_phone_keeps_the_csp_and_passes_an_accessibility_audit(stack, browser, axe_source, audit):
    run = "axe" if audit else "csp"
    member, sleeper, staff = f"member-{run}", f"sleeper-{run}", f"staff-{run}"
    create_users(stack, **{member: False, sleeper: False, staff: True})
    forget_rate_limits(stack)
    visit = Visit(browser, stack, axe_source, audit=audit)
    try:
        idle = visit.page()  # signs in now, then does nothing until the idle timeout has passed
        visit.sign_in(idle, sleeper)
        idle.goto("about:blank")  # away from the idle warning, which would reload the page at the timeout
        signed_in_at = time.monotonic()
        visit_signed_out_pages(visit, stack)
        visit_member_pages(visit, member)
        visit_staff_pages(visit, staff)
        time.sleep(max(0, signed_in_at + IDLE_MINUTES * 60 + 2 - time.monotonic()))
        visit.go(idle, "/")
        expect(idle.get_by_role("status")).to_contain_text("after a period of inactivity")
        visit.look(idle, "timed out")
    finally:
        visit.close()
    print(f"{len(visit.seen)} pages checked at {len(SIZES)} widths ({visit.kind})")
    assert visit.problems == [], "\n".join(visit.problems)
