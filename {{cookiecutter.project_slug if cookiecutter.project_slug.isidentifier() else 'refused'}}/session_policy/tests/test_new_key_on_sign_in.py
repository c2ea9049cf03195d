"""Every authentication gives the session a new key and a new CSRF token."""

import pytest
from django.conf import settings

from session_policy.models import UserSession
from session_policy.tests.conftest import is_signed_in, session_key, stored

pytestmark = pytest.mark.django_db


def test_authenticating_again_as_the_same_user_rotates_the_key(client, user, password, sign_in, replay):
    # allauth keeps the key when the same user authenticates again, as
    # Django's login() does, so a stolen key would survive it.
    sign_in(client, user)
    old_key = session_key(client)
    old_csrf = client.cookies[settings.CSRF_COOKIE_NAME].value

    response = client.post("/accounts/reauthenticate/", {"password": password})

    assert response.status_code == 302
    assert session_key(client) != old_key
    assert client.cookies[settings.CSRF_COOKIE_NAME].value != old_csrf
    assert not stored(old_key)
    assert not is_signed_in(replay(old_key))
    assert is_signed_in(client.get("/"))
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [session_key(client)]


def test_signing_in_as_another_user_leaves_nothing_of_the_first(
    client, user, django_user_model, password, sign_in, replay
):
    other = django_user_model.objects.create_user("bob", "bob@example.com", password)
    sign_in(client, user)
    first_key = session_key(client)
    client.post("/accounts/logout/")

    sign_in(client, other)

    assert session_key(client) != first_key
    assert not is_signed_in(replay(first_key))
    assert "bob" in client.get("/").text


def test_no_sign_in_lands_on_another_users_session(client, user, django_user_model, password, sign_in):
    # The sign-in page and the admin's send a signed-in visitor on: signing in
    # as someone else takes signing out first, which ends the first session.
    other = django_user_model.objects.create_superuser("root", "root@example.com", password)
    sign_in(client, user)
    first_key = session_key(client)

    for page in ("/accounts/login/", "/admin/login/"):
        client.post(page, {"username": other.username, "password": password, "next": "/admin/"})

    assert session_key(client) == first_key
    assert "alice" in client.get("/").text
    assert list(UserSession.objects.values_list("user__username", flat=True)) == ["alice"]
