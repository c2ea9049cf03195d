"""Password reset requests: mail off the request, limits per client and per address."""

import pytest
from django.core import mail

from accounts.password_reset import PER_ADDRESS, PER_CLIENT, wait_for_mail

pytestmark = pytest.mark.django_db(transaction=True)


def request_reset(client, email, address="198.51.100.7"):
    return client.post("/accounts/password/reset/", {"email": email}, HTTP_X_FORWARDED_FOR=address)


def test_the_mail_is_sent_after_the_answer(client, user):
    response = request_reset(client, user.email)
    wait_for_mail()

    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [[user.email]]


def test_an_address_gets_no_more_mail_past_its_limit_and_the_answer_does_not_change(client, user):
    allowed, _ = PER_ADDRESS
    answers = [request_reset(client, user.email, address=f"198.51.100.{n}") for n in range(allowed + 2)]
    wait_for_mail()

    assert {(answer.status_code, answer["Location"]) for answer in answers} == {
        (302, "/accounts/password/reset/done/")
    }
    assert len(mail.outbox) == allowed


def test_a_client_past_its_limit_is_told_to_wait(client, user):
    allowed, _ = PER_CLIENT
    statuses = [request_reset(client, f"nobody{n}@example.com").status_code for n in range(allowed)]

    refused = request_reset(client, user.email)
    wait_for_mail()

    assert set(statuses) == {302}
    assert refused.status_code == 429
    assert "Too many requests" in refused.text
    assert mail.outbox == []
