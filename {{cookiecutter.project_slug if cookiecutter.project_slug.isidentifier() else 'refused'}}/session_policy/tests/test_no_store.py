"""Pages of a signed-in user are kept out of every cache, the back button's included."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/accounts/sessions/", "/accounts/password/change/"])
def test_signed_in_pages_are_never_stored(client, user, sign_in, path):
    sign_in(client, user)

    response = client.get(path)

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_sign_out_response_is_never_stored(client, user, sign_in):
    sign_in(client, user)

    response = client.post("/accounts/logout/")

    assert "no-store" in response["Cache-Control"]


def test_after_sign_out_the_back_button_shows_nothing_private(client, user, sign_in):
    sign_in(client, user)
    client.post("/accounts/logout/")

    response = client.get("/")

    assert response.status_code == 302
    assert user.username not in response.text
