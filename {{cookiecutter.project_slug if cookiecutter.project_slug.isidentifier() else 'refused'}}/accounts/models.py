"""The user model, swappable from the first migration as Django advises."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from session_policy.models import SessionPolicyUser


class User(SessionPolicyUser, AbstractUser):
    """A user of the site; add profile fields here.

    SessionPolicyUser adds what the session policy checks on every request at
    no extra query: the marks of ended sessions and the session epoch.
    """

    class Meta(AbstractUser.Meta):
        pass


class KnownDevice(models.Model):
    """A device and network a user has signed in from, as a keyed hash (accounts.notifications)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="known_devices")
    digest = models.CharField(max_length=64)
    first_seen = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "digest"], name="accounts_knowndevice_unique")]

    def __str__(self):
        return f"{self.user_id}: {self.digest[:12]}"
