"""The user model, swappable from the first migration as Django advises."""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A user of the site; add profile fields here."""
