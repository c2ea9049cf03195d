"""Cached database sessions that survive a cache outage, and whose ends stay ended.

Django's cached_db engine shrugs off some cache errors, but not a failed
refill after a miss, a failed delete or a membership test, in its sync or its
async API: with Redis down those raise. Here every cache operation is best
effort and the database stays the source of truth, so sessions keep working,
more slowly, until the cache is back. Failures are logged at ERROR on
"django.contrib.sessions", where Django logs its own.

A delete the cache did not take leaves a copy there that a frozen Redis
serves again once it thaws. When the store knows whose session it was (it
has loaded it, as when rotation deletes the old key), the end is recorded on
that user, whom every request loads anyway, so the copy is refused
(registry.mark_ended). The policy's own ends record themselves in any case.
"""

import logging

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore

from session_policy.backends import IssuedKeysOnly, is_issued_key

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(IssuedKeysOnly, cached_db.SessionStore):
    def load(self):
        _, data = self._attempt("reading from", self._cache.get, self.cache_key)
        if data is not None:
            return data
        record = self._get_session_from_db()
        if record is None:
            return {}
        data = self.decode(record.session_data)
        self._attempt(
            "saving to", self._cache.set, self.cache_key, data, self.get_expiry_age(expiry=record.expire_date)
        )
        return data

    async def aload(self):
        _, data = await self._aattempt("reading from", self._cache.aget, await self.acache_key())
        if data is not None:
            return data
        record = await self._aget_session_from_db()
        if record is None:
            return {}
        data = self.decode(record.session_data)
        expiry = await self.aget_expiry_age(expiry=record.expire_date)
        await self._aattempt("saving to", self._cache.aset, await self.acache_key(), data, expiry)
        return data

    # The database alone answers: it holds every session the cache does.
    def exists(self, session_key):
        return is_issued_key(session_key) and DBStore.exists(self, session_key)

    async def aexists(self, session_key):
        return is_issued_key(session_key) and await DBStore.aexists(self, session_key)

    def save(self, must_create=False):
        DBStore.save(self, must_create)
        self._attempt("saving to", self._cache.set, self.cache_key, self._session, self.get_expiry_age())

    async def asave(self, must_create=False):
        await DBStore.asave(self, must_create)
        expiry = await self.aget_expiry_age()
        await self._aattempt("saving to", self._cache.aset, await self.acache_key(), self._session, expiry)

    def delete(self, session_key=None):
        key = session_key or self.session_key
        if key is None:
            return
        user_id = self._user_id()
        DBStore.delete(self, key)
        deleted, _ = self._attempt("deleting from", self._cache.delete, self.cache_key_prefix + key)
        if not deleted:
            self._record_end(user_id, key)

    async def adelete(self, session_key=None):
        key = session_key or self.session_key
        if key is None:
            return
        user_id = self._user_id()
        await DBStore.adelete(self, key)
        deleted, _ = await self._aattempt("deleting from", self._cache.adelete, self.cache_key_prefix + key)
        if not deleted:
            await self._arecord_end(user_id, key)

    def _user_id(self):
        """Whose session this store has loaded, if it has."""
        return (getattr(self, "_session_cache", None) or {}).get(SESSION_KEY)

    @staticmethod
    def _record_end(user_id, key):
        if user_id is not None:
            from session_policy import registry  # the registry's models load after the engines

            registry.mark_ended({user_id: [key]})

    async def _arecord_end(self, user_id, key):
        from asgiref.sync import sync_to_async

        await sync_to_async(self._record_end)(user_id, key)

    def _attempt(self, doing, operation, *args):
        """Run a cache operation; return (True, its result), or (False, None) when the cache failed."""
        try:
            return True, operation(*args)
        except Exception:
            logger.exception("Error %s cache (%s)", doing, self._cache)
            return False, None

    async def _aattempt(self, doing, operation, *args):
        try:
            return True, await operation(*args)
        except Exception:
            logger.exception("Error %s cache (%s)", doing, self._cache)
            return False, None
