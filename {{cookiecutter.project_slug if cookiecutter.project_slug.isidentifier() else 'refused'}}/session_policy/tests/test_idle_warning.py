"""The idle-timeout warning knows the server's deadline, and staying signed in moves it."""

from datetime import timedelta

import pytest

from session_policy.models import UserSession
from session_policy.registry import session_store
from session_policy.tests.conftest import is_signed_in, session_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def thirty_minutes_idle(policy):
    policy(IDLE_TIMEOUT=timedelta(minutes=30), ABSOLUTE_TIMEOUT=timedelta(hours=12))


def test_signed_in_pages_carry_the_servers_seconds_left(client, user, sign_in, clock):
    sign_in(client, user)
    # Less than the activity window: this request does not restart the idle clock.
    clock.advance(seconds=50)

    response = client.get("/")

    assert 'data-seconds-left="1750"' in response.text
    assert 'src="/static/js/idle-warning.js"' in response.text


def test_pages_for_visitors_carry_no_warning(client):
    assert "idle-warning" not in client.get("/accounts/login/").text


def test_staying_signed_in_restarts_the_idle_clock(client, user, sign_in, clock):
    sign_in(client, user)
    clock.advance(minutes=29)

    response = client.post("/accounts/sessions/stay-signed-in/")

    assert response.json() == {"signed_in": True, "seconds_left": 1800}
    clock.advance(minutes=29)
    assert is_signed_in(client.get("/"))


def test_staying_signed_in_needs_a_csrf_token(https_client, user, sign_in):
    browser = https_client()
    sign_in(browser, user)
    forger = https_client(enforce_csrf_checks=True)
    forger.cookies = browser.cookies

    response = forger.post("/accounts/sessions/stay-signed-in/")

    assert response.status_code == 403
    assert "seconds_left" not in response.text


def test_staying_signed_in_cannot_revive_an_ended_session(client, user, sign_in, clock):
    sign_in(client, user)
    clock.advance(minutes=31)

    response = client.post("/accounts/sessions/stay-signed-in/")

    assert response.status_code == 401
    assert not is_signed_in(client.get("/"))


def test_staying_signed_in_writes_nothing_within_the_activity_window(client, user, sign_in, clock):
    sign_in(client, user)
    client.get("/")
    stored_before = session_store()(session_key(client)).load()
    index_before = UserSession.objects.get(user=user).last_activity

    for _ in range(5):
        clock.advance(seconds=5)
        assert client.post("/accounts/sessions/stay-signed-in/").json()["signed_in"]

    assert session_store()(session_key(client)).load() == stored_before
    assert UserSession.objects.get(user=user).last_activity == index_before
