"""The audit trail: one JSON object per session event, on the "audit" logger.

Events carry a salted hash of the session key, never the key: the log can
correlate a session's events but cannot be used to take the session over.
"""

import json
import logging

from django.utils.crypto import salted_hmac

from session_policy import clock
from session_policy.client_ip import client_ip

logger = logging.getLogger("audit")


def session_fingerprint(session_key):
    """Return a short keyed hash that identifies a session without revealing it."""
    if not session_key:
        return None
    return salted_hmac("session_policy.audit", session_key, algorithm="sha256").hexdigest()[:16]


def record(event, request=None, *, user=None, session_key=None, reason=None, **details):
    """Write one audit event; the request supplies whatever is not given."""
    if request is not None:
        user = user if user is not None else getattr(request, "user", None)
        session_key = session_key or request.session.session_key
    entry = {
        "event": event,
        "time": round(clock.now(), 3),
        "user_id": getattr(user, "pk", None),
        "ip": client_ip(request) if request is not None else None,
        "session": session_fingerprint(session_key),
        "reason": reason,
        **details,
    }
    logger.info(event, extra={"audit": entry})


class JsonFormatter(logging.Formatter):
    """Format audit records as one JSON object per line."""

    def format(self, record):
        return json.dumps(getattr(record, "audit", {"event": record.getMessage()}), sort_keys=True)
