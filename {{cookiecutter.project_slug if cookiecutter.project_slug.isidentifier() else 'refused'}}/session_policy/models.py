"""The index of signed-in sessions per user, which Django does not keep.

Every engine can then list and revoke a user's sessions: the session stores
are keyed by session key alone and cannot be searched by user.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac

# Django's own salt: a session signed in before the epoch existed keeps its hash at epoch 0.
SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


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


POLICY_FIELDS = ("ended_sessions", "session_epoch")


class SessionPolicyUser(models.Model):
    """What the session policy keeps on the user model, which inherits this.

    Django loads the user on every signed-in request and compares the
    session's stored hash with get_session_auth_hash(): what is here is
    checked at no extra query.

    ``session_epoch`` is part of that hash. Raising it ends every session of
    the user at once, listed or not, in every engine and whatever a cache
    still holds; the database raises it itself when the user is deactivated
    by any path, QuerySet.update() and raw SQL included, and never lowers it
    (session_policy/epoch.py). ``ended_sessions`` holds digests of single
    sessions that ended while a cache may still hold a copy
    (session_policy/registry.py writes it).
    """

    ended_sessions = models.JSONField(default=dict, blank=True, editable=False)
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        """Save the user, leaving the marks and the epoch to the queries that change them.

        A copy loaded before a sign-out or a deactivation would otherwise write
        the old values back, and bring ended sessions back with them.
        """
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in POLICY_FIELDS
            ]
        super().save(*args, **kwargs)

    def get_session_auth_hash(self):
        return self._session_hash(secret=None)

    def get_session_auth_fallback_hash(self):
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=secret)

    def _session_hash(self, *, secret):
        value = self.password if not self.session_epoch else f"{self.password}:{self.session_epoch}"
        return salted_hmac(SESSION_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()
