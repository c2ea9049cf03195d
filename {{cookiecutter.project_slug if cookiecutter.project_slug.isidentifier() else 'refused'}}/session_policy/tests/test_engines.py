"""The session engines: only keys Django issues, and a cache outage the async API rides out too."""

import asyncio
import logging

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.backends.base import SessionBase
from django.db import connections

from session_policy.backends import cache, cached_db, db
from session_policy.tests.test_cache_outage import UNREACHABLE

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_KEYS = [
    "\x00" * 32,
    "a" * 31 + "\x00",
    "A" * 32,
    "a" * 33,
    "a" * 8,
    "'; DROP TABLE x; --" + "a" * 13,
    "é" * 32,
]


@pytest.mark.parametrize("engine", [cache, cached_db, db], ids=["cache", "cached_db", "db"])
@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=repr)
def test_a_key_django_never_issues_is_no_session(engine, key):
    store = engine.SessionStore(key)

    assert store.session_key is None
    assert store.load() == {}
    assert not store.exists(key)


@pytest.mark.parametrize("engine", [cache, cached_db, db], ids=["cache", "cached_db", "db"])
def test_issued_keys_still_work(engine):
    store = engine.SessionStore()
    store["answer"] = 42
    store.save()

    assert isinstance(store, SessionBase)
    assert engine.SessionStore(store.session_key).load() == {"answer": 42}


def test_the_async_api_rides_out_a_cache_outage_and_logs_it_as_django_does(settings, caplog):
    settings.CACHES = UNREACHABLE

    async def use_sessions():
        store = cached_db.SessionStore()
        await store.aset("answer", 42)
        await store.asave()
        key = store.session_key
        loaded = await cached_db.SessionStore(key).aload()
        exists = await store.aexists(key)
        await store.adelete()
        exists_after = await store.aexists(key)
        # The async ORM ran in a thread of its own: leave no connection open there.
        await sync_to_async(connections.close_all)()
        return loaded, exists, exists_after

    with caplog.at_level(logging.ERROR, logger="django.contrib.sessions"):
        loaded, existed, exists_after = asyncio.run(use_sessions())

    assert loaded == {"answer": 42}
    assert existed
    assert not exists_after
    failures = [record for record in caplog.records if record.name == "django.contrib.sessions"]
    assert failures
    assert {record.levelno for record in failures} == {logging.ERROR}
