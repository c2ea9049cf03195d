"""Send users who must have a second factor, and have none, to set one up before anything else."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from accounts.second_factor import has_second_factor

# What a user without a factor may still reach: the pages that set one up
# (all under the second-factor index), the email pages (allauth refuses a
# factor while an address is unverified, with open sign-up: verifying or
# removing it must stay possible), re-authentication, the way out, and what
# the browser itself calls (device binding, the idle warning).
OPEN_URL_NAMES = (
    "mfa_index",
    "account_email",
    "account_email_verification_sent",  # /confirm-email/, the confirmation links' prefix
    "reauthenticate",
    "logout",
    "device_binding_register",
    "device_binding_refresh",
    "stay_signed_in",
)


def must_have_second_factor(user):
    """Whether settings.SECOND_FACTOR requires this user to have a second factor."""
    return settings.SECOND_FACTOR == "required" or (settings.SECOND_FACTOR == "required_for_staff" and user.is_staff)


class SecondFactorEnrolmentMiddleware:
    """Redirect every other request of such a user to the second-factor page, the admin's included.

    Recovery codes alone are no factor (accounts.second_factor): a user left
    with only those is sent to set a real one up.

    Costs one query per request of a user who must have a factor, none for others.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and must_have_second_factor(user)
            and not request.path.startswith(tuple(reverse(name) for name in OPEN_URL_NAMES))
            and not has_second_factor(user)
        ):
            return redirect("mfa_index")
        return self.get_response(request)
