"""End every session: after restoring a backup, or when a breach is suspected.

A restored database brings back sessions revoked since the backup, and the
cache may hold sessions the restored database never heard of: neither may
live on.
"""

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.management.base import BaseCommand

from session_policy import epoch, registry
from session_policy.engines import CACHE_ENGINES
from session_policy.models import UserSession


class Command(BaseCommand):
    help = "End every session of every user, in the index, the database and the session cache."

    def handle(self, **options):
        ended = registry.revoke(UserSession.objects.all(), reason="ended_by_command")
        # Refused by every process from now on, wherever a copy survives.
        epoch.end_everyones_sessions()
        # Sessions the index does not know, signed in or not.
        Session.objects.all().delete()
        if settings.SESSION_ENGINE in CACHE_ENGINES:
            caches[settings.SESSION_CACHE_ALIAS].clear()
        self.stdout.write(f"Ended {ended} signed-in session(s); the session stores are empty.")
