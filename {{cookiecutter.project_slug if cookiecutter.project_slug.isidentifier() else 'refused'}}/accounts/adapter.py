"""Where the project's sign-in, built on django-allauth, differs from allauth's defaults."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings

from session_policy.client_ip import client_ip
from session_policy.reauthentication import recently_authenticated


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return settings.SIGNUP == "open"

    def get_client_ip(self, request):
        """The address the session policy resolves behind the trusted proxies, for allauth's rate limits."""
        return client_ip(request) or "unknown"

    def is_reauthentication_required(self, *, app, **kwargs):
        """Whether the session policy's re-authentication window is closed (ACCOUNT_REAUTHENTICATION_TIMEOUT is 0)."""
        return not recently_authenticated(context.request)

    def get_reauthentication_methods(self, user):
        """Only a second factor re-authenticates a user who has one: the password alone no longer does."""
        methods = super().get_reauthentication_methods(user)
        if is_mfa_enabled(user):
            return [method for method in methods if method["id"] != "reauthenticate"]
        return methods
