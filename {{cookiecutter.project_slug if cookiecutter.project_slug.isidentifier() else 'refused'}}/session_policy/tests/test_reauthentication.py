"""Sensitive pages need the password again once the re-authentication window has passed."""

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from session_policy.reauthentication import sensitive
from session_policy.tests.conftest import is_signed_in, past_the_reauthentication_window, session_key, stored

pytestmark = pytest.mark.django_db


def test_a_fresh_sign_in_opens_sensitive_pages(client, user, sign_in):
    sign_in(client, user)

    assert client.get("/accounts/sessions/").status_code == 200


def test_sensitive_pages_ask_for_the_password_again_later(client, user, sign_in, stay_active):
    sign_in(client, user)
    stay_active(client, past_the_reauthentication_window())

    response = client.get("/accounts/sessions/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/reauthenticate/?next=/accounts/sessions/"


def test_a_wrong_password_opens_nothing(client, user, sign_in, stay_active):
    sign_in(client, user)
    stay_active(client, past_the_reauthentication_window())

    response = client.post("/accounts/reauthenticate/?next=/accounts/sessions/", {"password": "wrong"})

    assert response.status_code == 200
    assert client.get("/accounts/sessions/").status_code == 302


def test_reauthenticating_rotates_the_key_and_opens_the_page(client, user, sign_in, stay_active, password, replay):
    sign_in(client, user)
    stay_active(client, past_the_reauthentication_window())
    old_key = session_key(client)

    response = client.post("/accounts/reauthenticate/", {"password": password, "next": "/accounts/sessions/"})

    assert response["Location"] == "/accounts/sessions/"
    assert session_key(client) != old_key
    assert not stored(old_key)
    assert not is_signed_in(replay(old_key))
    assert client.get("/accounts/sessions/").status_code == 200


def test_reauthentication_never_redirects_off_site(client, user, sign_in, stay_active, password):
    sign_in(client, user)
    stay_active(client, past_the_reauthentication_window())

    response = client.post("/accounts/reauthenticate/", {"password": password, "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_the_decorator_guards_any_view(user, clock):
    @sensitive
    def transfer_money(request):
        return HttpResponse("done")

    request = RequestFactory().get("/transfer/")
    request.user = user
    request.session = {}

    response = transfer_money(request)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_reauthenticating_rotates_the_csrf_token_too(client, user, sign_in, stay_active, password):
    sign_in(client, user)
    stay_active(client, past_the_reauthentication_window())
    token_before = client.cookies[settings.CSRF_COOKIE_NAME].value

    client.post("/accounts/reauthenticate/", {"password": password, "next": "/accounts/sessions/"})

    assert client.cookies[settings.CSRF_COOKIE_NAME].value != token_before
