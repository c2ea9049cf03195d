"""Password reset requests: mail after the answer, limits per client network and per address."""

import pytest
from django.core import mail
from django.core.signals import request_finished
from django.test import RequestFactory

from accounts.password_reset import PER_ADDRESS, PER_CLIENT, PasswordResetView

pytestmark = pytest.mark.django_db


def request_reset(client, email, address="198.51.100.7"):
    return client.post("/accounts/password/reset/", {"email": email}, HTTP_X_FORWARDED_FOR=address)


def test_the_mail_leaves_only_once_the_answer_is_complete(user):
    request = RequestFactory().post("/accounts/password/reset/", {"email": user.email}, secure=True)
    request._dont_enforce_csrf_checks = True

    response = PasswordResetView.as_view()(request)

    assert response.status_code == 302
    assert mail.outbox == []
    request_finished.send(sender=None)  # what the server's close() of the response sends
    assert [message.to for message in mail.outbox] == [[user.email]]


def test_an_address_gets_no_more_mail_past_its_limit_and_the_answer_does_not_change(client, user):
    allowed, _ = PER_ADDRESS
    answers = [request_reset(client, user.email, address=f"198.51.100.{n}") for n in range(allowed + 2)]

    assert {(answer.status_code, answer["Location"]) for answer in answers} == {
        (302, "/accounts/password/reset/done/")
    }
    assert len(mail.outbox) == allowed


@pytest.mark.parametrize("addresses", [["198.51.100.7"], [f"2001:db8:1:2::{n:x}" for n in range(1, 40)]])
def test_a_client_network_past_its_limit_is_told_to_wait(client, user, addresses):
    allowed, _ = PER_CLIENT
    statuses = [
        request_reset(client, f"nobody{n}@example.com", addresses[n % len(addresses)]).status_code
        for n in range(allowed)
    ]

    refused = request_reset(client, user.email, addresses[-1])

    assert set(statuses) == {302}
    assert refused.status_code == 429
    assert "Too many requests" in refused.text
    assert mail.outbox == []
