"""Open sign-up takes the same work for a taken address as for a new one (ASVS 5.0 6.3.8).

accounts/tests/test_enumeration.py checks that the answers read the same;
these check what they cost: the password hashed once on both paths, and the
mail of both paths sent only after the answer has gone out. The time itself
is measured side by side by benchmarks/signup.py, not asserted here.
"""

import pytest
from django.core import mail
from django.core.handlers.base import BaseHandler
from django.test import RequestFactory

from accounts.tests.hashing import COUNTING_HASHERS, CountingHasher

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase 42"


@pytest.fixture
def open_sign_up(settings):
    settings.SIGNUP = "open"
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    settings.ACCOUNT_LOGIN_METHODS = {"username", "email"}
    settings.ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]


def sign_up_data(email):
    return {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}


def sign_up(client, email, attempt=0):
    # A fresh address each time: allauth limits sign-ups per client address.
    ip = f"203.0.113.{attempt % 250 + 1}"
    return client.post("/accounts/signup/", sign_up_data(email), headers={"x-forwarded-for": ip}, REMOTE_ADDR=ip)


@pytest.mark.usefixtures("open_sign_up")
def test_a_taken_address_costs_the_same_password_hash_as_a_new_one(https_client, settings, user):
    settings.PASSWORD_HASHERS = COUNTING_HASHERS
    hashed = {}
    for kind, email in (("taken", user.email), ("new", "newcomer@example.com")):
        before = CountingHasher.hashed
        response = sign_up(https_client(), email)
        assert response.status_code == 302
        hashed[kind] = CountingHasher.hashed - before

    assert hashed == {"taken": 1, "new": 1}


@pytest.mark.usefixtures("open_sign_up")
@pytest.mark.parametrize("taken", [True, False], ids=["taken", "new"])
def test_sign_up_mail_leaves_only_after_the_answer(taken, user):
    # Driven through Django's handler, so that the answer exists before the
    # server closes it: the moment request_finished fires, as in production.
    email = user.email if taken else "newcomer@example.com"
    request = RequestFactory().post(
        "/accounts/signup/", sign_up_data(email), secure=True, headers={"x-forwarded-for": "203.0.113.9"}
    )
    request._dont_enforce_csrf_checks = True
    handler = BaseHandler()
    handler.load_middleware()

    response = handler.get_response(request)
    mail_with_the_answer = len(mail.outbox)
    response.close()

    assert response.status_code == 302
    assert mail_with_the_answer == 0
    assert [message.to for message in mail.outbox] == [[email]]
