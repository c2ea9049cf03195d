"""Malformed passkey credentials get a form error, never a server error; the passkey pages load.

A credential is JSON the browser builds from base64url fields and CBOR; a
hostile client can post anything in its place. allauth catches some of what
its WebAuthn library raises on bad input, not all: accounts/forms.py turns
the rest into the same "incorrect" answer.
"""

import base64
import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


CLIENT_DATA = b64(
    json.dumps({"type": "webauthn.create", "challenge": "AAAA", "origin": "https://testserver"}).encode()
)
HOSTILE_CREDENTIALS = {
    "a string": '"credential"',
    "a list": "[1, 2, 3]",
    "an empty object": "{}",
    "bad base64": json.dumps(
        {
            "id": "!!",
            "rawId": "!!",
            "type": "public-key",
            "response": {"clientDataJSON": "!!", "attestationObject": "!!"},
        }
    ),
    "bad CBOR": json.dumps(
        {
            "id": "AAAA",
            "rawId": "AAAA",
            "type": "public-key",
            "response": {"clientDataJSON": CLIENT_DATA, "attestationObject": b64(b"\xff\x00\x13\x37not cbor")},
        }
    ),
    "truncated CBOR": json.dumps(
        {
            "id": "AAAA",
            "rawId": "AAAA",
            "type": "public-key",
            "response": {"clientDataJSON": CLIENT_DATA, "attestationObject": b64(b"\xa3\x63fmt")},
        }
    ),
    "wrong field types": json.dumps(
        {"id": 1, "rawId": [], "type": None, "response": {"clientDataJSON": 5, "attestationObject": {}}}
    ),
    "assertion fields": json.dumps(
        {
            "id": "AAAA",
            "rawId": "AAAA",
            "type": "public-key",
            "response": {"clientDataJSON": CLIENT_DATA, "authenticatorData": "!!", "signature": b64(b"x")},
        }
    ),
}


@pytest.fixture
def signed_in(client, user, sign_in):
    sign_in(client, user)
    return client


def test_the_passkey_list_loads(signed_in):
    assert signed_in.get(reverse("mfa_list_webauthn")).status_code == 200


@pytest.mark.parametrize("credential", list(HOSTILE_CREDENTIALS.values()), ids=list(HOSTILE_CREDENTIALS))
def test_adding_a_malformed_passkey_is_refused_cleanly(signed_in, credential):
    signed_in.get(reverse("mfa_add_webauthn"))  # begins the registration, as the page does

    response = signed_in.post(reverse("mfa_add_webauthn"), {"name": "key", "credential": credential})

    assert response.status_code == 200
    assert "credential" in response.context["form"].errors or response.context["form"].non_field_errors()


@pytest.mark.parametrize("credential", list(HOSTILE_CREDENTIALS.values()), ids=list(HOSTILE_CREDENTIALS))
def test_signing_in_with_a_malformed_passkey_is_refused_cleanly(client, credential):
    client.get(reverse("mfa_login_webauthn"), headers={"x-requested-with": "XMLHttpRequest"})

    response = client.post(reverse("mfa_login_webauthn"), {"credential": credential})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert "_auth_user_id" not in client.session
