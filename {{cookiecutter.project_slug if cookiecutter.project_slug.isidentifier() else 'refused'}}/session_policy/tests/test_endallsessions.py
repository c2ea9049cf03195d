"""endallsessions leaves no session alive, whoever it belonged to."""

from io import StringIO

import pytest
from django.core.management import call_command

from session_policy.models import UserSession
from session_policy.tests.conftest import is_signed_in, session_key, stored

pytestmark = pytest.mark.django_db


def test_every_session_ends(https_client, user, django_user_model, password, sign_in, replay):
    other = django_user_model.objects.create_user("bob", "bob@example.com", password)
    clients = [https_client(), https_client(), https_client()]
    sign_in(clients[0], user)
    sign_in(clients[1], user)
    sign_in(clients[2], other)
    keys = [session_key(client) for client in clients]
    output = StringIO()

    call_command("endallsessions", stdout=output)

    assert "Ended 3 signed-in session(s)" in output.getvalue()
    assert not any(stored(key) for key in keys)
    assert not any(is_signed_in(replay(key)) for key in keys)
    assert not UserSession.objects.exists()
