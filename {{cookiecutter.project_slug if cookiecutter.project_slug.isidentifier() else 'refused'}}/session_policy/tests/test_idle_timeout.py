"""A session unused for longer than the idle limit in force is ended on the server."""

import pytest

from session_policy import conf
from session_policy.tests.conftest import is_signed_in, session_key, stored

pytestmark = pytest.mark.django_db


def test_an_idle_session_is_ended_and_its_key_is_dead(client, user, sign_in, clock, replay):
    sign_in(client, user)
    key = session_key(client)

    clock.advance(seconds=conf.policy().idle_timeout)
    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "after a period of inactivity" in response.text
    assert not stored(key)
    assert not is_signed_in(replay(key))


def test_activity_within_the_limit_keeps_the_session(client, user, sign_in, clock):
    limits = conf.policy()
    sign_in(client, user)

    # Four pauses just short of the limit, or as many as the absolute timeout leaves room for.
    pause = limits.idle_timeout - 1
    for _ in range(min(4, int(limits.absolute_timeout // pause) - 1) or 1):
        clock.advance(seconds=pause)
        assert is_signed_in(client.get("/"))


def test_a_replayed_stale_key_cannot_resurrect_the_session(client, user, sign_in, clock, replay):
    sign_in(client, user)
    key = session_key(client)

    clock.advance(seconds=conf.policy().idle_timeout + 1)
    # The thief tries first: the policy ends the session for the thief and the owner alike.
    assert not is_signed_in(replay(key))
    assert not is_signed_in(client.get("/"))
