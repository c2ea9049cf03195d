"""Cached database sessions that survive a cache outage.

Django's cached_db engine already shrugs off some cache errors, but not a
failed refill after a miss, a failed delete or a membership test: with Redis
down those become 500s. Here every cache operation is best effort; the
database stays the source of truth, so sessions keep working, more slowly,
until the cache is back.
"""

import logging

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    def load(self):
        data = self._from_cache()
        if data is not None:
            return data
        record = self._get_session_from_db()
        if record is None:
            return {}
        data = self.decode(record.session_data)
        self._to_cache(data, self.get_expiry_age(expiry=record.expire_date))
        return data

    def exists(self, session_key):
        return super(cached_db.SessionStore, self).exists(session_key)

    def save(self, must_create=False):
        super(cached_db.SessionStore, self).save(must_create)
        self._to_cache(self._session, self.get_expiry_age())

    def delete(self, session_key=None):
        key = session_key or self.session_key
        super(cached_db.SessionStore, self).delete(session_key)
        if key is not None:
            self._best_effort(self._cache.delete, self.cache_key_prefix + key)

    def _from_cache(self):
        return self._best_effort(self._cache.get, self.cache_key)

    def _to_cache(self, data, timeout):
        self._best_effort(self._cache.set, self.cache_key, data, timeout)

    def _best_effort(self, operation, *args):
        try:
            return operation(*args)
        except Exception:
            logger.warning("Session cache unavailable (%s); using the database alone.", self._cache, exc_info=True)
            return None
