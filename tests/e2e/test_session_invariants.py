"""The session's invariants under real concurrency and real cache faults.

A baked project runs in gunicorn with four workers on a real PostgreSQL and
Redis. Threads released together by a barrier send the same session cookie
at the same moment, so the workers race each other for real; Redis is frozen
with SIGSTOP, as a hung server is, while sessions end. After each attack,
every key that was ever handed out is tried again: what the policy ended must
stay ended, and at most one successor of a key may be signed in.

The figures are printed (pytest -s shows them) and summarised in
docs/reliability.md.
"""

import contextlib
import os
import signal
import socket
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import redis

from tests.support.services import HOST, PostgresServer, RedisServer
from tests.support.stack import CLIENT_TIMEOUT, GunicornInstance, create_database, redis_database
from tests.support.visitors import CSRF_FIELD, Tally, Visitor, all_at_once, create_visitors

ENGINES = ["cached_db", "cache", "db"]
WORKERS = 4
PARALLEL = 8
TRIES = 12
SESSION_COOKIE = "__Host-sessionid"
CACHED_DB_PREFIX = ":1:django.contrib.sessions.cached_db"
# More than the default rotation interval (15 min) and idle timeout (30 min), less than the absolute one.
OVERDUE = 31 * 60

# Moves a policy clock stamp of each session back, as time passing would:
# the servers' clocks stay real. Run with the instance's own settings.
AGE_SESSIONS = """
import os
from importlib import import_module
from django.conf import settings
store = import_module(settings.SESSION_ENGINE).SessionStore
seconds, stamps = int(os.environ["AGE_SECONDS"]), os.environ["AGE_STAMPS"].split(",")
keys = os.environ["AGE_KEYS"].split(",")
for key in keys:
    session = store(key)
    state = session["_session_policy"]
    session["_session_policy"] = {**state, **{stamp: state[stamp] - seconds for stamp in stamps}}
    session.save()
"""


@pytest.fixture(scope="module")
def servers():
    """A PostgreSQL and a Redis of this module's own: the tests freeze Redis."""
    with PostgresServer() as postgres, RedisServer() as redis_server:
        yield postgres, redis_server


@pytest.fixture(scope="module")
def deployment(bake_project, project_python, servers):
    """Start (once per engine) gunicorn with four workers for a baked project; return it."""
    postgres, redis_server = servers
    running = {}
    with contextlib.ExitStack() as stack:

        def start(engine):
            if engine not in running:
                project = bake_project(session_engine=engine)
                app = GunicornInstance(
                    project,
                    project_python,
                    database_url=create_database(postgres, engine),
                    redis_url=redis_database(redis_server, ENGINES.index(engine) + 1),
                    workers=WORKERS,
                )
                app.manage("collectstatic", "--noinput", "-v", "0")
                app.manage("migrate", "--noinput")
                create_visitors(app, 60)
                stack.enter_context(app)
                running[engine] = app
            return running[engine]

        yield start


class Browser(Visitor):
    """A visitor who remembers every session key the server ever handed it, and every deletion."""

    def __init__(self, number, app, tally):
        super().__init__(number, [app], tally)
        self.app = app
        self.keys_seen = set()
        self.cookie_deletions = 0

    def remember_cookies(self, set_cookie_headers):
        had_key = SESSION_COOKIE in self.cookies
        super().remember_cookies(set_cookie_headers)
        if key := self.cookies.get(SESSION_COOKIE):
            self.keys_seen.add(key)
        self.cookie_deletions += had_key and SESSION_COOKIE not in self.cookies

    @property
    def key(self):
        return self.cookies.get(SESSION_COOKIE)

    def fork(self):
        """A second browser holding a copy of this one's cookies, as a parallel tab or a thief has."""
        twin = Browser(int(self.username.removeprefix("visitor")), self.app, self.tally)
        twin.cookies = dict(self.cookies)
        return twin

    def signed_in_with(self, key):
        """Whether the key alone, sent from this browser's address and User-Agent, is signed in."""
        probe = self.fork()
        probe.cookies = {SESSION_COOKIE: key}
        return probe.visit_home()

    def post_form(self, page, action, **fields):
        """Load page, then submit its form to action with its CSRF token and these fields."""
        _, _, html = self.request("GET", page)
        token = CSRF_FIELD.search(html)
        status, _, _ = self.request("POST", action, {"csrfmiddlewaretoken": token.group(1), **fields})
        self.tally.count(status)
        return status


