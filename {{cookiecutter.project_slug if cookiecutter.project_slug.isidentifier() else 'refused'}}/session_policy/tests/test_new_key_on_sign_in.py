"""Every authentication gives the session a new key and a new CSRF token."""

import pytest
from django.conf import settings

from session_policy.models import UserSession
from session_policy.tests.conftest import is_signed_in, session_key, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(user):
    user.is_staff = True
    user.save()
    return user


def test_signing_in_again_as_the_same_user_rotates_the_key(client, staff, password, sign_in, replay):
    # Django's login() keeps the key when the same user signs in again; the
    # admin sign-in form accepts that, so a stolen key would survive it.
    sign_in(client, staff)
    old_key = session_key(client)
    old_csrf = client.cookies[settings.CSRF_COOKIE_NAME].value

    response = client.post("/admin/login/", {"username": staff.username, "password": password, "next": "/admin/"})

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


def test_signing_in_over_another_users_session_replaces_it(client, user, django_user_model, password, sign_in, replay):
    # login() flushes the first user's session and leaves no key at all.
    other = django_user_model.objects.create_superuser("root", "root@example.com", password)
    sign_in(client, user)
    first_key = session_key(client)

    response = client.post("/admin/login/", {"username": other.username, "password": password, "next": "/admin/"})

    assert response.status_code == 302
    assert session_key(client) != first_key
    assert not is_signed_in(replay(first_key))
    assert list(UserSession.objects.values_list("user__username", flat=True)) == ["root"]
