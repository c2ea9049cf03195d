"""Sign-in attacked the way an attacker would: many spellings, many addresses, parallel requests, real workers.

A baked project runs in gunicorn with four workers on a real PostgreSQL, with
Redis (cached_db, the default) and without any (the db engine, whose cache is
then the database). Each test sends what an attacker would send, raw, with
the client address in X-Forwarded-For as the trusted proxy writes it, and
counts what the server let through. Limits are read from the running
project's settings, never copied here.

The figures are printed (pytest -s shows them).
"""

import contextlib

import pytest

from tests.support.services import PostgresServer, RedisServer
from tests.support.stack import GunicornInstance, create_database, redis_database
from tests.support.totp import fresh_totp, totp
from tests.support.visitors import CSRF_FIELD, PASSWORD, Tally, Visitor, all_at_once, create_visitors

WORKERS = 4
# Requests in flight at once: more than the workers, so they queue and race.
PARALLEL = 8
# A parallel request may pass the lock's check while another worker is still
# counting a failure: at most one per other worker.
SLACK = WORKERS - 1
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
LOCKED = "Too many failed attempts"
READ_SETTINGS = """
from django.conf import settings
from accounts.password_reset import PER_CLIENT
print(settings.AXES_FAILURE_LIMIT, settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT, PER_CLIENT[0])
"""
ADD_TOTP = """
import os
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
TOTP.activate(get_user_model().objects.get(username=os.environ["TOTP_USER"]), os.environ["TOTP_SECRET"])
"""
SET_EMAIL = """
from django.contrib.auth import get_user_model
get_user_model().objects.filter(username="visitor0040").update(email="visitor40@example.com")
"""


@pytest.fixture(scope="module")
def servers():
    with PostgresServer() as postgres, RedisServer() as redis_server:
        yield postgres, redis_server


@pytest.fixture(scope="module")
def deployment(bake_project, project_python, servers):
    """Start (once per engine) gunicorn with four workers; the db engine gets no Redis at all."""
    postgres, redis_server = servers
    running = {}
    with contextlib.ExitStack() as stack:

        def start(engine):
            if engine not in running:
                project = bake_project(session_engine=engine)
                app = GunicornInstance(
                    project,
                    project_python,
                    database_url=create_database(postgres, f"signin_{engine}"),
                    redis_url="" if engine == "db" else redis_database(redis_server, 7),
                    workers=WORKERS,
                )
                app.manage("collectstatic", "--noinput", "-v", "0")
                app.manage("migrate", "--noinput", "-v", "0")
                create_visitors(app, 50)
                app.manage("shell", "-c", SET_EMAIL)
                stack.enter_context(app)
                failure_limit, account_limit, reset_limit = map(
                    int, app.manage("shell", "-c", READ_SETTINGS).stdout.split()[-3:]
                )
                app.limits = {"network": failure_limit, "account": account_limit, "reset": reset_limit}
                running[engine] = app
            return running[engine]

        yield start


class Client(Visitor):
    """A visitor whose address and login the test chooses, and who keeps every answer."""

    def __init__(self, app, tally, *, login, address):
        super().__init__(0, [app], tally)
        self.login = login
        self.address = address

    def form_token(self, page):
        status, _, html = self.request("GET", page)
        token = CSRF_FIELD.search(html)
        assert status == 200, f"GET {page}: {status}"
        assert token, f"GET {page}: no form"
        return token.group(1)

    def post(self, path, token, **fields):
        status, headers, page = self.request("POST", path, {"csrfmiddlewaretoken": token, **fields})
        self.tally.count(status)
        return status, headers, page

    def try_password(self, password):
        """Sign in with this password; return (status, Location, page)."""
        status, headers, page = self.post(
            "/accounts/login/", self.form_token("/accounts/login/"), username=self.login, password=password
        )
        return status, headers.get("Location"), page

    def fork(self, address):
        twin = Client(next(self.instances), self.tally, login=self.login, address=address)
        twin.cookies = dict(self.cookies)
        return twin


def report(title, **figures):
    print(f"\n[sign-in] {title}: " + "; ".join(f"{name.replace('_', ' ')} {value}" for name, value in figures.items()))


def fullwidth(text):
    return "".join(chr(ord(character) + 0xFEE0) if "!" <= character <= "~" else character for character in text)


def test_every_spelling_of_one_account_meets_one_lockout(deployment):
    app, tally = deployment("cached_db"), Tally()
    victim = "visitor0040"
    spellings = [
        victim,
        victim.upper(),
        victim.capitalize(),
        "vIsItOr0040",
        "VISITOR0040",
        f" {victim} ",
        f"{victim}\u00a0",
        fullwidth(victim),
        fullwidth(victim.upper()),
        "visitor40@example.com",
    ]
    guesses = [Client(app, tally, login=spellings[n % len(spellings)], address="198.51.100.40") for n in range(40)]

    answers = all_at_once([lambda guess=guess: guess.try_password("wrong password") for guess in guesses], PARALLEL)
    checked = sum(status == 200 for status, _, _ in answers)
    right = Client(app, tally, login="Visitor0040", address="198.51.100.40").try_password(PASSWORD)

    report("spellings", guesses=len(guesses), spellings=len(spellings), checked=checked, right_password=right[0])
    assert tally.server_errors == 0, tally.summary()
    assert checked <= app.limits["network"] + SLACK
    assert right[0] == 429


