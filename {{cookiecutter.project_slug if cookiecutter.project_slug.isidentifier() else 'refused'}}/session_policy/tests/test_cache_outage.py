"""A cache outage neither signs anyone out nor brings a revoked session back.

The outage is real: the cache is pointed at a port where nothing listens,
then back at the live cache, which still holds what it held before.
"""

import pytest
from django.core.cache import caches
from django.urls import reverse

from session_policy import conf, registry
from session_policy.backends.cached_db import SessionStore
from session_policy.models import UserSession
from session_policy.tests.conftest import is_signed_in, session_key
from session_policy.tests.test_second_factor import activate_totp, password_step, totp

pytestmark = pytest.mark.django_db

UNREACHABLE = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture
def cache_outage(settings):
    """Switch the cache off and on again; the live cache keeps its contents."""
    settings.SESSION_ENGINE = "session_policy.backends.cached_db"
    live = settings.CACHES

    class Outage:
        def start(self):
            settings.CACHES = UNREACHABLE

        def end(self):
            settings.CACHES = live

    return Outage()


def test_signed_in_users_keep_working_on_the_database_alone(client, https_client, user, sign_in, cache_outage):
    sign_in(client, user)

    cache_outage.start()

    assert is_signed_in(client.get("/"))
    newcomer = https_client()
    sign_in(newcomer, user)
    assert is_signed_in(newcomer.get("/"))


def test_a_revocation_made_during_the_outage_stays_revoked(client, user, sign_in, cache_outage, replay):
    sign_in(client, user)
    key = session_key(client)

    cache_outage.start()
    assert registry.revoke_all(user, reason="revoked_by_user") == 1
    cache_outage.end()

    # The cache came back with its copy of the session: the scenario is real.
    assert caches["default"].get(SessionStore.cache_key_prefix + key) is not None
    assert not is_signed_in(replay(key))
    assert not is_signed_in(client.get("/"))


def test_the_cache_engine_answers_an_outage_with_a_503_page(https_client, user, password, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.CACHES = UNREACHABLE
    client = https_client(raise_request_exception=False)

    response = client.post("/accounts/login/", {"username": user.username, "password": password})

    assert response.status_code == 503
    assert "Back in a moment" in response.text


def test_a_sign_out_during_the_outage_stays_signed_out(client, user, sign_in, cache_outage, replay):
    sign_in(client, user)
    key = session_key(client)

    cache_outage.start()
    client.post("/accounts/logout/")
    cache_outage.end()

    assert caches["default"].get(SessionStore.cache_key_prefix + key) is not None
    assert not is_signed_in(replay(key))


def test_a_rotation_during_the_outage_leaves_one_key(client, user, sign_in, cache_outage, replay, stay_active):
    sign_in(client, user)
    stay_active(client, conf.policy().rotation_interval)
    old_key = session_key(client)

    cache_outage.start()
    assert is_signed_in(client.get("/"))
    cache_outage.end()

    assert session_key(client) != old_key
    assert caches["default"].get(SessionStore.cache_key_prefix + old_key) is not None
    assert not is_signed_in(replay(old_key))
    assert is_signed_in(client.get("/"))


def test_a_revocation_during_the_outage_survives_a_secret_key_rotation(
    client, https_client, user, sign_in, cache_outage, replay, settings
):
    laptop = https_client()
    sign_in(client, user)
    sign_in(laptop, user)
    key = session_key(laptop)

    cache_outage.start()
    assert registry.revoke(UserSession.objects.filter(session_key=key), reason="revoked_by_user") == 1
    cache_outage.end()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-that-is-long-and-random-0123456789"

    assert caches["default"].get(SessionStore.cache_key_prefix + key) is not None
    assert not is_signed_in(replay(key))
    # The session that was not revoked carries on under its new key.
    assert is_signed_in(client.get("/"))


def test_a_second_factor_code_during_the_outage_gets_the_503_page(https_client, user, password, sign_in, cache_outage):
    # allauth marks each used code in the cache, and cannot check one it cannot mark.
    client = https_client(raise_request_exception=False)
    sign_in(client, user)
    secret = activate_totp(client)
    client.post(reverse("logout"))
    password_step(client, user, password)

    cache_outage.start()
    response = client.post(reverse("mfa_authenticate"), {"code": totp(secret)})

    assert response.status_code == 503
    cache_outage.end()
    assert not is_signed_in(client.get("/"))


def end_sessions(https_client, user, sign_in, count):
    """Sign the user in and out count times from fresh browsers: count more ends."""
    for _ in range(count):
        other = https_client()
        sign_in(other, user)
        other.post(reverse("logout"))


def test_a_sign_out_during_the_outage_stays_signed_out_however_many_sessions_end_next(
    client, https_client, user, sign_in, cache_outage, replay
):
    sign_in(client, user)
    key = session_key(client)
    cache_outage.start()
    client.post(reverse("logout"))
    cache_outage.end()

    end_sessions(https_client, user, sign_in, registry.MAX_MARKS + 1)

    assert caches["default"].get(SessionStore.cache_key_prefix + key) is not None
    assert not is_signed_in(replay(key))


def test_a_mark_is_dropped_only_once_the_copy_it_guards_is_refused_anyway(
    client, https_client, user, sign_in, cache_outage, replay, clock, django_user_model
):
    sign_in(client, user)
    key = session_key(client)
    cache_outage.start()
    client.post(reverse("logout"))
    cache_outage.end()
    mark = registry.end_mark(key)

    clock.advance(seconds=registry.mark_lifetime() - 1)
    end_sessions(https_client, user, sign_in, 1)
    assert mark in django_user_model.objects.get(pk=user.pk).ended_sessions

    clock.advance(seconds=2)
    end_sessions(https_client, user, sign_in, 1)
    assert mark not in django_user_model.objects.get(pk=user.pk).ended_sessions
    # The copy is still in the cache, and its own timeouts refuse it.
    assert caches["default"].get(SessionStore.cache_key_prefix + key) is not None
    assert not is_signed_in(replay(key))


def test_more_ends_than_the_user_row_holds_end_every_session_of_the_user(
    client, https_client, user, sign_in, cache_outage, django_user_model
):
    sign_in(client, user)
    end_sessions(https_client, user, sign_in, registry.MAX_MARKS)
    assert is_signed_in(client.get("/"))

    end_sessions(https_client, user, sign_in, 1)

    assert len(django_user_model.objects.get(pk=user.pk).ended_sessions) <= registry.MAX_MARKS
    assert not is_signed_in(client.get("/"))
    assert not UserSession.objects.filter(user=user).exists()
    newcomer = https_client()
    sign_in(newcomer, user)
    assert is_signed_in(newcomer.get("/"))