def age(app, stamps, keys):
    ages = {"AGE_SECONDS": str(OVERDUE), "AGE_STAMPS": stamps, "AGE_KEYS": ",".join(keys)}
    app.manage("shell", "-c", AGE_SESSIONS, environment=ages)


def indexed_keys(app, username):
    query = (
        "SELECT s.session_key FROM session_policy_usersession s"
        " JOIN accounts_user u ON u.id = s.user_id WHERE u.username = %s"
    )
    with psycopg.connect(app.settings["DATABASE_URL"]) as connection:
        return {row[0] for row in connection.execute(query, (username,))}


def report(title, **figures):
    print(
        f"\n[invariants] {title}: " + "; ".join(f"{name.replace('_', ' ')} {value}" for name, value in figures.items())
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_parallel_requests_at_rotation_leave_one_indexed_successor(deployment, engine):
    app = deployment(engine)
    tally = Tally()
    browsers = [Browser(number, app, tally) for number in range(TRIES)]
    assert all(browser.sign_in() for browser in browsers), tally.summary()
    age(app, "rotated", [browser.key for browser in browsers])

    forks = unindexed = survivors = deletions = 0
    for browser in browsers:
        original = browser.key
        tabs = [browser.fork() for _ in range(PARALLEL)]
        all_at_once([tab.visit_home for tab in tabs])
        # One browser gets every answer: none may take its cookie, whatever the order.
        deletions += sum(tab.cookie_deletions for tab in tabs)
        handed_out = set().union(*(tab.keys_seen for tab in tabs)) | {original}
        signed_in = {key for key in handed_out if browser.signed_in_with(key)}
        forks += len(signed_in) > 1
        unindexed += bool(signed_in - indexed_keys(app, browser.username))

        # Signing out everywhere else from a new session must end the whole lineage.
        revoker = Browser(int(browser.username.removeprefix("visitor")), app, tally)
        assert revoker.sign_in()
        assert revoker.post_form("/accounts/sessions/", "/accounts/sessions/revoke-others/") == 302
        survivors += sum(browser.signed_in_with(key) for key in handed_out)

    report(
        f"rotation race, {engine}",
        tries=TRIES,
        parallel=PARALLEL,
        forks=forks,
        unindexed=unindexed,
        survivors=survivors,
        cookie_deletions=deletions,
        requests=tally.summary(),
    )
    assert tally.server_errors == 0
    assert deletions == 0
    assert forks == 0
    assert unindexed == 0
    assert survivors == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_revocation_racing_a_rotation_ends_every_successor(deployment, engine):
    app = deployment(engine)
    tally = Tally()
    victims = [Browser(number, app, tally) for number in range(20, 20 + TRIES // 2)]
    revokers = [Browser(number, app, tally) for number in range(20, 20 + TRIES // 2)]
    assert all(browser.sign_in() for browser in victims + revokers), tally.summary()
    age(app, "rotated", [victim.key for victim in victims])

    survivors = 0
    for victim, revoker in zip(victims, revokers, strict=True):
        # The revoker's page and token first, so that only the POST races the rotations.
        _, _, html = revoker.request("GET", "/accounts/sessions/")
        form = {"csrfmiddlewaretoken": CSRF_FIELD.search(html).group(1)}
        tabs = [victim.fork() for _ in range(PARALLEL)]

        def revoke(form=form, revoker=revoker):
            return revoker.request("POST", "/accounts/sessions/revoke-others/", form)[0]

        statuses = all_at_once([revoke, *(tab.visit_home for tab in tabs)])
        assert statuses[0] == 302
        handed_out = set().union(*(tab.keys_seen for tab in tabs)) | {victim.key}
        survivors += sum(victim.signed_in_with(key) for key in handed_out)

    report(f"revocation racing rotation, {engine}", tries=len(victims), survivors=survivors, requests=tally.summary())
    assert tally.server_errors == 0
    assert survivors == 0


@contextlib.contextmanager
def frozen(redis_server):
    """Redis stops answering, as a hung server does, then comes back with its data intact."""
    os.kill(redis_server.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(redis_server.pid, signal.SIGCONT)


def test_sessions_ended_while_redis_is_frozen_never_come_back(deployment, servers):
    _, redis_server = servers
    app = deployment("cached_db")
    cache = redis.Redis.from_url(app.settings["REDIS_URL"])
    tally = Tally()
    leaver, rotated, idle, moved = (Browser(number, app, tally) for number in range(40, 44))
    assert all(browser.sign_in() for browser in (leaver, rotated, idle, moved))
    age(app, "rotated", [rotated.key])
    age(app, "seen", [idle.key])
    browsers = {"leaver": leaver, "rotated": rotated, "idle": idle, "moved": moved}
    old = {name: browser.key for name, browser in browsers.items()}
    moved_elsewhere = moved.fork()
    moved_elsewhere.user_agent = "Mozilla/5.0 (Windows NT 10.0) Elsewhere/1"

    with frozen(redis_server):
        all_at_once(
            [
                lambda: leaver.post_form("/", "/accounts/logout/"),
                rotated.visit_home,
                idle.visit_home,
                moved_elsewhere.visit_home,
            ]
        )

    stale = [name for name, key in old.items() if cache.exists(CACHED_DB_PREFIX + key)]
    came_back = [name for name, browser in browsers.items() if browser.signed_in_with(old[name])]
    report("ended while redis frozen", stale_copies=stale, came_back=came_back, requests=tally.summary())
    # The cache really kept copies: without the durable record of each end they would sign in again.
    assert stale
    assert came_back == []
    assert rotated.key != old["rotated"]
    assert rotated.visit_home()
    assert tally.server_errors == 0


# More than the ends a user row holds marks for (session_policy/registry.py, MAX_MARKS).
MARKS_HELD = 100
LATER_ENDS = MARKS_HELD + 1


def test_a_sign_out_while_redis_is_frozen_stays_ended_however_many_sessions_end_next(deployment, servers):
    _, redis_server = servers
    app = deployment("cached_db")
    cache = redis.Redis.from_url(app.settings["REDIS_URL"])
    tally = Tally()
    leaver = Browser(50, app, tally)
    assert leaver.sign_in()
    key = leaver.key

    with frozen(redis_server):
        leaver.post_form("/", "/accounts/logout/")

    def sign_in_and_out(_):
        """Sign in, then out; return (signed in, signed out by its own sign-out)."""
        browser = Browser(50, app, tally)
        if not browser.sign_in():
            return False, False
        _, _, html = browser.request("GET", "/")
        # Once more ends than the user row holds have piled up, the policy has already ended them all.
        token = CSRF_FIELD.search(html)
        form = {"csrfmiddlewaretoken": token.group(1)} if token else {}
        return True, bool(token) and browser.request("POST", "/accounts/logout/", form)[0] == 302

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(sign_in_and_out, range(LATER_ENDS)))
    signed_in, signed_out = (sum(column) for column in zip(*outcomes, strict=True))
    stale = bool(cache.exists(CACHED_DB_PREFIX + key))
    # Refused means sent to the sign-in page. A copy let in runs the view as its user, and
    # then fails to save the activity it records (a 400): that counts as back too.
    probe = leaver.fork()
    probe.cookies = {SESSION_COOKIE: key}
    status, headers, _ = probe.request("GET", "/")
    came_back = not (status == 302 and headers.get("Location", "").startswith("/accounts/login/"))
    report(
        "signed out while redis frozen, then more sessions ended",
        stale_copy=stale,
        later_sign_ins=signed_in,
        later_sign_outs=signed_out,
        copy_answered=status,
        came_back=came_back,
    )
    # The cache really kept a copy, and the user really ended more sessions than the row holds marks for.
    assert stale
    assert signed_in == LATER_ENDS
    assert indexed_keys(app, "visitor0050") == set()
    assert not came_back
    assert tally.server_errors == 0


def raw_request(app, request_line, headers, body=b""):
    """Send bytes exactly as given, header values included; return the status code."""
    with socket.create_connection((HOST, app.port), timeout=CLIENT_TIMEOUT) as connection:
        head = [request_line, b"Host: " + app.allowed_hosts[0].encode(), b"X-Forwarded-Proto: https", *headers]
        if body:
            head.append(b"Content-Length: " + str(len(body)).encode())
        connection.sendall(b"\r\n".join([*head, b"Connection: close", b"", b""]) + body)
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    return int(reply.split(b" ", 2)[1])


HOSTILE_COOKIE_VALUES = [
    b"\x00" * 32,
    b"abc\x00def" * 4,
    b'"\\000' + b"a" * 31 + b'"',
    b'"\\000\\000\\000"',
    b'"' + b"\\377" * 32 + b'"',
    b"a" * 31 + b"\x7f",
    b"\xff\xfe" * 16,
    b"%00" * 11,
    b"' OR '1'='1" + b"a" * 21,
    b"a" * 8000,
] + [bytes([byte]) * 32 for byte in (*range(1, 32), *range(0x80, 0x100, 17))]


def test_hostile_bytes_on_the_wire_get_no_500_on_postgresql(deployment):
    app = deployment("cached_db")
    tally = Tally()
    browser = Browser(50, app, tally)
    assert browser.sign_in()
    cookie = f"{SESSION_COOKIE}={browser.key}".encode()
    headers = [b"X-Forwarded-For: " + browser.address.encode(), b"User-Agent: " + browser.user_agent.encode()]

    statuses = {}
    for value in HOSTILE_COOKIE_VALUES:
        statuses[value] = raw_request(app, b"GET / HTTP/1.1", [b"Cookie: " + SESSION_COOKIE.encode() + b"=" + value])
    # Signed in: a NUL in the revoke form, and next= leading back to the sign-in page.
    _, _, html = browser.request("GET", "/accounts/sessions/")
    token = CSRF_FIELD.search(html).group(1).encode()
    csrf_cookie = f"__Host-csrftoken={browser.cookies['__Host-csrftoken']}".encode()
    form = [
        b"Cookie: " + cookie + b"; " + csrf_cookie,
        b"Content-Type: application/x-www-form-urlencoded",
        b"Referer: https://" + app.allowed_hosts[0].encode() + b"/accounts/sessions/",
        *headers,
    ]
    for field in (b"%00", b"\x00", b"a%00" * 11):
        statuses[b"revoke " + field] = raw_request(
            app,
            b"POST /accounts/sessions/revoke/ HTTP/1.1",
            form,
            b"csrfmiddlewaretoken=" + token + b"&session=" + field,
        )
    statuses[b"login loop"] = raw_request(
        app, b"GET /accounts/login/?next=/accounts/login/ HTTP/1.1", [b"Cookie: " + cookie, *headers]
    )

    server_errors = {value: status for value, status in statuses.items() if status >= 500}
    report("hostile bytes on postgresql", requests=len(statuses), server_errors=server_errors)
    assert server_errors == {}
    assert statuses[b"login loop"] == 302
    assert all(statuses[b"revoke " + field] == 404 for field in (b"%00", b"\x00", b"a%00" * 11))
    assert browser.visit_home()


REVOKE_ONE = """
import os
from session_policy import registry
from session_policy.models import UserSession
registry.revoke(UserSession.objects.filter(session_key=os.environ["REVOKED_KEY"]), reason="test")
"""


def test_a_revocation_while_redis_is_frozen_survives_a_secret_key_rotation(deployment, servers):
    # Last in this module: the deployment keeps its new secret key.
    _, redis_server = servers
    app = deployment("cached_db")
    tally = Tally()
    victim, keeper = Browser(55, app, tally), Browser(55, app, tally)
    assert victim.sign_in()
    assert keeper.sign_in()
    stolen_key = victim.key

    with frozen(redis_server):
        app.manage("shell", "-c", REVOKE_ONE, environment={"REVOKED_KEY": stolen_key})
    app.stop()
    old_secret = app.settings["DJANGO_SECRET_KEY"]
    app.settings |= {"DJANGO_SECRET_KEY": old_secret[::-1] + "-rotated", "DJANGO_SECRET_KEY_FALLBACKS": old_secret}
    app.start()

    cache = redis.Redis.from_url(app.settings["REDIS_URL"])
    assert cache.exists(CACHED_DB_PREFIX + stolen_key)
    assert not victim.signed_in_with(stolen_key)
    # Signed with the old key, the other session carries on under a new key.
    assert keeper.visit_home()
    assert keeper.visit_home()
    assert tally.server_errors == 0
    report("revoked while redis frozen, then SECRET_KEY rotated", stale_copy=True, came_back=False)
