"""Binding a session to the network and browser it was signed in from."""

from session_policy.client_ip import client_ip, same_client_network
from session_policy.conf import policy
from session_policy.state import user_agent_digest


def mismatch_reason(state, request):
    """Return why this request may not use the session, or None if it may."""
    limits = policy()
    if not same_client_network(state["ip"], client_ip(request), limits.ip_binding):
        return "ip_mismatch"
    if limits.user_agent_binding and state["user_agent"] != user_agent_digest(request):
        return "user_agent_mismatch"
    return None
