"""What the policy remembers inside each signed-in session.

One small dict under one key, so the policy adds a few dozen bytes to the
session and nothing to the cookie.
"""

import hashlib

from session_policy import clock
from session_policy.client_ip import client_ip

KEY = "_session_policy"


def user_agent_digest(request):
    """Return a short digest of the User-Agent: enough to compare, nothing to read."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    return hashlib.sha256(user_agent.encode(errors="replace")).hexdigest()[:16]


def start(request, *, index):
    """Record a fresh authentication in the session, whose index entry has the primary key index."""
    now = clock.now()
    request.session[KEY] = {
        "index": index,
        "signed_in": now,
        "seen": now,
        "rotated": now,
        "reauthenticated": now,
        "ip": client_ip(request),
        "user_agent": user_agent_digest(request),
    }


def get(request):
    """Return the session's policy state, or None if it has none."""
    return request.session.get(KEY)


def index(request):
    """Return the primary key of the session's index entry, or None."""
    return (get(request) or {}).get("index")


def update(request, **changes):
    """Change some of the state, marking the session for saving."""
    request.session[KEY] = {**request.session[KEY], **changes}
