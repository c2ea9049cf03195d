"""Fixtures for attacking the session policy."""

import math
import time
from datetime import timedelta

import pytest
from django.conf import settings

from session_policy import conf
from session_policy.registry import session_store

# Two devices of one user, told apart by their browsers.
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile Safari/604.1"


class Clock:
    """A clock the test moves by hand, so timeouts need no sleeping."""

    def __init__(self):
        self.now = time.time()

    def advance(self, **delta):
        self.now += timedelta(**delta).total_seconds()


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("session_policy.clock.now", lambda: clock.now)
    return clock


@pytest.fixture
def stay_active(clock):
    """Move the clock on by some seconds while a client keeps its session alive.

    The tests take their times from the policy in force, whatever the answers
    were: one jump past a limit longer than the idle timeout (the
    re-authentication window, a rotation, a bound cookie's age) would end the
    session first. This walks in steps short of the idle timeout, with a request
    to the home page between steps, as a user who keeps working does; the last
    step is a bare jump, so the caller's next request is the one that crosses.
    """

    def walk(client, seconds):
        # An activity window short of the idle timeout: a request that came sooner
        # than a window after the last recorded one records nothing, so the idle clock
        # may run from up to a window before it.
        limits = conf.policy()
        step = limits.idle_timeout - limits.activity_granularity
        steps = max(1, math.ceil(seconds / step))
        # The odd remainder first: the last request comes a whole step before
        # the end, clear of any limit the caller's own request is to cross.
        clock.advance(seconds=seconds - (steps - 1) * step)
        for _ in range(steps - 1):
            assert is_signed_in(client.get("/")), "the session ended while the user kept working"
            clock.advance(seconds=step)

    return walk


def past_the_reauthentication_window():
    """Seconds after which a sign-in or re-authentication no longer counts as recent."""
    return conf.policy().reauthentication_timeout + 1


@pytest.fixture
def shared_cache(settings):
    """Put the cache on Redis, as production does, for the system checks; they never connect to it."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://redis:6379"}
    }


@pytest.fixture
def policy(settings):
    """Change entries of SESSION_POLICY for one test: policy(IDLE_TIMEOUT=timedelta(minutes=5))."""

    def change(**values):
        settings.SESSION_POLICY = {**settings.SESSION_POLICY, **values}

    return change


@pytest.fixture
def replay(https_client):
    """Send a request carrying a session key from a fresh client, as a thief would."""

    def send(session_key, path="/", **extra):
        thief = https_client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = session_key
        return thief.get(path, **extra)

    return send


def session_key(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def is_signed_in(response):
    """Whether a response to the home page shows a signed-in user."""
    return response.status_code == 200


def stored(session_key):
    """Whether the session store still holds this key."""
    return session_store()().exists(session_key)


@pytest.fixture
def laptop(https_client, user, sign_in):
    client = https_client(headers={"user-agent": LAPTOP})
    sign_in(client, user)
    return client


@pytest.fixture
def phone(https_client, user, sign_in):
    client = https_client(headers={"user-agent": PHONE})
    sign_in(client, user)
    return client
