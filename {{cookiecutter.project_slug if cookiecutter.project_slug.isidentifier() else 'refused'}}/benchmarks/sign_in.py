"""Count what one sign-in asks of the database and the cache: a right password, then a wrong one.

Run from the project directory:

    python benchmarks/sign_in.py [--database-url URL] [--redis-url URL] [--tries N]

Each try posts the sign-in form through the project's WSGI application, as a
server calls it, for a user the script creates (and deletes again), and counts
the SQL queries (transaction control left out, as psycopg sends none for an
empty transaction) and, with --redis-url, the Redis commands of that one
request. The lockout's counts live in the database: a sign-in resolves the
account the login spells (one query), and reads both of its failure counts in
one query. The figures are the median over the tries.
"""

import argparse
import os
import re
import secrets
import statistics
import sys

from per_request import (
    HOST,
    LOGIN,
    TRANSACTION_CONTROL,
    WsgiClient,
    name_static_files_without_manifest,
    prepare_environment,
    redis_calls,
    redis_client,
)

CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", default="{{ cookiecutter.project_slug }}.settings", help="settings module")
    parser.add_argument("--database-url", default="sqlite://:memory:", help="default: an in-memory SQLite")
    parser.add_argument("--redis-url", default="", help="cache and sessions on Redis (default: none)")
    parser.add_argument("--session-engine", choices=["db", "cache", "cached_db"], help="default: the settings'")
    parser.add_argument("--tries", type=int, default=5, help="sign-ins counted of each kind (default: 5)")
    arguments = parser.parse_args(argv)
    if arguments.tries < 1:
        parser.error("--tries must be at least 1")
    return arguments


def count_one_post(client, form, redis):
    """POST the sign-in form once; return (status, SQL queries, Redis commands) of that request alone."""
    from django.db import connection

    status, body = client.request("GET", LOGIN)
    form = {**form, "csrfmiddlewaretoken": CSRF_FIELD.search(body).group(1).decode()}
    if redis is not None:
        redis.config_resetstat()
    connection.queries_log.clear()
    status, _ = client.request("POST", LOGIN, form, headers={"Origin": f"https://{HOST}"})
    queries = [
        query["sql"] for query in connection.queries if not query["sql"].upper().startswith(TRANSACTION_CONTROL)
    ]
    return status, len(queries), redis_calls(redis, {}) if redis is not None else 0


def run(arguments):
    import django
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    django.setup(set_prefix=False)
    name_static_files_without_manifest(settings)
    call_command("migrate", interactive=False, verbosity=0)
    # Hash cheaply: the hash is not what this counts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    password = secrets.token_urlsafe()
    user = get_user_model().objects.create_user(f"benchmark-{secrets.token_hex(4)}", password=password)
    application, redis = get_wsgi_application(), redis_client()
    figures = {"right password": [], "wrong password": []}
    connection.force_debug_cursor = True
    try:
        for _ in range(arguments.tries):
            for kind, given in (("right password", password), ("wrong password", "not the password")):
                status, queries, commands = count_one_post(
                    WsgiClient(application, {}), {"username": user.get_username(), "password": given}, redis
                )
                expected = 302 if kind == "right password" else 200
                if status != expected:
                    sys.exit(f"benchmark: a sign-in with the {kind} answered {status}, not {expected}")
                figures[kind].append((queries, commands))
            # Start each round with no failure counted, as a user's first try.
            call_command("axes_reset", verbosity=0)
    finally:
        connection.force_debug_cursor = False
        user.delete()
    lines = [
        f"Sign-in: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, cache "
        f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, {arguments.tries} tries of each"
    ]
    for kind, counted in figures.items():
        queries = statistics.median(count for count, _ in counted)
        commands = statistics.median(count for _, count in counted)
        lines.append(f"  {kind}: {queries:g} SQL queries, {commands:g} Redis commands (median)")
    return "\n".join(lines)


def main():
    arguments = parse_arguments()
    prepare_environment(arguments)
    # The figures get their own copy of stdout; whatever the project logs goes to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    with out:
        out.write(run(arguments) + "\n")


if __name__ == "__main__":
    main()
