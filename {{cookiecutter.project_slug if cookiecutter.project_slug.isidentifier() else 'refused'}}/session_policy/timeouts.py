"""Idle and absolute timeouts, enforced on the server."""

from session_policy.conf import policy


def expiry_reason(state, now):
    """Return why a session has timed out, or None if it has not.

    The absolute limit counts from sign-in and nothing extends it; the idle
    limit counts from the last recorded activity.
    """
    limits = policy()
    if now - state["signed_in"] >= limits.absolute_timeout:
        return "absolute_timeout"
    if now - state["seen"] >= limits.idle_timeout:
        return "idle_timeout"
    return None


def seconds_left(state, now):
    """Return how long the session may stay idle from now, whichever limit comes first."""
    limits = policy()
    idle_end = state["seen"] + limits.idle_timeout
    absolute_end = state["signed_in"] + limits.absolute_timeout
    return max(0, int(min(idle_end, absolute_end) - now))
