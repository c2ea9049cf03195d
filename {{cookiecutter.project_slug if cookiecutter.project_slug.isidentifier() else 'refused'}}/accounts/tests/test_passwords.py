"""Passwords (ASVS 5.0 6.2): long, uncommon, any characters, at least 64 allowed, compared exactly as typed."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from session_policy.tests.conftest import is_signed_in

pytestmark = pytest.mark.django_db

# 80 characters, spaces and letters from several scripts, no digit, no capital.
LONG_UNICODE = "ein sehr langes passwort mit ümlauten und ελληνικά και ещё кириллица, und leer  "


@pytest.fixture
def deployed_hashing(settings):
    """The deployed hashers: what truncates or folds case is the hasher, so test the real one."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.mark.usefixtures("deployed_hashing")
def test_a_long_password_of_any_characters_signs_in_only_exactly_as_typed(client, django_user_model):
    user = django_user_model.objects.create_user("long", "long@example.com", LONG_UNICODE)
    validate_password(LONG_UNICODE, user)  # no composition rule refuses it

    for near_miss in (LONG_UNICODE[:72], LONG_UNICODE[:-1], LONG_UNICODE.upper(), LONG_UNICODE.strip()):
        client.post(reverse("login"), {"username": "long", "password": near_miss})
        assert not is_signed_in(client.get("/")), near_miss

    client.post(reverse("login"), {"username": "long", "password": LONG_UNICODE})
    assert is_signed_in(client.get("/"))


@pytest.mark.parametrize("password", ["short pass", "password1234", "1qaz2wsx3edc"])
def test_short_or_common_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_password_change_needs_the_current_one(client, user, sign_in, password):
    sign_in(client, user)
    new_password = "a brand new and long passphrase 9"

    response = client.post(
        reverse("password_change"),
        {"old_password": "not the current one", "new_password1": new_password, "new_password2": new_password},
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(password)
