"""Asking for the password, or the second factor, again before sensitive actions."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.middleware.csrf import rotate_token
from django.urls import reverse

from session_policy import audit, clock, device_binding, rotation, state
from session_policy.conf import policy


def recently_authenticated(request):
    """Whether the user signed in or re-authenticated within the re-authentication window."""
    session_state = state.get(request)
    if not request.user.is_authenticated or session_state is None:
        return False
    return clock.now() - session_state["reauthenticated"] < policy().reauthentication_timeout


def sensitive(view):
    """Require a recent sign-in or re-authentication before running the view."""

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


def record_reauthentication(request, *, method):
    """Open the sensitive window after a re-authentication; return False if a racing request took the key.

    Like every authentication, it gives the session a new key and a new CSRF
    token: whatever leaked before no longer works after it.
    """
    now = clock.now()
    if not rotation.rotate(request, now, reason="reauthentication"):
        return False
    rotate_token(request)
    state.update(request, reauthenticated=now)
    device_binding.offer(request)
    audit.record("reauthentication", request, method=method)
    return True
