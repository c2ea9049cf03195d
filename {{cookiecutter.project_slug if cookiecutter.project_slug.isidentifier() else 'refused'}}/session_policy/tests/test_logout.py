"""Signing out ends the session on the server and clears the browser."""

import pytest
from django.conf import settings

from session_policy.models import UserSession
from session_policy.tests.conftest import is_signed_in, session_key, stored

pytestmark = pytest.mark.django_db


def test_logout_ends_the_session_everywhere(client, user, sign_in, replay):
    sign_in(client, user)
    key = session_key(client)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value == ""
    assert cookie["max-age"] == 0
    assert not stored(key)
    assert not UserSession.objects.exists()
    assert not is_signed_in(replay(key))


@pytest.mark.parametrize("path", ["/", "/accounts/sessions/", "/accounts/password/change/"])
def test_every_signed_in_page_has_a_logout_button(client, user, sign_in, path):
    sign_in(client, user)

    response = client.get(path)

    assert response.status_code == 200
    assert '<form method="post" action="/accounts/logout/">' in response.text
