"""A session revoked by one process is dead in every other one at once.

Needs stores that processes share: PostgreSQL (DATABASE_URL) and, for the
cache engines, Redis (REDIS_URL). The test database is then real and the
revoking process reaches it like any other gunicorn worker would.
"""

import os
import subprocess
import sys

import pytest
from django.db import connection

from session_policy.checks import check_session_cache_is_shared
from session_policy.tests.conftest import is_signed_in, session_key, stored

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        # The system check knows when the sessions' cache is one process's own.
        connection.vendor == "sqlite" or check_session_cache_is_shared(app_configs=None),
        reason="needs stores shared between processes: set DATABASE_URL (PostgreSQL) and REDIS_URL",
    ),
]

REVOKE_IN_ANOTHER_PROCESS = """
import django
django.setup()
from django.contrib.auth import get_user_model
from session_policy import registry
user = get_user_model().objects.get(username="alice")
print(registry.revoke_all(user, reason="test"))
"""


def test_a_revocation_in_another_process_is_seen_here(https_client, user, sign_in, replay):
    laptop, phone = https_client(), https_client()
    sign_in(laptop, user)
    sign_in(phone, user)
    keys = [session_key(laptop), session_key(phone)]
    assert all(stored(key) for key in keys)

    # The other process reads the test database, which pytest-django named.
    environment = os.environ | {"DATABASE_URL": database_url(connection.settings_dict)}
    result = subprocess.run(
        [sys.executable, "-c", REVOKE_IN_ANOTHER_PROCESS],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )

    # The last line is the count; the audit trail's lines come before it.
    assert result.stdout.splitlines()[-1] == "2"
    assert not any(stored(key) for key in keys)
    assert not is_signed_in(laptop.get("/"))
    assert not any(is_signed_in(replay(key)) for key in keys)


def database_url(database):
    return "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(**database)
