"""allauth's forms, where the project's differ.

The sign-in form keeps the field names of Django's (username, password),
which django-axes reads and scripts and password managers know. The
second-factor forms refuse codes while django-axes locks the user out:
failed codes count toward the same lockout as failed passwords
(session_policy.receivers), and without the check a user locked out at the
password could keep guessing codes at a sign-in already past it.
"""

from allauth.account import forms as account_forms
from allauth.core import context
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.totp import forms as totp_forms
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
