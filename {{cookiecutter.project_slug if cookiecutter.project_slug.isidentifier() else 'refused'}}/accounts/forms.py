"""allauth's forms, where the project's differ.

The sign-in form keeps the field names of Django's (username, password),
which django-axes reads and scripts and password managers know. The
second-factor forms refuse codes while django-axes locks the user out:
failed codes count toward the same lockout as failed passwords
(session_policy.receivers), and without the check a user locked out at the
password could keep guessing codes at a sign-in already past it. The
passkey form refuses a malformed credential as an incorrect one.
"""

from allauth.account import forms as account_forms
from allauth.core import context
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.webauthn import forms as webauthn_forms
from axes.handlers.proxy import AxesProxyHandler
from django.core.exceptions import ValidationError

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


class LockoutMixin:
    def clean_code(self):
        if not AxesProxyHandler.is_allowed(context.request, {"username": self.user.get_username()}):
            raise ValidationError("Too many failed attempts: try again later.", code="locked_out")
        return super().clean_code()


class AuthenticateForm(LockoutMixin, mfa_forms.AuthenticateForm):
    pass


class ReauthenticateForm(LockoutMixin, mfa_forms.ReauthenticateForm):
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
