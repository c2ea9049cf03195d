"""allauth's forms, where the project's differ.

The sign-in form keeps the field names of Django's (username, password),
which django-axes reads and scripts and password managers know. The
second-factor forms refuse codes while django-axes locks the user out:
failed codes count toward the same lockout as failed passwords
(session_policy.receivers), and without the check a user locked out at the
password could keep guessing codes at a sign-in already past it. The
passkey form refuses a malformed credential as an incorrect one.

The sign-up form does, for an address that already has an account, the work
it would do to make one: allauth makes no account then and mails the owner
instead, so without that work the answer came back ten times sooner and told
which addresses have accounts (ASVS 5.0 6.3.8). The mail of either path goes
out after the answer (accounts.adapter).

Every code and assertion is usable once (ASVS 5.0 6.5.1), however many
requests carry it at the same moment: allauth marks a used TOTP code in the
shared cache and locks the recovery-codes row while it checks one, but keeps
a passkey's challenge in the session, which each parallel request of one
session reads before any of them clears it. The passkey forms claim the
challenge in the shared cache, so one assertion gives one session.
"""

import hashlib
import logging

from allauth.account import forms as account_forms
from allauth.core import context
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.totp import forms as totp_forms
from allauth.mfa.webauthn import forms as webauthn_forms
from allauth.mfa.webauthn.internal import auth as webauthn_auth
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)

# Seconds a challenge stays claimed: far longer than parallel requests take.
# The first request to pass also clears the challenge from the session, so
# no later request of that session finds one to answer.
CHALLENGE_LIFETIME = 60 * 60

# allauth's field name -> the name the page and the POST data use.
FIELD_NAMES = {"login": "username"}


class LoginForm(account_forms.LoginForm):
    def add_prefix(self, field_name):
        return super().add_prefix(FIELD_NAMES.get(field_name, field_name))

    def login(self, request, redirect_url=None):
        response = super().login(request, redirect_url)
        # allauth gives the session an expiry of its own; the settings'
        # SESSION_EXPIRE_AT_BROWSER_CLOSE and SESSION_COOKIE_AGE decide instead.
        request.session.set_expiry(None)
        return response


class SignupForm(account_forms.SignupForm):
    def try_save(self, request):
        """Make the account, or, when the address has one, spend what making it would.

        Making one hashes the password (the slow part, by design: a third of a
        second with the deployed hasher) and writes the user and the address.
        For a taken address allauth only mails the owner: this hashes the
        password and reads the account's row, a database round trip for the
        writes. A sign-up without a password (by passkey) hashes nothing on
        either path.
        """
        if self.account_already_exists:
            password = self.cleaned_data.get("password1")
            if password:
                make_password(password)
            get_user_model().objects.filter(email__iexact=self.cleaned_data.get("email", "")).exists()
        return super().try_save(request)


class LockoutMixin:
    def clean_code(self):
        if not AxesProxyHandler.is_allowed(context.request, {"username": self.user.get_username()}):
            raise ValidationError("Too many failed attempts: try again later.", code="locked_out")
        return super().clean_code()


class CodeFieldMixin:
    """A code field phones and password managers understand: digits, filled from the one-time code.

    Authenticator and recovery codes are both digits (allauth's recovery codes
    are RECOVERY_CODE_DIGITS long).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = "Code"
        attrs = self.fields["code"].widget.attrs
        attrs.pop("placeholder", None)  # the label says it; a placeholder would hide what was typed
        attrs.update({"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"})


class AuthenticateForm(CodeFieldMixin, LockoutMixin, mfa_forms.AuthenticateForm):
    pass


class ReauthenticateForm(CodeFieldMixin, LockoutMixin, mfa_forms.ReauthenticateForm):
    pass


class ActivateTOTPForm(CodeFieldMixin, totp_forms.ActivateTOTPForm):
    pass


# What the WebAuthn library raises on a credential that is not what a browser
# would build (bad base64url, bad CBOR, fields of the wrong type or missing);
# allauth catches only some of it.
MALFORMED_CREDENTIAL = (ValueError, TypeError, KeyError, IndexError, AttributeError)


class AddWebAuthnForm(webauthn_forms.AddWebAuthnForm):
    def clean(self):
        try:
            return super().clean()
        except MALFORMED_CREDENTIAL as error:
            raise get_mfa_adapter().validation_error("incorrect_code") from error


class SingleUseAssertionMixin:
    """Accept one assertion per challenge, whichever worker or request gets there first."""

    def clean_credential(self):
        state = webauthn_auth.get_state() or {}
        authenticator = super().clean_credential()
        if not claim_challenge(state.get("challenge", "")):
            raise get_mfa_adapter().validation_error("incorrect_code")
        return authenticator


def claim_challenge(challenge):
    """Record the challenge as answered; return whether this call was the first to do so.

    The marker lives as long as the browser may take to answer a challenge.
    Without the shared cache the claim cannot be made, and the assertion is
    refused: a passkey sign-in then fails, the password and codes still work.
    """
    name = "webauthn-challenge-used:" + hashlib.sha256(str(challenge).encode()).hexdigest()
    try:
        return bool(challenge) and cache.add(name, 1, timeout=CHALLENGE_LIFETIME)
    except Exception:
        logger.exception("Passkey challenge cannot be claimed; refusing the assertion.")
        return False


class AuthenticateWebAuthnForm(SingleUseAssertionMixin, webauthn_forms.AuthenticateWebAuthnForm):
    pass


class ReauthenticateWebAuthnForm(SingleUseAssertionMixin, webauthn_forms.ReauthenticateWebAuthnForm):
    pass


class LoginWebAuthnForm(SingleUseAssertionMixin, webauthn_forms.LoginWebAuthnForm):
    pass
