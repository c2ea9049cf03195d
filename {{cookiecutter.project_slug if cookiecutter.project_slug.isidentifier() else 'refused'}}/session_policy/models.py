"""The index of signed-in sessions per user, which Django does not keep.

Every engine can then list and revoke a user's sessions: the session stores
are keyed by session key alone and cannot be searched by user.
"""

import secrets

from django.conf import settings
from django.db import models


def new_public_id():
    return secrets.token_urlsafe(16)


class UserSession(models.Model):
    """One signed-in session of a user.

    ``public_id`` is what pages and forms use; the session key never leaves
    the server.
    """

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    signed_in_at = models.DateTimeField()
    last_activity = models.DateTimeField()

    class Meta:
        ordering = ["-last_activity"]
        indexes = [models.Index(fields=["user", "-last_activity"])]

    def __str__(self):
        return f"Session of {self.user} since {self.signed_in_at:%Y-%m-%d %H:%M}"
