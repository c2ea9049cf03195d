"""A session ends a fixed time after sign-in, however active it is."""

from datetime import timedelta

import pytest

from session_policy.tests.conftest import is_signed_in, session_key, stored

pytestmark = pytest.mark.django_db


def test_activity_never_extends_the_absolute_limit(client, user, sign_in, clock, policy):
    policy(IDLE_TIMEOUT=timedelta(minutes=10), ABSOLUTE_TIMEOUT=timedelta(hours=1))
    sign_in(client, user)

    elapsed = timedelta()
    while is_signed_in(client.get("/")):
        clock.advance(minutes=5)
        elapsed += timedelta(minutes=5)
        assert elapsed <= timedelta(hours=1), "the session outlived its absolute limit"

    assert elapsed == timedelta(hours=1)
    response = client.get("/accounts/login/")
    assert "reached its maximum length" in response.text


def test_every_key_the_session_had_is_dead_after_the_limit(client, user, sign_in, clock, policy, replay):
    policy(
        IDLE_TIMEOUT=timedelta(minutes=10),
        ABSOLUTE_TIMEOUT=timedelta(hours=1),
        ROTATION_INTERVAL=timedelta(minutes=15),
    )
    sign_in(client, user)
    keys = set()
    while is_signed_in(client.get("/")):
        keys.add(session_key(client))
        clock.advance(minutes=5)

    assert len(keys) > 2
    assert not any(stored(key) for key in keys)
    assert not any(is_signed_in(replay(key)) for key in keys)


def test_the_cookie_lasts_no_longer_than_the_absolute_limit(client, user, sign_in, settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = False

    response = sign_in(client, user)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE
    absolute_timeout = settings.SESSION_POLICY["ABSOLUTE_TIMEOUT"]
    assert timedelta(seconds=settings.SESSION_COOKIE_AGE) == absolute_timeout


def test_a_browser_session_cookie_has_no_expiry(client, user, sign_in, settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True

    response = sign_in(client, user)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
