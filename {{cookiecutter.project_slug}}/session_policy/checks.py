"""System checks for what ``manage.py check --deploy`` does not look at."""

from django.conf import settings
from django.core.checks import Error, Tags, register

PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
CACHE_ENGINES = (
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
)


@register(Tags.caches, Tags.security, deploy=True)
def check_session_cache_is_shared(app_configs, **kwargs):
    """Refuse a per-process cache behind cache-backed sessions outside DEBUG.

    Each gunicorn worker would hold its own copy: sign-ins would come and go
    between requests, and a revoked session would live on in other workers.
    """
    if settings.DEBUG or settings.SESSION_ENGINE not in CACHE_ENGINES:
        return []
    backend = settings.CACHES[getattr(settings, "SESSION_CACHE_ALIAS", "default")]["BACKEND"]
    if backend not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Error(
            f"The session engine {settings.SESSION_ENGINE} stores sessions in {backend}, "
            "which each process keeps to itself.",
            hint="Set REDIS_URL, or choose DJANGO_SESSION_ENGINE=db.",
            id="session_policy.E001",
        )
    ]
