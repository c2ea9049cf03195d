"""A new password, a reset, deactivation or deletion ends the user's other sessions at once."""

import re

import pytest
from django.core import mail

from session_policy.models import UserSession
from session_policy.tests.conftest import is_signed_in, past_the_reauthentication_window, session_key, stored

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a brand new passphrase 42"


@pytest.fixture
def laptop(https_client, user, sign_in):
    client = https_client()
    sign_in(client, user)
    return client


@pytest.fixture
def thief(https_client, user, sign_in):
    client = https_client()
    sign_in(client, user)
    return client


def test_changing_the_password_ends_other_sessions_and_renews_this_one(laptop, thief, password, replay):
    laptop_key, thief_key = session_key(laptop), session_key(thief)

    response = laptop.post(
        "/accounts/password/change/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    # Ended in the store itself, not only refused on the thief's next request.
    assert not stored(thief_key)
    assert not stored(laptop_key)
    assert session_key(laptop) != laptop_key
    assert is_signed_in(laptop.get("/"))
    assert not is_signed_in(replay(thief_key))
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [session_key(laptop)]


def test_changing_the_password_needs_a_recent_password_entry(laptop, password, stay_active):
    stay_active(laptop, past_the_reauthentication_window())

    response = laptop.get("/accounts/password/change/")

    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_resetting_the_password_ends_every_session(laptop, thief, user, https_client):
    keys = [session_key(laptop), session_key(thief)]
    stranger = https_client()
    stranger.post("/accounts/password/reset/", {"email": user.email})
    link = re.search(r"https://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = stranger.get(link, follow=True)

    stranger.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert not any(stored(key) for key in keys)
    assert not is_signed_in(laptop.get("/"))
    assert not UserSession.objects.exists()


def test_deactivating_the_user_ends_every_session(laptop, thief, user):
    keys = [session_key(laptop), session_key(thief)]

    user.is_active = False
    user.save()

    assert not any(stored(key) for key in keys)


def test_deleting_the_user_ends_every_session(laptop, thief, user):
    keys = [session_key(laptop), session_key(thief)]

    user.delete()

    assert not any(stored(key) for key in keys)


def test_an_administrator_can_end_every_session_of_chosen_users(
    laptop, user, django_user_model, https_client, settings
):
    settings.SECOND_FACTOR = "optional"  # test_second_factor.py signs administrators in with one
    django_user_model.objects.create_superuser("root", "root@example.com", "root password 123")
    admin_client = https_client()
    admin_client.post("/accounts/login/", {"username": "root", "password": "root password 123", "next": "/admin/"})
    key = session_key(laptop)

    admin_client.post("/admin/accounts/user/", {"action": "end_all_sessions", "_selected_action": [user.pk]})

    assert not stored(key)
    assert is_signed_in(admin_client.get("/"))


def test_a_password_set_outside_any_session_signs_everyone_out_cleanly(laptop, thief, user, clock):
    # As an administrator or a script would: no request, no session of the user's.
    user.set_password(NEW_PASSWORD)
    user.save()
    clock.advance(minutes=2)  # activity is due to be recorded: nothing may touch the ended session

    for client in (laptop, thief):
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
