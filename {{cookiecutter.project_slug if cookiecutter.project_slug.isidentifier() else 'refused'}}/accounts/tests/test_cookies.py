"""Session and CSRF cookies carry every protection the settings promise."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def expected_prefix():
    """__Host- for host-only cookies, __Secure- for cookies shared with subdomains."""
    return "__Secure-" if settings.SESSION_COOKIE_DOMAIN else "__Host-"


def sign_in(client, user, password):
    return client.post(reverse("login"), {"username": user.username, "password": password})


def test_session_cookie_is_secure_httponly_samesite_and_host_only(client, user, password):
    response = sign_in(client, user, password)

    cookie = response.cookies[expected_prefix() + "sessionid"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == settings.SESSION_COOKIE_SAMESITE
    assert cookie["samesite"] in ("Lax", "Strict")
    assert cookie["path"] == "/"
    assert cookie["domain"] == (settings.SESSION_COOKIE_DOMAIN or "")


def test_csrf_cookie_is_secure_httponly_and_host_only(client):
    response = client.get(reverse("login"))

    cookie = response.cookies["__Host-csrftoken"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == settings.CSRF_COOKIE_SAMESITE
    assert cookie["domain"] == ""


def test_plain_http_is_redirected_to_https():
    response = Client().get(reverse("login"))

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_https_responses_carry_hsts_for_a_year_with_subdomains(client):
    response = client.get(reverse("login"))

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
