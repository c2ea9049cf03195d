"""Users see their sessions and end the ones they do not trust; keys never show."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from session_policy.models import UserSession
from session_policy.tests.conftest import LAPTOP, PHONE, is_signed_in, session_key, stored

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_the_page_lists_every_session_without_revealing_keys(laptop, phone):
    response = laptop.get("/accounts/sessions/")

    assert response.status_code == 200
    assert 'Firefox on Linux <span class="current">This device</span>' in response.text
    assert "Safari on iOS" in response.text
    for client in (laptop, phone):
        assert session_key(client) not in response.text
    phone_session = UserSession.objects.get(session_key=session_key(phone))
    assert f'value="{phone_session.public_id}"' in response.text


def test_ending_another_session_kills_it_at_once(laptop, phone, replay):
    phone_key = session_key(phone)
    phone_session = UserSession.objects.get(session_key=phone_key)

    response = laptop.post("/accounts/sessions/revoke/", {"session": phone_session.public_id})

    assert response.status_code == 302
    assert not stored(phone_key)
    assert not is_signed_in(phone.get("/"))
    assert not is_signed_in(replay(phone_key))
    assert is_signed_in(laptop.get("/"))


def test_signing_out_everywhere_else_keeps_only_this_session(laptop, phone, https_client, user, sign_in):
    tablet = https_client()
    sign_in(tablet, user)

    laptop.post("/accounts/sessions/revoke-others/")

    assert not is_signed_in(phone.get("/"))
    assert not is_signed_in(tablet.get("/"))
    assert is_signed_in(laptop.get("/"))
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [session_key(laptop)]


def test_another_users_session_cannot_be_ended(laptop, django_user_model, password, https_client, sign_in):
    mallory = django_user_model.objects.create_user("mallory", "m@example.com", password)
    mallory_client = https_client()
    sign_in(mallory_client, mallory)
    alice_session = UserSession.objects.get(session_key=session_key(laptop))

    response = mallory_client.post("/accounts/sessions/revoke/", {"session": alice_session.public_id})

    assert response.status_code == 404
    assert is_signed_in(laptop.get("/"))


def test_the_current_session_is_ended_by_signing_out_not_revoked(laptop):
    current = UserSession.objects.get(session_key=session_key(laptop))

    laptop.post("/accounts/sessions/revoke/", {"session": current.public_id})

    assert is_signed_in(laptop.get("/"))


def test_revoking_needs_post_and_a_csrf_token(laptop, phone, https_client):
    phone_session = UserSession.objects.get(session_key=session_key(phone))
    forger = https_client(enforce_csrf_checks=True)
    forger.cookies = laptop.cookies

    assert laptop.get("/accounts/sessions/revoke/").status_code == 405
    assert forger.post("/accounts/sessions/revoke/", {"session": phone_session.public_id}).status_code == 403
    assert is_signed_in(phone.get("/"))


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/accounts/sessions/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("public_id", ["\x00", "a\x00" * 11, "x" * 5000, "' OR 1=1 --"], ids=repr)
def test_a_session_id_no_page_ever_showed_names_no_session(laptop, public_id):
    response = laptop.post("/accounts/sessions/revoke/", {"session": public_id})

    assert response.status_code == 404


def test_a_key_a_view_changes_itself_stays_in_the_index(https_client, django_user_model, password, sign_in):
    # Django's admin gives the administrator's own session a new key when it sets another user's password.
    admin = django_user_model.objects.create_superuser("root", "root@example.com", password)
    other = django_user_model.objects.create_user("bob", "bob@example.com", password)
    browser = https_client()
    sign_in(browser, admin)
    old_key = session_key(browser)

    response = browser.post(
        f"/admin/accounts/user/{other.pk}/password/",
        {"password1": "another new password 42", "password2": "another new password 42", "usable_password": "true"},
    )

    assert response.status_code == 302
    assert session_key(browser) != old_key
    assert list(UserSession.objects.filter(user=admin).values_list("session_key", flat=True)) == [session_key(browser)]


def test_each_end_button_names_its_session_and_the_zone_is_stated(laptop, phone, https_client, user, sign_in):
    sign_in(https_client(headers={"user-agent": LAPTOP}), user)  # the same browser on another computer

    page = laptop.get("/accounts/sessions/").text

    names = re.findall(r"<button[^>]*>(End session.*?)</button>", page)
    assert len(names) == len(set(names)) == 2, names
    assert f"Times are in the {settings.TIME_ZONE} time zone." in page


def test_sign_out_everywhere_else_shows_only_when_there_is_somewhere_else(https_client, user, sign_in):
    alone = https_client(headers={"user-agent": LAPTOP})
    sign_in(alone, user)
    assert "Sign out everywhere else" not in alone.get("/accounts/sessions/").text

    sign_in(https_client(headers={"user-agent": PHONE}), user)
    assert "Sign out everywhere else" in alone.get("/accounts/sessions/").text


def test_administrators_end_sessions_with_an_action_named_for_it(
    settings, https_client, laptop, phone, sign_in, password
):
    settings.SECOND_FACTOR = "optional"
    boss = https_client()
    sign_in(boss, User.objects.create_superuser("boss", "boss@example.com", password))
    changelist = reverse("admin:session_policy_usersession_changelist")
    page = boss.get(changelist).text
    assert "End selected sessions" in page
    assert "Delete selected" not in page
    phone_key = session_key(phone)

    response = boss.post(
        changelist,
        {"action": "end_sessions", "_selected_action": [UserSession.objects.get(session_key=phone_key).pk]},
    )

    assert response.status_code == 302
    assert not stored(phone_key)
    assert not is_signed_in(phone.get("/"))
    assert is_signed_in(laptop.get("/"))
