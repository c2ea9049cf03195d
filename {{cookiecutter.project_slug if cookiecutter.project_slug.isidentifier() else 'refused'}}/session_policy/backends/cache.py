"""Cache sessions, for keys Django issued only."""

from django.contrib.sessions.backends import cache

from session_policy.backends import IssuedKeysOnly


class SessionStore(IssuedKeysOnly, cache.SessionStore):
    pass
