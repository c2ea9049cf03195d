"""Database sessions, for keys Django issued only."""

from django.contrib.sessions.backends import db

from session_policy.backends import IssuedKeysOnly


class SessionStore(IssuedKeysOnly, db.SessionStore):
    pass
