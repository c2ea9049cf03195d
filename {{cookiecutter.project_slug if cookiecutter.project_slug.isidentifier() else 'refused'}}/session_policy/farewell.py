"""Why a session ended from elsewhere, kept for the browser that still holds its key.

A session ended from another device, by an administrator, or by a password
or second-factor change is deleted from the store: the browser that held it
arrives with a key that names nothing, and Django alone would show a bare
sign-in page. revoke() leaves a note under a digest of each ended key in the
cache, for as long as the session could have lived; the first request that
brings such a key takes the note, and the next page says why (ending.py).

A live session's requests never read a note: only a request whose cookie
names no session does, with one cache read. A key rotated away leaves no
note, so a request that lost a race to rotation is told nothing. A cache
out of reach loses the words, never the end.
"""

import hashlib

from django.core.cache import cache

from session_policy.conf import policy
from session_policy.outage import cache_errors

PREFIX = "session_policy:ended:"
# The reason revoke() is given -> the words ending.MESSAGES has for it.
WORDS = {
    "revoked_by_user": "revoked",
    "ended_by_admin": "revoked",
    "ended_by_command": "revoked",
    "password_changed": "password_changed",
    "password_reset": "password_changed",
    "mfa_added": "factor_changed",
    "mfa_removed": "factor_changed",
    "mfa_changed": "factor_changed",
    "mfa_reset": "factor_changed",
    "user_deactivated": "revoked",
}


def note_key(session_key):
    """The cache key of an ended session's note: a digest, never the session key itself."""
    return PREFIX + hashlib.sha256(session_key.encode()).hexdigest()[:32]


def leave(session_keys, reason):
    """Note why these sessions ended, for the browsers that still hold them."""
    words = WORDS.get(reason)
    if not words or not session_keys:
        return
    try:
        cache.set_many({note_key(key): words for key in session_keys}, timeout=policy().absolute_timeout)
    except cache_errors():
        pass


def take(session_key):
    """Return the words noted for this ended key, once; None if there are none."""
    key = note_key(session_key)
    try:
        words = cache.get(key)
        if words is not None:
            cache.delete(key)
    except cache_errors():
        return None
    return words
