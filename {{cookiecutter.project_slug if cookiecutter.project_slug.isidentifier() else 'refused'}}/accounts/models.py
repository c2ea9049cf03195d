"""The user model, swappable from the first migration as Django advises."""

from django.contrib.auth.models import AbstractUser

from session_policy.models import SessionPolicyUser


class User(SessionPolicyUser, AbstractUser):
    """A user of the site; add profile fields here.

    SessionPolicyUser adds what the session policy checks on every request at
    no extra query: the marks of ended sessions and the session epoch.
    """

    class Meta(AbstractUser.Meta):
        pass
