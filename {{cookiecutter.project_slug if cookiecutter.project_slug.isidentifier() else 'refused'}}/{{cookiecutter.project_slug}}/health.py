"""A cheap health check for the container runtime and load balancers: GET /health/.

The check touches what every page needs, the database and the cache, and
nothing else: no session, no user, no CSRF token, no cache of its own.

Run as a module, as the Dockerfile's HEALTHCHECK does, it asks the local
gunicorn for the check and exits 0 only on a healthy answer.
"""

import http.client
import logging
import os
import secrets
import sys

from django.conf import settings
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


def probe(timeout=4):
    """Ask the gunicorn on this host for /health/ as the proxy would; return an exit status."""
    port = int(os.environ.get("GUNICORN_BIND", ":8000").rpartition(":")[2])
    # A host the settings accept, and the scheme the proxy vouches for: without
    # them Django would refuse the host or redirect to https.
    host = next((host.lstrip(".") for host in settings.ALLOWED_HOSTS if host != "*"), "localhost")
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        client.request("GET", "/health/", headers={"Host": host, "X-Forwarded-Proto": "https"})
        response = client.getresponse()
        body = response.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as error:
        print(f"unhealthy: {error!r}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print(response.status, body)
    return 0 if response.status == 200 else 1


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{{ cookiecutter.project_slug }}.settings")
    sys.exit(probe())
