"""Template values for the idle-timeout warning."""

from session_policy import clock, state, timeouts


def idle_warning(request):
    """Give signed-in pages the seconds left before the session times out."""
    # Error pages can render before authentication ran: no user, no warning.
    user = getattr(request, "user", None)
    session_state = state.get(request) if user is not None and user.is_authenticated else None
    if session_state is None:
        return {}
    return {"session_seconds_left": timeouts.seconds_left(session_state, clock.now())}
