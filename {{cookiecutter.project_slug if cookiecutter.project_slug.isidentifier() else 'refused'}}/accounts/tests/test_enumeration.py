"""Sign-in and password reset reveal nothing about which accounts exist."""

import re

import pytest
from django.core import mail

from accounts.tests.hashing import COUNTING_HASHERS, CountingHasher

pytestmark = pytest.mark.django_db

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
CSP_NONCE = re.compile(r'nonce="[^"]+"')


WRONG_PASSWORD = "not the password"


def sign_in_failure(client, username, attempt, password=WRONG_PASSWORD):
    # A fresh address each time: these tests look at answers, not at the lockout.
    ip = f"198.51.100.{attempt % 250 + 1}"
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        headers={"x-forwarded-for": ip},
        REMOTE_ADDR=ip,
    )


def comparable_page(response):
    return CSP_NONCE.sub("", CSRF_FIELD.sub("", response.text.replace("nobody-here", "alice")))


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(client, user):
    unknown = sign_in_failure(client, "nobody-here", 0)
    wrong = sign_in_failure(client, user.username, 1)

    assert unknown.status_code == wrong.status_code == 200
    assert comparable_page(unknown) == comparable_page(wrong)


def test_the_right_password_of_an_inactive_account_gets_the_answer_of_a_wrong_one(client, user, password):
    user.is_active = False
    user.save()

    right = sign_in_failure(client, user.username, 2, password=password)
    wrong = sign_in_failure(client, user.username, 3)

    assert right.status_code == wrong.status_code == 200
    assert comparable_page(right) == comparable_page(wrong)
    assert "_auth_user_id" not in client.session


def test_an_unknown_user_costs_the_same_password_hash_as_a_wrong_password(client, settings, django_user_model):
    """Django hashes the password given for an unknown user too: the two answers take the same time.

    Counted rather than timed: without that hash, the unknown user's answer
    would come sooner by exactly the cost of one.
    """
    settings.PASSWORD_HASHERS = COUNTING_HASHERS
    user = django_user_model.objects.create_user("alice", "alice@example.com", "a password hashed for real")
    hashed = {}
    for attempt, (kind, username) in enumerate((("unknown", "nobody-here"), ("wrong", user.username))):
        before = CountingHasher.hashed
        assert sign_in_failure(client, username, attempt).status_code == 200
        hashed[kind] = CountingHasher.hashed - before

    assert hashed == {"unknown": 1, "wrong": 1}


def test_password_reset_says_the_same_whether_or_not_the_address_exists(client, user):
    known = client.post("/accounts/password/reset/", {"email": user.email}, follow=True)
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    assert comparable_page(known) == comparable_page(unknown)
    assert len(mail.outbox) == 1


@pytest.fixture
def open_sign_up(settings):
    settings.SIGNUP = "open"
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    settings.ACCOUNT_LOGIN_METHODS = {"username", "email"}
    settings.ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]


def sign_up(client, username, email):
    new_password = "a long and unusual passphrase 42"
    return client.post(
        "/accounts/signup/",
        {"username": username, "email": email, "password1": new_password, "password2": new_password},
        follow=True,
    )


@pytest.mark.usefixtures("open_sign_up")
def test_open_sign_up_says_the_same_for_a_taken_name_or_address_as_for_new_ones(https_client, user):
    taken = sign_up(https_client(), user.username, user.email)
    new = sign_up(https_client(), "newcomer", "newcomer@example.com")

    assert taken.status_code == new.status_code == 200
    assert taken.redirect_chain == new.redirect_chain
    assert comparable_page(taken).replace(user.email, "") == comparable_page(new).replace("newcomer@example.com", "")
    assert "already" not in taken.text
    # The address's owner hears of it, by mail, and only they.
    assert [message.to for message in mail.outbox] == [[user.email], ["newcomer@example.com"]]
