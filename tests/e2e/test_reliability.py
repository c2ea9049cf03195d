"""A baked project under load and faults: nothing lost, nobody let in.

Two gunicorn instances with production settings share a real PostgreSQL and
Redis on 127.0.0.1. Visitors, each their own user, sign in and browse from
their own address and browser while the test stops Redis, freezes it, or
stops PostgreSQL. Every page is checked for whose it is. The figures are
printed (pytest -s shows them) and summarised in docs/reliability.md.
"""

import contextlib
import os
import secrets
import signal
import threading
import time

import pytest
import redis

from tests.support.services import PostgresServer, RedisServer
from tests.support.stack import GunicornInstance
from tests.support.visitors import Tally, Visitor, browse_until, create_visitors, in_parallel

LOAD_VISITORS = 200
FAULT_VISITORS = 30
SESSION_CACHE_PREFIX = ":1:django.contrib.sessions.cached_db"


@pytest.fixture(scope="module")
def servers():
    """A PostgreSQL and a Redis of this module's own: the tests stop them."""
    with PostgresServer() as postgres, RedisServer() as redis_server:
        yield postgres, redis_server


@pytest.fixture(scope="module")
def cluster(bake_project, project_python, servers):
    """Start (once per engine) two instances of a baked project; return them."""
    postgres, redis_server = servers
    running = {}
    with contextlib.ExitStack() as stack:

        def start(engine):
            if engine not in running:
                project = bake_project(session_engine=engine)
                # Instances of one deployment share their secret key, as they share everything else.
                secret_key = secrets.token_urlsafe(50)
                instances = [
                    GunicornInstance(
                        project,
                        project_python,
                        database_url=postgres.url,
                        redis_url=redis_server.url,
                        secret_key=secret_key,
                    )
                    for _ in range(2)
                ]
                # What the image build and the migrate service do before the app starts.
                instances[0].manage("collectstatic", "--noinput", "-v", "0")
                instances[0].manage("migrate", "--noinput")
                create_visitors(instances[0], LOAD_VISITORS)
                for instance in instances:
                    stack.enter_context(instance)
                running[engine] = instances
            return running[engine]

        yield start


def signed_in_visitors(instances, count, first=0):
    tally = Tally()
    visitors = [Visitor(number, instances, tally) for number in range(first, first + count)]
    assert all(in_parallel(visitors, Visitor.sign_in)), tally.summary()
    return visitors, tally


def during(seconds, fault_at, fault, recovery_at, recovery):
    """Run fault() and recovery() at their times in a thread, while the caller browses."""

    def scenario():
        time.sleep(fault_at)
        fault()
        time.sleep(recovery_at - fault_at)
        recovery()

    thread = threading.Thread(target=scenario)
    thread.start()
    return thread, time.monotonic() + seconds


def report(title, tally, **figures):
    extra = "; ".join(f"{name.replace('_', ' ')} {value}" for name, value in figures.items())
    print(f"\n[reliability] {title}: {tally.summary()}" + (f"; {extra}" if extra else ""))


def test_two_hundred_visitors_never_see_each_others_pages(cluster):
    instances = cluster("cached_db")
    started = time.monotonic()

    visitors, tally = signed_in_visitors(instances, LOAD_VISITORS)
    pages = browse_until(visitors, time.monotonic() + 20, pause=0.5)

    report("load", tally, visitors=len(visitors), pages=sum(pages), seconds=round(time.monotonic() - started))
    assert tally.mixups == 0
    assert tally.server_errors == 0
    assert tally.statuses[503] == 0
    assert tally.signed_out == 0
    assert all(pages)


def test_a_redis_restart_signs_nobody_out_with_cached_db(cluster, servers):
    _, redis_server = servers
    instances = cluster("cached_db")
    visitors, tally = signed_in_visitors(instances, FAULT_VISITORS)

    scenario, deadline = during(15, 3, redis_server.stop, 9, redis_server.start)
    pages = browse_until(visitors, deadline)
    scenario.join()

    report("redis restart, cached_db", tally, visitors=len(visitors), redis_down_seconds=6)
    assert tally.mixups == 0
    assert tally.server_errors == 0
    assert tally.statuses[503] == 0
    assert tally.signed_out == 0
    assert all(pages)


def test_a_revocation_while_redis_is_frozen_stays_revoked(cluster, servers):
    _, redis_server = servers
    instances = cluster("cached_db")
    (victim, bystander), tally = signed_in_visitors(instances, 2, first=100)
    stolen_key = victim.cookies["__Host-sessionid"]
    cache = redis.Redis.from_url(redis_server.url)

    os.kill(redis_server.pid, signal.SIGSTOP)
    try:
        # Another process revokes, as the sessions page or an administrator would.
        instances[0].manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            "from session_policy import registry\n"
            f"registry.revoke_all(get_user_model().objects.get(username={victim.username!r}), reason='test')",
        )
    finally:
        os.kill(redis_server.pid, signal.SIGCONT)

    # Redis came back with its copy of the victim's session: the danger is real.
    assert cache.exists(SESSION_CACHE_PREFIX + stolen_key)
    assert not victim.visit_home()
    assert tally.signed_out == 1
    assert bystander.visit_home()
    report("revocation while redis frozen", tally)


def test_a_redis_outage_with_the_cache_engine_fails_cleanly_and_recovers(cluster, servers):
    _, redis_server = servers
    instances = cluster("cache")
    visitors, tally = signed_in_visitors(instances, FAULT_VISITORS, first=150)

    before = tally.statuses.copy()
    redis_server.stop()
    try:
        during_outage = in_parallel(visitors, Visitor.visit_home)
    finally:
        redis_server.start()
    outage_statuses = dict(tally.statuses - before)
    # The sessions lived only in Redis, which kept nothing: everyone signs in again.
    signed_in_again = in_parallel(visitors, Visitor.sign_in)
    back = in_parallel(visitors, Visitor.visit_home)

    report("redis outage, cache engine", tally, during_outage=outage_statuses)
    assert not any(during_outage)
    assert tally.mixups == 0
    assert tally.server_errors == 0
    assert all(signed_in_again)
    assert all(back)


def test_a_database_outage_answers_503_and_recovers_by_itself(cluster, servers):
    postgres, _ = servers
    instances = cluster("cached_db")
    visitors, tally = signed_in_visitors(instances, FAULT_VISITORS, first=50)

    postgres.stop()
    try:
        during_outage = in_parallel(visitors, Visitor.visit_home)
        health_during_outage = [instance.health() for instance in instances]
    finally:
        postgres.start()
    recovered = wait_for(lambda: all(instance.health() == 200 for instance in instances), seconds=30)
    back = in_parallel(visitors, Visitor.visit_home)

    report("database outage", tally, health_during_outage=health_during_outage)
    assert not any(during_outage)
    assert tally.statuses[503] == len(visitors)
    assert health_during_outage == [503, 503]
    assert recovered
    assert all(back)
    assert tally.mixups == 0
    assert tally.server_errors == 0


def wait_for(condition, *, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False
