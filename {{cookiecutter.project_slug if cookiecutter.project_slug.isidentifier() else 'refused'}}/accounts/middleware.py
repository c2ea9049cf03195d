"""Send users who must have a second factor, and have none, to set one up before anything else."""

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

# What a user without a factor may still reach: the pages that set one up
# (all under the second-factor index), re-authentication, the way out, and
# what the browser itself calls (device binding, the idle warning).
OPEN_URL_NAMES = (
    "mfa_index",
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
            and not is_mfa_enabled(user)
        ):
            return redirect("mfa_index")
        return self.get_response(request)
