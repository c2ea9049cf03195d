"""The session key changes every rotation interval in force; the old key dies at once."""

import pytest
from django.conf import settings

from session_policy import conf
from session_policy.models import UserSession
from session_policy.tests.conftest import is_signed_in, session_key, stored

pytestmark = pytest.mark.django_db


def test_the_key_is_rotated_after_the_interval_and_the_old_one_is_dead(client, user, sign_in, stay_active, replay):
    sign_in(client, user)
    old_key = session_key(client)

    stay_active(client, conf.policy().rotation_interval)
    assert is_signed_in(client.get("/"))
    new_key = session_key(client)

    assert new_key != old_key
    assert not stored(old_key)
    assert not is_signed_in(replay(old_key))
    assert is_signed_in(client.get("/"))


def test_the_key_is_kept_before_the_interval(client, user, sign_in, stay_active):
    sign_in(client, user)
    key = session_key(client)

    stay_active(client, conf.policy().rotation_interval - 1)
    client.get("/")

    assert session_key(client) == key


def test_the_session_index_follows_the_new_key(client, user, sign_in, stay_active):
    sign_in(client, user)

    stay_active(client, conf.policy().rotation_interval + 1)
    client.get("/")

    assert list(UserSession.objects.values_list("session_key", flat=True)) == [session_key(client)]


def test_rotating_the_secret_key_keeps_sessions_and_their_index(client, user, sign_in, settings, replay):
    # Django accepts a session signed with a fallback key and gives it a new key.
    sign_in(client, user)
    old_key = session_key(client)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-secret-key-long-and-random-enough-to-pass-0123456789"

    assert is_signed_in(client.get("/"))

    assert session_key(client) != old_key
    assert not is_signed_in(replay(old_key))
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [session_key(client)]


def test_a_request_that_loses_the_race_for_its_key_asks_to_be_repeated(client, user, sign_in, stay_active, replay):
    # What a racing request in another worker leaves: the index already moved on.
    # The template's gunicorn tests race real workers.
    sign_in(client, user)
    stay_active(client, conf.policy().rotation_interval)
    old_key = session_key(client)
    UserSession.objects.filter(session_key=old_key).update(session_key="w" * 32)

    response = client.get("/?page=2")

    assert response.status_code == 307
    assert response["Location"] == "/?page=2"
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert UserSession.objects.filter(session_key="w" * 32).exists()
    assert not is_signed_in(replay(old_key))


def test_a_dead_key_leaves_the_browsers_cookie_alone(https_client):
    browser = https_client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = "d" * 32

    response = browser.get("/")

    assert response.status_code == 302
    assert settings.SESSION_COOKIE_NAME not in response.cookies
