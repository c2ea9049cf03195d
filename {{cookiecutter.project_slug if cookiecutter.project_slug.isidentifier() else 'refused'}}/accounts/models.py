"""The user model, swappable from the first migration as Django advises."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A user of the site; add profile fields here."""

    # Fingerprints of this user's revoked sessions, with when they were
    # revoked. Authentication loads this row on every request anyway, so the
    # session policy refuses a revoked session even if an unreachable cache
    # kept a copy of it. Written by session_policy.registry only.
    ended_sessions = models.JSONField(default=dict, blank=True, editable=False)
