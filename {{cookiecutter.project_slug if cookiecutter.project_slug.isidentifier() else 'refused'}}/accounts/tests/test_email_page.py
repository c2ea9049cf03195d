"""Nobody can take someone else's address on the email page (accounts.email), whatever the sign-up mode."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(django_user_model, password):
    return django_user_model.objects.create_user("carol", "carol@example.com", password)


@pytest.fixture(params=["closed", "open"])
def sign_up_mode(request, settings):
    settings.SIGNUP = request.param
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory" if request.param == "open" else "none"
    return request.param


@pytest.fixture
def carol_client(client, sign_in, carol, sign_up_mode):
    if sign_up_mode == "open":
        # Open sign-up signs in only with a verified address.
        EmailAddress.objects.create(user=carol, email=carol.email, verified=True, primary=True)
    sign_in(client, carol)
    return client


def add(client, email):
    return client.post("/accounts/email/", {"email": email, "action_add": ""}, follow=True)


def make_primary(client, email):
    return client.post("/accounts/email/", {"email": email, "action_primary": ""}, follow=True)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_another_users_address_is_not_added_and_the_answer_says_the_same(carol_client, user, carol):
    taken = add(carol_client, user.email)
    free = add(carol_client, "carol.new@example.com")

    assert taken.status_code == free.status_code == 200
    assert [m.replace(user.email, "X") for m in messages_of(taken)] == [
        m.replace("carol.new@example.com", "X") for m in messages_of(free)
    ]
    assert not EmailAddress.objects.filter(user=carol, email__iexact=user.email).exists()
    # The owner hears of it, with no link that would verify it for carol.
    to_owner = [message for message in mail.outbox if message.to == [user.email]]
    assert len(to_owner) == 1
    assert "/confirm-email/" not in to_owner[0].body


def test_an_unverified_address_is_never_made_primary(carol_client, carol):
    add(carol_client, "carol.new@example.com")
    make_primary(carol_client, "carol.new@example.com")

    carol.refresh_from_db()
    assert carol.email == "carol@example.com"
    assert not EmailAddress.objects.filter(user=carol, email="carol.new@example.com", primary=True).exists()


def test_another_users_address_never_becomes_primary(carol_client, user, carol):
    add(carol_client, user.email)
    make_primary(carol_client, user.email)

    carol.refresh_from_db()
    assert carol.email == "carol@example.com"
