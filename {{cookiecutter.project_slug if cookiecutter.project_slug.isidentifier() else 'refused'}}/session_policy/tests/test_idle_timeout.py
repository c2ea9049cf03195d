"""A session unused for longer than the idle limit is ended on the server."""

from datetime import timedelta

import pytest

from session_policy.tests.conftest import is_signed_in, session_key, stored

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def short_idle_limit(policy):
    policy(IDLE_TIMEOUT=timedelta(minutes=10), ABSOLUTE_TIMEOUT=timedelta(hours=8))


def test_an_idle_session_is_ended_and_its_key_is_dead(client, user, sign_in, clock, replay):
    sign_in(client, user)
    key = session_key(client)

    clock.advance(minutes=10)
    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "after a period of inactivity" in response.text
    assert not stored(key)
    assert not is_signed_in(replay(key))


def test_activity_within_the_limit_keeps_the_session(client, user, sign_in, clock):
    sign_in(client, user)

    for _ in range(4):
        clock.advance(minutes=9)
        assert is_signed_in(client.get("/"))


def test_a_replayed_stale_key_cannot_resurrect_the_session(client, user, sign_in, clock, replay):
    sign_in(client, user)
    key = session_key(client)

    clock.advance(minutes=11)
    # The thief tries first: the policy ends the session for the thief and the owner alike.
    assert not is_signed_in(replay(key))
    assert not is_signed_in(client.get("/"))
