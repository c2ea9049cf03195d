"""Periodic rotation of the session key, so a stolen key soon stops working."""

from session_policy import audit, registry, state
from session_policy.conf import policy


def rotation_due(session_state, now):
    return now - session_state["rotated"] >= policy().rotation_interval


def rotate(request, now, *, reason):
    """Give the session a new key; the old one is deleted from the store at once."""
    old_key = request.session.session_key
    request.session.cycle_key()
    registry.rekey(old_key, request.session.session_key)
    state.update(request, rotated=now)
    audit.record("rotation", request, reason=reason)
