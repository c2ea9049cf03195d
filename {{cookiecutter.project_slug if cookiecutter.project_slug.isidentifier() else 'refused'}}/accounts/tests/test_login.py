"""Sign-in and sign-out resist fixation, replay, CSRF and open redirects."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.urls import reverse

pytestmark = pytest.mark.django_db

# Read before any test overrides them: the hashers production uses.
DEPLOYED_PASSWORD_HASHERS = list(settings.PASSWORD_HASHERS)


def session_key(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_sign_in_issues_a_new_session_key(client, user, password, https_client):
    # The attacker plants a session key in the victim's browser before sign-in.
    client.get(reverse("login"))
    session = client.session
    session["planted"] = True
    session.save()
    planted_key = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = planted_key

    client.post(reverse("login"), {"username": user.username, "password": password})

    assert session_key(client) != planted_key
    attacker = https_client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted_key
    assert attacker.get(reverse("home")).status_code == 302


def test_home_requires_sign_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_shows_who_is_signed_in_and_a_logout_button(client, user, sign_in):
    sign_in(client, user)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert user.username in response.text
    assert f'action="{reverse("logout")}"' in response.text


def test_logout_ends_the_session_on_the_server(client, user, password, https_client):
    client.post(reverse("login"), {"username": user.username, "password": password})
    stolen_key = session_key(client)

    client.post(reverse("logout"))

    replay = https_client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen_key
    response = replay.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logout_refuses_get(client, user, sign_in):
    sign_in(client, user)

    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("home")).status_code == 200


def test_login_without_csrf_token_is_refused(user, password, https_client):
    client = https_client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": user.username, "password": password})

    assert response.status_code == 403
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_logout_without_csrf_token_is_refused(user, https_client, sign_in):
    browser = https_client()
    sign_in(browser, user)
    client = https_client(enforce_csrf_checks=True)
    client.cookies = browser.cookies

    response = client.post(reverse("logout"))

    assert response.status_code == 403
    assert client.get(reverse("home")).status_code == 200


def test_login_with_csrf_token_succeeds(user, password, https_client):
    client = https_client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    response = client.post(
        reverse("login"),
        {"username": user.username, "password": password, "csrfmiddlewaretoken": token},
        headers={"referer": "https://testserver/accounts/login/"},
    )

    assert response.status_code == 302


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "https:///evil.example", "/\\evil.example", "http://testserver/"],
)
def test_next_cannot_leave_the_site(client, user, password, next_url):
    response = client.post(
        reverse("login") + "?next=" + next_url,
        {"username": user.username, "password": password, "next": next_url},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)


def test_next_within_the_site_is_followed(client, user, password):
    response = client.post(reverse("login"), {"username": user.username, "password": password, "next": "/admin/"})

    assert response["Location"] == "/admin/"


def test_wrong_password_is_refused_without_a_session(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_signed_in_visit_to_sign_in_pointing_back_at_itself_goes_home(client, user, sign_in):
    sign_in(client, user)

    response = client.get("/accounts/login/?next=/accounts/login/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_pbkdf2_hash_is_upgraded_to_argon2_at_sign_in(client, user, password, sign_in, settings):
    settings.PASSWORD_HASHERS = DEPLOYED_PASSWORD_HASHERS
    user.password = make_password(password, hasher="pbkdf2_sha256")
    user.save()

    sign_in(client, user)

    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert check_password(password, user.password)
