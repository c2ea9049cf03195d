"""No factor weaker than the one the user has: email is none, recovery codes alone are none, enrolment never traps."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.urls import reverse

from session_policy.tests.conftest import is_signed_in, past_the_reauthentication_window
from session_policy.tests.test_second_factor import activate_totp, password_step, recovery_codes, totp

# allauth reports added and removed factors once the transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)

CODE_IN_MAIL = re.compile(r"^\s*([A-Z0-9]{6})\s*$", re.MULTILINE)


@pytest.fixture
def verified_address(user):
    return EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


def test_a_mailed_code_never_re_authenticates(client, user, sign_in, stay_active, verified_address, mailoutbox):
    """A thief with the session and the mailbox cannot open the sensitive window by email (ASVS 5.0 6.3.5)."""
    sign_in(client, user)
    activate_totp(client)
    stay_active(client, past_the_reauthentication_window())
    mailoutbox.clear()

    methods = client.get(reverse("mfa_reauthenticate")).context["reauthentication_alternatives"]
    response = client.post(reverse("account_request_reauthentication_code"))

    assert "reauthenticate_by_code" not in [method["id"] for method in methods]
    assert response.status_code == 403
    assert [message.subject for message in mailoutbox] == []
    assert client.get(reverse("sessions"))["Location"].startswith(reverse("reauthenticate"))


def test_a_user_without_a_factor_re_authenticates_by_password_only(
    client, user, sign_in, stay_active, verified_address
):
    sign_in(client, user)
    stay_active(client, past_the_reauthentication_window())

    assert client.post(reverse("account_request_reauthentication_code")).status_code == 403


def test_no_sign_in_by_mailed_code(client, user, verified_address):
    assert client.get("/accounts/login/code/").status_code == 404


@pytest.fixture
def only_recovery_codes(client, user, sign_in):
    """A user whose TOTP an administrator deleted: recovery codes are all that is left. Return them."""
    sign_in(client, user)
    activate_totp(client)
    codes = recovery_codes(client)
    client.post(reverse("logout"))
    Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).delete()
    assert list(Authenticator.objects.filter(user=user).values_list("type", flat=True)) == ["recovery_codes"]
    return codes


def test_recovery_codes_alone_are_still_asked_for(client, user, password, only_recovery_codes):
    password_step(client, user, password)

    assert not is_signed_in(client.get("/"))
    client.post(reverse("mfa_authenticate"), {"code": only_recovery_codes[0]})
    assert is_signed_in(client.get("/"))


@pytest.mark.parametrize("choice", ["required_for_staff", "required"])
def test_recovery_codes_alone_do_not_meet_the_requirement(
    client, user, password, only_recovery_codes, settings, choice
):
    settings.SECOND_FACTOR = choice
    user.is_staff = True
    user.save()
    password_step(client, user, password)
    client.post(reverse("mfa_authenticate"), {"code": only_recovery_codes[0]})

    assert client.get("/admin/")["Location"] == reverse("mfa_index")
    activate_totp(client)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("signup", ["open", "closed"])
def test_an_unverified_address_never_traps_a_user_told_to_set_up_a_factor(
    client, user, sign_in, settings, mailoutbox, signup
):
    """One visit to the email page leaves an unverified row; the user must still be able to set up a factor."""
    settings.SECOND_FACTOR = "required"
    settings.SIGNUP = signup
    if signup == "open":
        settings.MFA_ALLOW_UNVERIFIED_EMAIL = False  # as settings.py makes it for open sign-up
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    sign_in(client, user)

    if signup == "open":
        # allauth refuses a factor until the address is verified: the email pages stay open to verify it.
        assert client.get(reverse("mfa_activate_totp"))["Location"] == reverse("mfa_index")
        assert client.get(reverse("account_email")).status_code == 200
        client.post(reverse("account_email"), {"action_send": "", "email": user.email})
        link = re.search(r"https?://\S+(/accounts/confirm-email/\S+/)", mailoutbox[-1].body).group(1)
        client.post(link)
        assert EmailAddress.objects.get(user=user).verified

    secret = activate_totp(client)
    assert totp(secret)
    assert is_signed_in(client.get("/"))


def test_a_password_reset_does_not_pass_the_second_factor(client, user, sign_in, mailoutbox):
    """ASVS 5.0 6.4.3: whoever reads the mailbox sets a password, and still meets the second factor."""
    sign_in(client, user)
    secret = activate_totp(client)
    client.post(reverse("logout"))
    mailoutbox.clear()
    new_password = "a fresh and long passphrase after reset 5"

    client.post(reverse("password_reset"), {"email": user.email}, HTTP_X_FORWARDED_FOR="198.51.100.9")
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mailoutbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})

    assert not is_signed_in(client.get("/"))
    response = client.post(reverse("login"), {"username": user.username, "password": new_password})
    assert response["Location"] == reverse("mfa_authenticate")
    assert not is_signed_in(client.get("/"))
    client.post(reverse("mfa_authenticate"), {"code": totp(secret)})
    assert is_signed_in(client.get("/"))
