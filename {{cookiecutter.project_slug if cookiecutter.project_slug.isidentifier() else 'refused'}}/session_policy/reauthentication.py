"""Asking for the password again before sensitive actions."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from session_policy import clock, state
from session_policy.conf import policy


def recently_authenticated(request):
    """Whether the user entered their password within the re-authentication window."""
    session_state = state.get(request)
    if not request.user.is_authenticated or session_state is None:
        return False
    return clock.now() - session_state["reauthenticated"] < policy().reauthentication_timeout


def sensitive(view):
    """Require a recent password entry before running the view."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not recently_authenticated(request):
            login_url = reverse("login") if not request.user.is_authenticated else reverse("reauthenticate")
            return redirect_to_login(request.get_full_path(), login_url)
        return view(request, *args, **kwargs)

    return guarded


class SensitiveViewMixin:
    """Class-based form of @sensitive."""

    @classmethod
    def as_view(cls, **initkwargs):
        return sensitive(super().as_view(**initkwargs))
