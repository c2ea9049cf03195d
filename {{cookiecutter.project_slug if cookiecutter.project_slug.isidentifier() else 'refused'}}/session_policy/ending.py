"""Ending a session: the one way every part of the policy signs someone out."""

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser

from session_policy import audit, registry

MESSAGES = {
    "idle_timeout": "Your session ended after a period of inactivity. Please sign in again.",
    "absolute_timeout": "Your session reached its maximum length. Please sign in again.",
    "ip_mismatch": "Your session ended because your network changed. Please sign in again.",
    "user_agent_mismatch": "Your session ended because your browser changed. Please sign in again.",
    "revoked": "This session was ended from another device or by an administrator. Please sign in again.",
    "unknown_session": "Please sign in again.",
}


def end_session(request, reason):
    """End the request's session on the server and continue anonymously.

    flush() deletes the stored session, so replaying its cookie finds nothing.
    The new, empty session only carries the message for the sign-in page.
    """
    audit.record("session_ended", request, reason=reason)
    registry.forget(request.session.session_key)
    request.session.flush()
    request.user = AnonymousUser()
    messages.info(request, MESSAGES[reason])
