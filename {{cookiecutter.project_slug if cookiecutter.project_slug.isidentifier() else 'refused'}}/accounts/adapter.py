"""Where the project's sign-in, built on django-allauth, differs from allauth's defaults."""

import logging
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.after_response import later
from accounts.second_factor import has_any_authenticator
from session_policy.client_ip import client_ip
from session_policy.reauthentication import recently_authenticated

logger = logging.getLogger(__name__)

# allauth's second-factor step, replaced by the project's (accounts.second_factor).
ALLAUTH_SECOND_FACTOR_STAGE = "allauth.mfa.stages.AuthenticateStage"
SECOND_FACTOR_STAGE = "accounts.second_factor.AuthenticateStage"

# Said by the page itself; as a message it would also cost a session write on the next page.
SILENT_MESSAGES = frozenset({"account/messages/logged_in.txt", "account/messages/logged_out.txt"})


class AccountAdapter(DefaultAccountAdapter):
    def add_message(self, request, level, message_template=None, *args, **kwargs):
        if message_template not in SILENT_MESSAGES:
            super().add_message(request, level, message_template, *args, **kwargs)

    def send_mail(self, template_prefix, email, context_data):
        """Send allauth's mail once the answer has gone out (accounts.after_response).

        Which mail a sign-up sends depends on whether the address has an
        account: a confirmation for a new one, "you already have an account"
        for a taken one. Built and sent inline, the difference would show in
        the time of the answer (ASVS 5.0 6.3.8). Outside a request (a command,
        the shell) it is sent at once.
        """
        request = context.request
        if request is None:
            super().send_mail(template_prefix, email, context_data)
            return
        later(self._send_mail_for, request, template_prefix, email, context_data)

    def _send_mail_for(self, request, template_prefix, email, context_data):
        # allauth reads the request from its context, which ends with the response.
        with context.request_context(request):
            try:
                super().send_mail(template_prefix, email, context_data)
            except Exception:
                logger.exception("Mail %s not sent.", template_prefix)

    def is_open_for_signup(self, request):
        return settings.SIGNUP == "open"

    def is_safe_url(self, url):
        """Whether to follow a next= target: on this host, never from https to http, never this page again."""
        request = context.request
        on_site = url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return on_site and urlsplit(url).path != request.path

    def authenticate(self, request, **credentials):
        """Authenticate as allauth does, but refuse an inactive account exactly as a wrong password.

        allauth hands back an inactive account whose password matched, to show
        it the "account inactive" page: that page would tell whoever guessed
        the password that it is right, and that the account exists (ASVS 5.0
        6.3.8). Django has already counted the attempt as a failure (and so
        has the lockout), as it does for a wrong password.
        """
        user = super().authenticate(request, **credentials)
        return user if user is not None and user.is_active else None

    def get_client_ip(self, request):
        """The address the session policy resolves behind the trusted proxies, for allauth's rate limits."""
        return client_ip(request) or "unknown"

    def is_reauthentication_required(self, *, app, **kwargs):
        """Whether the session policy's re-authentication window is closed (ACCOUNT_REAUTHENTICATION_TIMEOUT is 0)."""
        return not recently_authenticated(context.request)

    def get_login_stages(self):
        """allauth's sign-in steps, with a second-factor step that recovery codes alone also trigger."""
        stages = super().get_login_stages()
        return [SECOND_FACTOR_STAGE if stage == ALLAUTH_SECOND_FACTOR_STAGE else stage for stage in stages]

    def get_reauthentication_methods(self, user):
        """Only a second factor re-authenticates a user who has one: the password alone no longer does.

        Email is never one (settings.ACCOUNT_REAUTHENTICATION_METHODS has no "code").
        """
        methods = super().get_reauthentication_methods(user)
        if has_any_authenticator(user):
            return [method for method in methods if method["id"] != "reauthenticate"]
        return methods
