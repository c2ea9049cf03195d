"""Steady use writes the session store at most once per activity window."""

from datetime import timedelta

import pytest

from session_policy import conf
from session_policy.registry import session_store
from session_policy.tests.conftest import session_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def store_writes(monkeypatch):
    """Count saves of the configured session engine."""
    store = session_store()
    writes = []
    original_save = store.save

    def counting_save(self, *args, **kwargs):
        writes.append(self.session_key)
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(store, "save", counting_save)
    return writes


def test_a_thousand_steady_requests_cost_at_most_twenty_writes(client, user, sign_in, clock, policy, store_writes):
    policy(
        IDLE_TIMEOUT=timedelta(minutes=30),
        ROTATION_INTERVAL=timedelta(minutes=15),
        ACTIVITY_GRANULARITY=timedelta(seconds=60),
    )
    sign_in(client, user)
    store_writes.clear()

    for _ in range(1000):
        clock.advance(seconds=1)
        assert client.get("/").status_code == 200

    # 1,000 s of use: 16 activity stamps and one rotation.
    assert len(store_writes) <= 20


def test_activity_is_stamped_once_per_window(client, user, sign_in, clock, store_writes):
    window = conf.policy().activity_granularity
    sign_in(client, user)
    key_before_window = session_key(client)
    store_writes.clear()

    for _ in range(5):
        clock.advance(seconds=window / 6)
        client.get("/")
    assert store_writes == []

    clock.advance(seconds=window / 6)
    client.get("/")
    # One write, or the rotation's when it falls due at the same moment (a
    # one-minute rotation): either way only the session's current key.
    assert store_writes
    assert set(store_writes) == {session_key(client)}
    assert len(store_writes) == 1 or session_key(client) != key_before_window
    store_writes.clear()
    client.get("/")
    assert store_writes == []
