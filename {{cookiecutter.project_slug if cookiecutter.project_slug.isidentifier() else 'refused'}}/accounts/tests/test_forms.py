"""A passkey challenge is claimed once in the shared cache; without the cache, assertions are refused."""

import pytest
from django.core.cache import cache

from accounts.forms import claim_challenge

# The cache may be the database's (the db engine without Redis).
pytestmark = pytest.mark.django_db


def test_a_challenge_is_claimed_once():
    assert claim_challenge("c2FtZS1jaGFsbGVuZ2U")
    assert not claim_challenge("c2FtZS1jaGFsbGVuZ2U")
    assert claim_challenge("YW5vdGhlci1jaGFsbGVuZ2U")


def test_no_challenge_is_never_claimed():
    assert not claim_challenge("")


def test_without_the_cache_no_assertion_passes(monkeypatch, caplog):
    def outage(*args, **kwargs):
        raise ConnectionError("the cache does not answer")

    monkeypatch.setattr(cache, "add", outage)

    assert not claim_challenge("c2FtZS1jaGFsbGVuZ2U")
    assert "refusing the assertion" in caplog.text


@pytest.mark.parametrize("form", ["authenticate_webauthn", "reauthenticate_webauthn", "login_webauthn"])
def test_every_passkey_form_claims_its_challenge(form):
    from allauth.mfa import app_settings
    from django.utils.module_loading import import_string

    from accounts.forms import SingleUseAssertionMixin

    assert issubclass(import_string(app_settings.FORMS[form]), SingleUseAssertionMixin)
