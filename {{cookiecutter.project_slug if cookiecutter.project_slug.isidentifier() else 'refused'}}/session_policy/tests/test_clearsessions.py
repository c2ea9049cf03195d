"""clearsessions drops timed-out sessions from the store and the index, and only those."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from session_policy.models import UserSession
from session_policy.tests.conftest import is_signed_in, session_key, stored

pytestmark = pytest.mark.django_db


def test_timed_out_sessions_leave_the_index_and_live_ones_stay(https_client, user, sign_in, clock, policy):
    policy(IDLE_TIMEOUT=timedelta(minutes=30))
    abandoned, active = https_client(), https_client()
    sign_in(abandoned, user)
    clock.advance(minutes=20)
    sign_in(active, user)
    clock.advance(minutes=15)
    output = StringIO()

    call_command("clearsessions", stdout=output)

    assert "Dropped 1 timed-out session(s)" in output.getvalue()
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [session_key(active)]
    assert not stored(session_key(abandoned))
    assert is_signed_in(active.get("/"))
