"""Recording activity for the idle timeout without writing on every request."""

from session_policy import registry, state
from session_policy.conf import policy


def stamp_if_due(request, session_state, now):
    """Record activity once per granularity window.

    Saving the session on every request would cost a store write each time;
    the idle clock only needs to be as precise as the window.
    """
    if now - session_state["seen"] < policy().activity_granularity:
        return
    record_activity(request, now)


def record_activity(request, now):
    """Restart the idle clock now."""
    state.update(request, seen=now)
    registry.touch(request.session.session_key, now)
