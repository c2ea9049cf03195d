"""The session engines the policy works with, by the name ``DJANGO_SESSION_ENGINE`` gives them.

settings.py picks ``SESSION_ENGINE`` from this table, and the system checks
and ``endallsessions`` read it. The names are those the generator offers.
"""

ENGINES = {
    # Django's three, accepting only keys Django issues; cached_db also rides
    # out a cache outage on the database alone (session_policy/backends/).
    "cached_db": "session_policy.backends.cached_db",
    "cache": "session_policy.backends.cache",
    "db": "session_policy.backends.db",
}
# The engines that keep sessions in the cache, Django's own included.
CACHE_ENGINES = (
    ENGINES["cached_db"],
    ENGINES["cache"],
    "django.contrib.sessions.backends.cached_db",
    "django.contrib.sessions.backends.cache",
)
