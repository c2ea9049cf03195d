"""A cheap health check for the container runtime and load balancers: GET /health/.

The check touches what every page needs, the database and the cache, and
nothing else: no session, no user, no CSRF token, no cache of its own.

The Dockerfile's HEALTHCHECK asks for it through probe.py.
"""

import logging
import secrets

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def database_works():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def cache_works():
    # A key of its own per request: replicas checking at once never see each other's value.
    key = f"health:{secrets.token_hex(8)}"
    cache.set(key, "ok", timeout=10)
    try:
        return cache.get(key) == "ok"
    finally:
        cache.delete(key)


CHECKS = {"database": database_works, "cache": cache_works}


@require_safe
@never_cache
def health(request):
    """Answer 200 when the database and the cache work, else 503 naming what failed."""
    failed = []
    for name, check in CHECKS.items():
        try:
            works = check()
        except Exception:
            # The reason goes to the log, never into the public answer.
            logger.exception("Health check: the %s failed.", name)
            works = False
        if not works:
            failed.append(name)
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok"})


# Included under health/ by the root URLconf.
urlpatterns = [path("", health, name="health")]
