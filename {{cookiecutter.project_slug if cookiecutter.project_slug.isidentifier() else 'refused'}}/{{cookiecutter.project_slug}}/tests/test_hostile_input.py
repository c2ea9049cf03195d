"""Hostile input gets a 4xx or a clean anonymous answer: never a 500, never a session.

Property-based: hypothesis generates the garbage, including the cases nobody
thinks of, and shrinks any failure to its simplest form.
"""

from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

# The fixtures (a client, one user) are safe to share between examples.
fuzz = hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=300)
ANY_TEXT = st.text(max_size=200) | st.binary(max_size=200).map(lambda data: data.decode("latin-1"))


def is_anonymous(response):
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@fuzz
@given(value=HEADER_TEXT | st.text(min_size=4000, max_size=5000, alphabet="abcdefghijklmnopqrstuvwxyz0123456789"))
def test_a_forged_session_cookie_is_anonymous(https_client, value):
    client = https_client()
    client.cookies[settings.SESSION_COOKIE_NAME] = value

    assert is_anonymous(client.get("/"))


# Every near miss of the real name, whichever prefix this project's cookie has.
NEAR_MISSES = ["sessionid", "__Secure-sessionid", "__Host-sessionid", "__host-sessionid", "__Host-sessionid_"]


@pytest.mark.parametrize("name", [name for name in NEAR_MISSES if name != settings.SESSION_COOKIE_NAME])
def test_a_session_cookie_under_another_name_is_ignored(client, user, sign_in, https_client, name):
    sign_in(client, user)
    thief = https_client()
    thief.cookies[name] = client.cookies[settings.SESSION_COOKIE_NAME].value

    assert is_anonymous(thief.get("/"))


@fuzz
@given(username=ANY_TEXT | st.text(min_size=5000, max_size=6000), password=ANY_TEXT)
def test_a_hostile_sign_in_form_never_signs_in_nor_fails(https_client, user, username, password):
    client = https_client()

    response = client.post("/accounts/login/", {"username": username, "password": password})

    assert response.status_code in (200, 400, 429)
    assert "_auth_user_id" not in client.session


@fuzz
@given(target=HEADER_TEXT | st.sampled_from(["//evil.example", "https://evil.example", "/\\evil.example", "\x00"]))
def test_next_never_leads_off_site(https_client, user, password, target):
    client = https_client()

    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": password, "next": target},
        REMOTE_ADDR="203.0.113.1",
    )

    assert response.status_code == 302
    # Resolved as a browser would, the redirect stays on this site.
    assert urlsplit(urljoin("https://testserver/accounts/login/", response["Location"])).netloc == "testserver"


@fuzz
@given(forwarded_for=HEADER_TEXT, remote_addr=HEADER_TEXT)
def test_hostile_forwarded_headers_are_harmless(https_client, user, sign_in, forwarded_for, remote_addr):
    client = https_client()

    response = client.get("/", headers={"x-forwarded-for": forwarded_for}, REMOTE_ADDR=remote_addr)

    assert is_anonymous(response)


@fuzz
@given(host=HEADER_TEXT)
def test_a_hostile_host_header_is_refused_or_served_plainly(https_client, host):
    response = https_client().get("/accounts/login/", headers={"host": host})

    assert response.status_code in (200, 400)


def test_a_refused_host_gets_the_plain_400_page(https_client):
    response = https_client().get("/", headers={"host": "evil.example"})

    assert response.status_code == 400
    assert "The request could not be understood." in response.text
