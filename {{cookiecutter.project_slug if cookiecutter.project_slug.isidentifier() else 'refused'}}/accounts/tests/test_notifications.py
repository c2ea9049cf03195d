"""Security notices: a sign-in from somewhere new, every change of factor or password, mailed after the answer."""

import pytest
from allauth.core import context
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.signals import request_finished
from django.test import RequestFactory
from django.urls import reverse

from session_policy.registry import session_store
from session_policy.tests.test_second_factor import activate_totp

# Notices leave once the transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"HTTP_USER_AGENT": "Laptop browser", "REMOTE_ADDR": "198.51.100.7"}


def notices(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def test_a_sign_in_from_a_new_device_or_network_is_notified_once(https_client, user, sign_in):
    sign_in(https_client(), user, **LAPTOP)
    assert len(notices(user)) == 1
    assert "https://testserver" + reverse("sessions") in notices(user)[0].body
    assert "Laptop browser" in notices(user)[0].body

    sign_in(https_client(), user, **LAPTOP)
    sign_in(https_client(), user, **LAPTOP | {"REMOTE_ADDR": "198.51.100.200"})  # same /24
    assert len(notices(user)) == 1

    sign_in(https_client(), user, **LAPTOP | {"HTTP_USER_AGENT": "Another browser"})
    sign_in(https_client(), user, **LAPTOP | {"REMOTE_ADDR": "203.0.113.7"})
    assert len(notices(user)) == 3


def test_the_notice_leaves_only_once_the_answer_is_complete(user):
    request = RequestFactory().get("/", secure=True)
    request.user, request.session = user, session_store()()

    with context.request_context(request):
        Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "key"})
        Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES, data={})

    assert mail.outbox == []
    request_finished.send(sender=None)  # what the server's close() of the response sends
    [notice] = notices(user)
    assert "A passkey or security key was added" in notice.body
    assert "Recovery codes were added" in notice.body  # every change of one answer in one mail


def test_setting_up_a_factor_is_notified(client, user, sign_in):
    sign_in(client, user)
    mail.outbox.clear()

    activate_totp(client)

    [notice] = notices(user)
    assert "An authenticator app was added" in notice.body
    assert reverse("sessions") in notice.body


def test_a_factor_removed_outside_any_request_is_notified(user):
    """The admin's delete or a shell: the model signals, sent at commit."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "key"})
    mail.outbox.clear()

    Authenticator.objects.filter(user=user).delete()

    [notice] = notices(user)
    assert "A passkey or security key was removed" in notice.body


def test_a_used_code_is_no_change(user):
    authenticator = Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "key"})
    mail.outbox.clear()

    authenticator.record_usage()

    assert notices(user) == []


def test_a_password_change_is_notified_by_every_path(client, user, sign_in, password):
    sign_in(client, user)
    mail.outbox.clear()
    new_password = "another long and unusual passphrase 7"

    client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": new_password, "new_password2": new_password},
    )
    assert "password of your account was changed" in notices(user)[0].body

    user.refresh_from_db()
    user.set_password("yet another long passphrase 8")
    user.save()
    assert len(notices(user)) == 2


def test_no_notice_without_an_address(https_client, django_user_model, sign_in):
    nobody = django_user_model.objects.create_user("nobody", "", "correct horse battery staple")

    sign_in(https_client(), nobody)

    assert mail.outbox == []
