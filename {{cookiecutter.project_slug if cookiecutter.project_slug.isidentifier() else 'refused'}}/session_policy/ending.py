"""Ending a session: the one way every part of the policy signs someone out."""

from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser

from session_policy import audit, registry, state

MESSAGES = {
    "idle_timeout": "Your session ended after a period of inactivity. Please sign in again.",
    "absolute_timeout": "Your session reached its maximum length. Please sign in again.",
    "ip_mismatch": "Your session ended because your network changed. Please sign in again.",
    "user_agent_mismatch": "Your session ended because your browser changed. Please sign in again.",
    "device_unproven": "Your session ended because it was used without this device's key. Please sign in again.",
    "device_proof_invalid": "Your session ended because this device's key was not proven. Please sign in again.",
    "revoked": "This session was ended from another device or by an administrator. Please sign in again.",
    "password_changed": "Your session ended because the password of your account was changed. Please sign in again.",
    "factor_changed": "Your session ended because a second factor of your account was added or removed. "
    "Please sign in again.",
    "unknown_session": "Please sign in again.",
}


def end_session(request, reason, *, session_key=None, whole=True):
    """End the request's session on the server and continue anonymously.

    session_key is the key the request arrived with, when Django has already
    flushed or re-keyed the session. whole=False ends only that key, not the
    session's index entry, which may hold a successor this key lost to. flush() deletes the stored session, so
    replaying its cookie finds nothing, and the end is recorded on the user,
    so a copy a cache kept finds nothing either. The new, empty session only
    carries the message for the sign-in page.
    """
    session_key = session_key or request.session.session_key
    audit.record("session_ended", request, session_key=session_key, reason=reason)
    index = state.index(request) if whole else None
    registry.ended(request.session.get(SESSION_KEY), session_key, index=index)
    request.session.flush()
    request.user = AnonymousUser()
    say_why(request, reason)


def say_why(request, reason):
    """Tell the next page why the session ended, once (templates/includes/messages.html announces it)."""
    messages.info(request, MESSAGES[reason])