def test_addresses_of_one_ipv6_64_share_one_lockout_and_no_more(deployment):
    app, tally = deployment("cached_db"), Tally()
    guesses = [Client(app, tally, login="visitor0041", address=f"2001:db8:41:1::{n % 8 + 1:x}") for n in range(40)]

    answers = all_at_once([lambda guess=guess: guess.try_password("wrong password") for guess in guesses], PARALLEL)
    checked = sum(status == 200 for status, _, _ in answers)
    same_64 = Client(app, tally, login="visitor0041", address="2001:db8:41:1:ffff::99").try_password(PASSWORD)
    other_64 = Client(app, tally, login="visitor0041", address="2001:db8:41:2::1").try_password(PASSWORD)

    report("one /64", guesses=len(guesses), addresses=8, checked=checked, same_64=same_64[0], other_64=other_64[0])
    assert tally.server_errors == 0, tally.summary()
    assert checked <= app.limits["network"] + SLACK
    assert same_64[0] == 429
    # The network's lock is not the account's: its owner elsewhere still signs in.
    assert other_64[:2] == (302, "/")


@pytest.mark.parametrize("engine", ["cached_db", "db"])
def test_second_factor_codes_from_address_after_address_meet_the_account_limit(deployment, engine):
    app, tally = deployment(engine), Tally()
    victim = "visitor0042"
    app.manage("shell", "-c", ADD_TOTP, environment={"TOTP_USER": victim, "TOTP_SECRET": SECRET})
    thief = Client(app, tally, login=victim, address="198.51.100.42")
    status, location, _ = thief.try_password(PASSWORD)
    assert (status, location) == (302, "/accounts/2fa/authenticate/")
    token = thief.form_token("/accounts/2fa/authenticate/")
    wrong = f"{(int(totp(SECRET)) + 500_000) % 1_000_000:06d}"
    guesses = [thief.fork(f"203.0.{n % 12}.42") for n in range(60)]

    answers = all_at_once(
        [lambda guess=guess: guess.post("/accounts/2fa/authenticate/", token, code=wrong) for guess in guesses],
        PARALLEL,
    )
    checked = sum(LOCKED not in page and status != 429 for status, _, page in answers)
    right = fresh_totp(SECRET)
    status, headers, page = thief.fork("192.0.2.42").post("/accounts/2fa/authenticate/", token, code=right)

    report(
        f"codes from 12 addresses, {engine}",
        codes=len(guesses),
        checked=checked,
        right_code=(status, headers.get("Location")),
    )
    assert tally.server_errors == 0, tally.summary()
    assert checked <= app.limits["account"] + SLACK
    assert not (status == 302 and headers.get("Location") == "/")


@pytest.mark.parametrize("engine", ["cached_db", "db"])
def test_one_code_signs_in_one_of_many_parallel_pending_sign_ins(deployment, engine):
    app, tally = deployment(engine), Tally()
    victim = "visitor0043"
    app.manage("shell", "-c", ADD_TOTP, environment={"TOTP_USER": victim, "TOTP_SECRET": SECRET})
    pending = []
    for number in range(9):
        client = Client(app, tally, login=victim, address=f"198.51.100.{43 + number}")
        assert client.try_password(PASSWORD)[:2] == (302, "/accounts/2fa/authenticate/")
        pending.append((client, client.form_token("/accounts/2fa/authenticate/")))
    code = fresh_totp(SECRET)

    answers = all_at_once(
        [lambda c=client, t=form: c.post("/accounts/2fa/authenticate/", t, code=code) for client, form in pending],
        PARALLEL,
    )
    signed_in = sum(status == 302 and headers.get("Location") == "/" for status, headers, _ in answers)

    report(f"one code, 9 pending sign-ins, {engine}", signed_in=signed_in, requests=tally.summary())
    assert tally.server_errors == 0, tally.summary()
    assert signed_in == 1


@pytest.mark.parametrize("engine", ["cached_db", "db"])
def test_the_reset_limit_holds_across_workers(deployment, engine):
    app, tally = deployment(engine), Tally()
    client = Client(app, tally, login="", address="198.51.100.200")
    token = client.form_token("/accounts/password/reset/")
    requests = [client.fork("198.51.100.200") for _ in range(30)]

    answers = all_at_once(
        [
            lambda c=c, n=n: c.post("/accounts/password/reset/", token, email=f"nobody{n}@example.com")
            for n, c in enumerate(requests)
        ],
        PARALLEL,
    )
    passed = sum(status != 429 for status, _, _ in answers)

    report(f"reset requests, {engine}", requests=len(requests), passed=passed, limit=app.limits["reset"])
    assert tally.server_errors == 0, tally.summary()
    assert passed == app.limits["reset"]


ZONED = "fe80::1ff:fe23:4567:890a%enx00e04c1234ab"


@pytest.mark.parametrize(
    "address", [ZONED, ZONED + "x" * 300, "::ffff:198.51.100.77", "1.2.3.4.5", "2001:db8::1, 10.0.0.1"]
)
def test_odd_forwarded_addresses_sign_in_and_fail_cleanly(deployment, address):
    app, tally = deployment("cached_db"), Tally()
    wrong = Client(app, tally, login="visitor0044", address=address).try_password("wrong password")
    right = Client(app, tally, login="visitor0044", address=address).try_password(PASSWORD)

    report(f"forwarded {address[:40]!r}", wrong=wrong[0], right=right[:2])
    assert tally.server_errors == 0, tally.summary()
    assert wrong[0] == 200
    assert right[:2] == (302, "/")


def test_the_database_engine_runs_without_redis(deployment):
    """No REDIS_URL: the cache is the database's, created by migrate, and the deploy check accepts it."""
    app = deployment("db")
    result = app.manage("check", "--deploy", "--fail-level", "ERROR", check=False)
    backend = app.manage(
        "shell", "-c", "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    )

    assert result.returncode == 0, result.stderr
    assert app.settings["REDIS_URL"] == ""
    assert backend.stdout.split()[-1] == "django.core.cache.backends.db.DatabaseCache"
