"""A session ended from elsewhere says why on the browser's next page, once; nothing else reads the note."""

import pytest
from django.core.cache import cache

from session_policy import farewell
from session_policy.models import UserSession
from session_policy.tests.conftest import session_key

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a new and long passphrase"


def messages_on(client, path="/"):
    return client.get(path, follow=True).text


def test_a_session_ended_from_another_device_says_so_once(laptop, phone):
    phone_session = UserSession.objects.get(session_key=session_key(phone))
    laptop.post("/accounts/sessions/revoke/", {"session": phone_session.public_id})

    assert "ended from another device" in messages_on(phone)
    assert "ended from another device" not in messages_on(phone)


def test_a_password_change_says_why_on_the_other_devices(laptop, phone, password):
    laptop.post(
        "/accounts/password/change/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert "password of your account was changed" in messages_on(phone)


def test_the_note_names_no_session_key_and_a_made_up_key_finds_none(laptop, phone, replay):
    key = session_key(phone)
    laptop.post("/accounts/sessions/revoke-others/")

    assert farewell.note_key(key) != farewell.PREFIX + key
    assert key not in farewell.note_key(key)
    assert cache.get(farewell.note_key(key)) == "revoked"
    assert "Please sign in again" not in replay("x" * 32, follow=True).text
