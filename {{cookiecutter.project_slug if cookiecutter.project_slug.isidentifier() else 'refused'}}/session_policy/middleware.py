"""Enforce the session policy on every request of a signed-in user."""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils.cache import add_never_cache_headers

from session_policy import activity, binding, clock, device_binding, farewell, registry, rotation, state, timeouts
from session_policy.ending import end_session, say_why

NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def forbid_caching(response):
    """Keep a signed-in user's page out of every cache, the back button's included."""
    if "Cache-Control" in response:
        add_never_cache_headers(response)  # merge with what the view asked for
    else:
        response["Cache-Control"] = NEVER_CACHE


def arrived_dead(request):
    """Whether the request brought a session cookie that named no session, and nothing came of it."""
    session = request.session
    return settings.SESSION_COOKIE_NAME in request.COOKIES and session.is_empty() and not session.modified


class SessionPolicyMiddleware:
    """Time out, bind, rotate and stamp signed-in sessions; keep their pages out of caches.

    A session bound to a device (device_binding.py) also needs its bound
    cookie; the first response after an authentication offers that binding.

    Goes after AuthenticationMiddleware. Costs no store access for anonymous
    visitors (one cache read for one whose cookie names no session) and, in
    steady use, one session write per activity window.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = SESSION_KEY in request.session
        response = self.enforce(request) if signed_in else None
        told = not signed_in and self.say_why_it_ended(request)
        if response is None:
            key_before_view = request.session.session_key
            response = self.get_response(request)
            if signed_in and request.session.session_key not in (None, key_before_view):
                # The view gave the session a new key itself, as Django's
                # update_session_auth_hash() does for the admin changing a password.
                rotation.follow_key_change(request, key_before_view)
        if signed_in or request.user.is_authenticated:
            forbid_caching(response)
            device_binding.send_offer(request, response)
        elif arrived_dead(request) and not told:
            # Django would delete the cookie. When a racing request has just
            # rotated this key, the browser holds the successor by now: leave
            # it alone. A dead key gives nobody anything.
            request.session = rotation.Abandoned()
        return response

    def say_why_it_ended(self, request):
        """If the request's key names nothing because it was ended from elsewhere, say so once.

        The new session that carries the words replaces a key that is dead
        for good: a key rotated away leaves no note (farewell.py).
        """
        if settings.SESSION_COOKIE_NAME not in request.COOKIES or not request.session.is_empty():
            return False
        reason = farewell.take(request.COOKIES[settings.SESSION_COOKIE_NAME])
        if reason:
            say_why(request, reason)
        return bool(reason)

    def enforce(self, request):
        """Apply the policy; return a response to send instead of the view's, or None."""
        arrived_key = request.session.session_key
        # Django's own checks run here: a password changed elsewhere, a raised
        # session epoch or a deactivated account make the user anonymous; a
        # session signed with an old secret key is given a new key.
        if not request.user.is_authenticated:
            end_session(request, "unknown_session", session_key=arrived_key)
            return None
        if registry.is_marked_ended(request.user, arrived_key):
            # Perhaps a copy of a key its session was rotated away from: the successor lives on.
            end_session(request, "revoked", session_key=arrived_key, whole=False)
            return None
        if request.session.session_key != arrived_key and not rotation.adopt_new_key(request, arrived_key):
            return rotation.retry(request)
        session_state = state.get(request)
        if session_state is None:
            end_session(request, "unknown_session")
            return None
        now = clock.now()
        reason = (
            timeouts.expiry_reason(session_state, now)
            or binding.mismatch_reason(session_state, request)
            or device_binding.unproven_reason(session_state, request, now)
        )
        if reason:
            end_session(request, reason)
            return None
        if rotation.rotation_due(session_state, now) and not rotation.rotate(request, now, reason="interval"):
            return rotation.retry(request)
        activity.stamp_if_due(request, state.get(request), now)
        return None
