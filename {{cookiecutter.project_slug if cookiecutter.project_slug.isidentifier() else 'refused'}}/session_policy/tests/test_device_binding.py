"""Device-bound sessions: a browser that proved its key keeps the session; a copied cookie does not.

Device plays the browser's side of the protocol: a P-256 key that signs the
server's challenges as ES256 JWTs.
"""

import base64
import importlib
import json
import re
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from session_policy import device_binding, registry
from session_policy.checks import check_device_binding_is_consistent
from session_policy.device_binding import RACE_GRACE, InvalidProof, verify_proof
from session_policy.tests.conftest import is_signed_in, session_key, stored
from session_policy.tests.test_cache_outage import UNREACHABLE

pytestmark = pytest.mark.django_db

REGISTER = "/accounts/device-binding/register/"
REFRESH = "/accounts/device-binding/refresh/"
OFFER = re.compile(r'\(ES256\);path="([^"]+)";challenge="([^"]+)"')
CHALLENGE = re.compile(r'"([^"]+)";id="([^"]+)"')
COOKIE_AGE = timedelta(minutes=10)


def encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode_json(value):
    return encode(json.dumps(value).encode())


class Device:
    """The browser's key pair and the JWTs it signs."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())

    def jwk(self):
        numbers = self.key.public_key().public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": encode(numbers.x.to_bytes(32)),
            "y": encode(numbers.y.to_bytes(32)),
        }

    def sign(self, challenge, *, embed_key=False, **header):
        """Return a DBSC JWT over challenge; header entries override the right ones."""
        header = {"alg": "ES256", "typ": "dbsc+jwt", **({"jwk": self.jwk()} if embed_key else {}), **header}
        signing_input = f"{encode_json(header)}.{encode_json({'jti': challenge})}"
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{encode(r.to_bytes(32) + s.to_bytes(32))}"


class Browser:
    """A test client with a device, speaking the protocol as a browser with DBSC does."""

    def __init__(self, client):
        self.client = client
        self.device = Device()
        self.session_id = None
        self.challenge = None

    def register(self, proof):
        return self.client.post(REGISTER, headers={"secure-session-response": proof})

    def refresh(self, proof=None):
        headers = {"sec-secure-session-id": f'"{self.session_id}"'}
        if proof is not None:
            headers["secure-session-response"] = proof
        return self.client.post(REFRESH, headers=headers)

    def remember_challenge(self, response):
        self.challenge, self.session_id = CHALLENGE.fullmatch(response["Secure-Session-Challenge"]).groups()

    def sign_in_and_register(self, sign_in, user):
        _, challenge = offer(sign_in(self.client, user))
        response = self.register(self.device.sign(challenge, embed_key=True))
        assert response.status_code == 200, response.content
        self.remember_challenge(response)
        return response

    def refreshed(self):
        """Refresh with the challenge the last answer gave; return the answer."""
        response = self.refresh(self.device.sign(self.challenge))
        assert response.status_code == 200, response.content
        self.remember_challenge(response)
        return response


def offer(response):
    """Return the (path, challenge) a response offers for registration."""
    return OFFER.fullmatch(response["Secure-Session-Registration"]).groups()


def bound_cookie(response):
    return response.cookies[settings.SESSION_POLICY["DEVICE_BINDING_COOKIE_NAME"]]


@pytest.fixture(autouse=True)
def _device_binding_on(policy):
    policy(DEVICE_BINDING=True, DEVICE_BINDING_COOKIE_AGE=COOKIE_AGE)


@pytest.fixture
def browser(https_client):
    return Browser(https_client())


@pytest.fixture
def registered(browser, sign_in, user):
    """A browser signed in and registered, that has sent nothing since."""
    browser.sign_in_and_register(sign_in, user)
    return browser


@pytest.fixture
def bound(registered):
    """A browser signed in and registered, whose next page carried its bound cookie."""
    assert is_signed_in(registered.client.get("/"))
    return registered


# Offering and registering --------------------------------------------------------------------------------------


def test_sign_in_offers_registration_on_its_own_response_only(client, user, sign_in):
    path, challenge = offer(sign_in(client, user))

    assert path == reverse("device_binding_register") == REGISTER
    assert len(challenge) >= 43
    assert "Secure-Session-Registration" not in client.get("/")


def test_a_browser_that_never_registers_works_as_before(client, user, sign_in, stay_active):
    sign_in(client, user)

    for _ in range(4):
        stay_active(client, COOKIE_AGE.total_seconds() + RACE_GRACE)
        assert is_signed_in(client.get("/"))


def test_registration_answers_the_session_configuration_and_the_bound_cookie(
    browser, sign_in, user, audit_log, settings
):
    settings.SESSION_COOKIE_SAMESITE = "Lax"

    response = browser.sign_in_and_register(sign_in, user)

    config = response.json()
    name = settings.SESSION_POLICY["DEVICE_BINDING_COOKIE_NAME"]
    assert config == {
        "session_identifier": browser.session_id,
        "refresh_url": REFRESH,
        "scope": {"include_site": False},
        "credentials": [{"type": "cookie", "name": name, "attributes": "Path=/; Secure; HttpOnly; SameSite=Lax"}],
        "allowed_refresh_initiators": [],
    }
    assert name == "__Host-devicebound"
    cookie = bound_cookie(response)
    assert (cookie["path"], cookie["secure"], cookie["httponly"], cookie["samesite"]) == ("/", True, True, "Lax")
    assert cookie["max-age"] == 600
    assert not cookie["domain"]
    assert browser.challenge
    assert [entry["user_id"] for entry in audit_log.of("device_registered")] == [user.pk]


def test_the_bound_cookie_takes_the_session_cookie_samesite(browser, sign_in, user, settings):
    settings.SESSION_COOKIE_SAMESITE = "Strict"

    response = browser.sign_in_and_register(sign_in, user)

    assert bound_cookie(response)["samesite"] == "Strict"
    assert response.json()["credentials"][0]["attributes"].endswith("SameSite=Strict")


def forged_registrations(device, challenge):
    """Registration proofs that must all be refused, by name."""
    good = device.sign(challenge, embed_key=True)
    header, payload, signature = good.split(".")
    other = Device()
    return {
        "garbage": "not a jwt",
        "empty": "",
        "two segments": f"{header}.{payload}",
        "hs256": device.sign(challenge, embed_key=True, alg="HS256"),
        "alg none": f"{encode_json({'alg': 'none', 'typ': 'dbsc+jwt', 'jwk': device.jwk()})}.{payload}.",
        "wrong typ": device.sign(challenge, embed_key=True, typ="JWT"),
        "no key": device.sign(challenge),
        "key of another device": device.sign(challenge, jwk=other.jwk()),
        "not p-256": device.sign(challenge, jwk={**device.jwk(), "crv": "P-384"}),
        "point off the curve": device.sign(challenge, jwk={**device.jwk(), "y": encode(bytes(32))}),
        "der signature": f"{header}.{payload}."
        + encode(device.key.sign(f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))),
        "truncated signature": f"{header}.{payload}.{signature[:-4]}",
        "tampered payload": f"{header}.{encode_json({'jti': challenge + 'x'})}.{signature}",
        "header not an object": f"{encode_json(['ES256'])}.{payload}.{signature}",
        "padded base64": f"{header}==.{payload}.{signature}",
        "deeply nested": f"{encode(b'[' * 1500)}.{payload}.{signature}",
        "oversized": good + "A" * 4096,
        "wrong challenge": device.sign("another-challenge", embed_key=True),
        "non-ascii challenge": device.sign(challenge[:-1] + "é", embed_key=True),
        "lone surrogate challenge": device.sign("\ud800", embed_key=True),
    }


FORGED_REGISTRATIONS = list(forged_registrations(Device(), "c"))


@pytest.mark.parametrize("forgery", FORGED_REGISTRATIONS)
def test_a_forged_registration_is_refused_and_binds_nothing(browser, sign_in, user, replay, forgery):
    _, challenge = offer(sign_in(browser.client, user))

    response = browser.register(forged_registrations(browser.device, challenge)[forgery])

    assert 400 <= response.status_code < 500
    assert settings.SESSION_POLICY["DEVICE_BINDING_COOKIE_NAME"] not in response.cookies
    # Nothing was bound: the session cookie alone still works, and the real proof still registers.
    assert is_signed_in(replay(session_key(browser.client)))
    assert browser.register(browser.device.sign(challenge, embed_key=True)).status_code == 200


def test_a_registration_proof_works_once(browser, sign_in, user):
    _, challenge = offer(sign_in(browser.client, user))
    proof = browser.device.sign(challenge, embed_key=True)
    assert browser.register(proof).status_code == 200

    assert browser.register(proof).status_code == 403


def test_registration_needs_a_signed_in_session(client):
    response = client.post(REGISTER, headers={"secure-session-response": Device().sign("c", embed_key=True)})

    assert response.status_code == 401
    assert response.json()["continue"] is False


# Enforcement --------------------------------------------------------------------------------------------------


def test_the_registered_browser_stays_signed_in(bound):
    for _ in range(3):
        assert is_signed_in(bound.client.get("/"))


def test_after_registration_the_session_cookie_alone_is_refused_and_the_session_ends(bound, user, replay, audit_log):
    key = session_key(bound.client)

    assert not is_signed_in(replay(key))

    assert not stored(key)
    assert not is_signed_in(bound.client.get("/"))
    ended = audit_log.of("session_ended")
    assert [(entry["reason"], entry["user_id"]) for entry in ended] == [("device_unproven", user.pk)]


def without_bound_cookie(browser):
    """The browser's session cookie alone, as on a request sent before registration answered."""
    racer = Browser(type(browser.client)())
    racer.client.cookies[settings.SESSION_COOKIE_NAME] = session_key(browser.client)
    return racer.client


def test_a_request_sent_before_registration_answered_ends_nothing(registered, audit_log):
    # The sign-in redirect's GET, sent with the registration, arrives after it.
    assert is_signed_in(without_bound_cookie(registered).get("/"))

    assert is_signed_in(registered.client.get("/"))
    assert audit_log.of("session_ended") == []


def test_once_the_browser_has_shown_its_bound_cookie_the_cookie_alone_ends_the_session(registered, audit_log, user):
    assert is_signed_in(registered.client.get("/"))

    assert not is_signed_in(without_bound_cookie(registered).get("/"))

    assert not is_signed_in(registered.client.get("/"))
    ended = audit_log.of("session_ended")
    assert [(entry["reason"], entry["user_id"]) for entry in ended] == [("device_unproven", user.pk)]


def test_a_copied_cookie_is_refused_once_the_registration_is_older_than_the_race_grace(registered, clock, replay):
    key = session_key(registered.client)
    clock.advance(seconds=RACE_GRACE + 1)

    assert not is_signed_in(replay(key))
    assert not stored(key)


def test_noting_the_first_proof_writes_the_session_once(registered, monkeypatch):
    writes = []
    # The engine in force: the answers choose it.
    store_class = importlib.import_module(settings.SESSION_ENGINE).SessionStore
    original = store_class.save

    def counting_save(store, *args, **kwargs):
        writes.append(store.session_key)
        return original(store, *args, **kwargs)

    monkeypatch.setattr(store_class, "save", counting_save)
    for _ in range(3):
        assert is_signed_in(registered.client.get("/"))

    assert len(writes) == 1


def test_a_refresh_saving_what_it_read_before_the_first_proof_does_not_undo_it(registered, audit_log, user):
    """The browser refreshes as it sends its first page with the bound cookie (Chromium does, with a
    short-lived cookie): the refresh read the session before that page noted the proof, and saves after."""
    read_by_the_refresh = importlib.import_module(settings.SESSION_ENGINE).SessionStore(session_key(registered.client))
    assert read_by_the_refresh.keys()  # read now, as the refresh's request reads it
    assert is_signed_in(registered.client.get("/"))
    read_by_the_refresh.save()

    assert not is_signed_in(without_bound_cookie(registered).get("/"))

    ended = audit_log.of("session_ended")
    assert [(entry["reason"], entry["user_id"]) for entry in ended] == [("device_unproven", user.pk)]


def test_a_cache_outage_costs_the_first_pages_after_registration_nothing(browser, sign_in, user, settings, audit_log):
    settings.SESSION_ENGINE = "session_policy.backends.cached_db"  # the engine that rides out an outage
    browser.sign_in_and_register(sign_in, user)
    settings.CACHES = UNREACHABLE

    assert is_signed_in(without_bound_cookie(browser).get("/"))  # the sign-in redirect, sent with the registration
    assert is_signed_in(browser.client.get("/"))  # the first page with the bound cookie
    assert is_signed_in(browser.client.get("/"))
    assert audit_log.of("session_ended") == []


def test_a_bound_cookie_of_another_session_does_not_count(https_client, sign_in, user, django_user_model, password):
    alice = Browser(https_client())
    alice.sign_in_and_register(sign_in, user)
    assert is_signed_in(alice.client.get("/"))
    bob = Browser(https_client())
    bob.sign_in_and_register(sign_in, django_user_model.objects.create_user("bob", "bob@example.com", password))
    name = settings.SESSION_POLICY["DEVICE_BINDING_COOKIE_NAME"]

    alice.client.cookies[name] = bob.client.cookies[name].value

    assert not is_signed_in(alice.client.get("/"))
    assert is_signed_in(bob.client.get("/"))


def test_a_tampered_bound_cookie_is_refused(bound):
    name = settings.SESSION_POLICY["DEVICE_BINDING_COOKIE_NAME"]
    value = bound.client.cookies[name].value

    bound.client.cookies[name] = value[:-1] + ("A" if value[-1] != "A" else "B")

    assert not is_signed_in(bound.client.get("/"))


def test_an_expired_bound_cookie_is_refused(bound, stay_active):
    stay_active(bound.client, COOKIE_AGE.total_seconds() + RACE_GRACE + 1)

    assert not is_signed_in(bound.client.get("/"))


def test_a_request_sent_as_the_bound_cookie_expires_still_passes(bound, stay_active):
    # Halfway into the grace: the signed expiry is whole seconds, and a second's margin is too thin to prove it.
    stay_active(bound.client, COOKIE_AGE.total_seconds() + RACE_GRACE // 2)

    assert is_signed_in(bound.client.get("/"))


def test_the_steady_request_costs_no_more_queries_once_bound(https_client, sign_in, user, bound):
    unbound = https_client()
    sign_in(unbound, user)
    unbound.get("/")
    bound.client.get("/")

    counts = []
    for client in (unbound, bound.client):
        with CaptureQueriesContext(connection) as queries:
            assert is_signed_in(client.get("/"))
        counts.append(len(queries))

    assert counts[0] == counts[1]


# Refresh ------------------------------------------------------------------------------------------------------


def test_the_browser_stays_signed_in_across_refreshes_and_rotations(bound, stay_active):
    cookies = set()
    for _ in range(4):
        stay_active(bound.client, COOKIE_AGE.total_seconds() - 60)
        cookies.add(bound_cookie(bound.refreshed()).value)
        assert is_signed_in(bound.client.get("/"))

    assert len(cookies) == 4


def test_a_refresh_without_a_proof_gets_the_challenge_to_sign(bound):
    response = bound.refresh()

    assert response.status_code == 403
    assert CHALLENGE.fullmatch(response["Secure-Session-Challenge"]).groups() == (bound.challenge, bound.session_id)
    assert response.cookies.get(settings.SESSION_POLICY["DEVICE_BINDING_COOKIE_NAME"]) is None
    bound.refreshed()


def test_a_replayed_refresh_proof_gets_a_new_challenge_and_ends_nothing(bound):
    proof = bound.device.sign(bound.challenge)
    assert bound.refresh(proof).status_code == 200

    response = bound.refresh(proof)

    assert response.status_code == 403
    assert response["Secure-Session-Challenge"].startswith(f'"{bound.challenge}"') is False
    bound.remember_challenge(response)
    bound.refreshed()
    assert is_signed_in(bound.client.get("/"))


def test_a_refresh_over_a_challenge_never_issued_is_asked_to_sign_again(bound):
    response = bound.refresh(bound.device.sign("x" * 43))

    assert response.status_code == 403
    assert is_signed_in(bound.client.get("/"))


@pytest.mark.parametrize(
    "forgery",
    ["another key", "embedded key of another device", "garbage", "wrong alg", "oversized"],
)
def test_a_refresh_not_signed_by_the_device_ends_the_session(bound, audit_log, forgery):
    key = session_key(bound.client)
    other = Device()
    proof = {
        "another key": other.sign(bound.challenge),
        # On refresh only the registered key counts, whatever the header embeds.
        "embedded key of another device": other.sign(bound.challenge, embed_key=True),
        "garbage": "x.y.z",
        "wrong alg": bound.device.sign(bound.challenge, alg="ES384"),
        "oversized": bound.device.sign(bound.challenge) + "A" * 4096,
    }[forgery]

    response = bound.refresh(proof)

    assert response.status_code == 401
    assert response.json()["continue"] is False
    assert not stored(key)
    assert not is_signed_in(bound.client.get("/"))
    assert audit_log.of("session_ended")[0]["reason"] == "device_proof_invalid"


@pytest.mark.parametrize(
    "ending",
    ["revocation", "sign-out", "idle timeout", "password change elsewhere"],
)
def test_an_ended_session_tells_the_browser_to_stop_refreshing(bound, user, clock, ending, password):
    if ending == "revocation":
        registry.revoke_all(user, reason="revoked_by_admin")
    elif ending == "sign-out":
        bound.client.post(reverse("logout"))
    elif ending == "idle timeout":
        clock.advance(seconds=settings.SESSION_POLICY["IDLE_TIMEOUT"].total_seconds() + 1)
    else:
        user.set_password(password + " changed")
        user.save()

    response = bound.refresh(bound.device.sign(bound.challenge))

    assert response.status_code == 401
    assert response.json()["continue"] is False
    assert settings.SESSION_POLICY["DEVICE_BINDING_COOKIE_NAME"] not in response.cookies


@pytest.fixture
def racing(monkeypatch):
    """Run an action while a refresh is between reading its session and saving it, as a parallel request would."""

    verify = device_binding.verify_proof

    def during_refresh(action):
        def verify_then_act(*args, **kwargs):
            result = verify(*args, **kwargs)
            action()
            return result

        monkeypatch.setattr(device_binding, "verify_proof", verify_then_act)

    return during_refresh


def test_a_refresh_racing_a_sign_out_is_told_to_stop(bound, user, racing, https_client):
    racing(lambda: registry.revoke_all(user, reason="revoked_by_user"))
    client = bound.client
    client.raise_request_exception = False

    response = bound.refresh(bound.device.sign(bound.challenge))

    assert response.status_code == 401
    assert response.json()["continue"] is False
    assert not is_signed_in(client.get("/"))


def test_a_refresh_racing_a_rotation_is_asked_to_sign_again_and_the_retry_succeeds(bound, racing, settings):
    client = bound.client
    client.raise_request_exception = False

    def rotate_elsewhere():
        store = registry.session_store()(session_key(client))
        store.load()
        old_key = store.session_key
        store.cycle_key()
        assert registry.rekey(old_key, store.session_key)
        # The rotating request's answer gives the browser the new key.
        client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key

    racing(rotate_elsewhere)
    response = bound.refresh(bound.device.sign(bound.challenge))
    racing(lambda: None)

    assert response.status_code == 403
    assert CHALLENGE.fullmatch(response["Secure-Session-Challenge"]).groups() == (bound.challenge, bound.session_id)
    bound.refreshed()
    assert is_signed_in(client.get("/"))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"sec-secure-session-id": "x" * 65},
        {"sec-secure-session-id": "bad id!"},
        {"sec-secure-session-id": "other"},
    ],
    ids=["no id", "id too long", "id not a token", "unknown id"],
)
def test_a_refresh_naming_no_session_of_ours_is_refused(bound, headers):
    response = bound.client.post(REFRESH, headers=headers)

    assert 400 <= response.status_code < 500
    assert is_signed_in(bound.client.get("/"))


def test_the_endpoints_take_only_posts(bound):
    assert bound.client.get(REFRESH).status_code == 405
    assert bound.client.get(REGISTER).status_code == 405


# Re-authentication and the setting ---------------------------------------------------------------------------


def test_reauthentication_offers_registration_again_and_keeps_the_session_id(bound, password):
    response = bound.client.post(reverse("reauthenticate"), {"password": password})
    _, challenge = offer(response)
    old_device, first_id = bound.device, bound.session_id
    bound.device = Device()

    bound.remember_challenge(bound.register(bound.device.sign(challenge, embed_key=True)))

    assert bound.session_id == first_id
    assert bound.refresh(old_device.sign(bound.challenge)).status_code == 401
    assert not is_signed_in(bound.client.get("/"))


def test_switched_off_nothing_is_offered_or_enforced(bound, https_client, sign_in, user, policy, replay):
    policy(DEVICE_BINDING=False)

    assert is_signed_in(replay(session_key(bound.client)))
    fresh = https_client()
    assert "Secure-Session-Registration" not in sign_in(fresh, user)
    assert bound.refresh(bound.device.sign(bound.challenge)).json()["continue"] is False


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)
SEGMENTS = st.text(max_size=60) | JSON_VALUES.map(encode_json) | st.binary(max_size=80).map(encode)
# Well-formed headers with the right alg and typ reach the key and the signature.
HEADERS = st.fixed_dictionaries(
    {"alg": st.just("ES256"), "typ": st.just("dbsc+jwt")}, optional={"jwk": JSON_VALUES}
).map(encode_json)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300) | st.tuples(HEADERS | SEGMENTS, SEGMENTS, SEGMENTS).map(".".join))
def test_the_proof_parser_refuses_any_text_with_invalid_proof(token):
    with pytest.raises(InvalidProof):
        verify_proof(token)


# System check -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"DEVICE_BINDING_COOKIE_AGE": timedelta(hours=1)}, "not less than the absolute timeout"),
        ({"DEVICE_BINDING_COOKIE_NAME": "__Host-devicebound", "SECURE": False}, "SESSION_COOKIE_SECURE is False"),
    ],
)
def test_an_inconsistent_device_binding_is_refused(policy, settings, changes, says):
    changes = dict(changes)
    settings.SESSION_COOKIE_SECURE = changes.pop("SECURE", True)
    policy(ABSOLUTE_TIMEOUT=timedelta(hours=1), **changes)

    errors = check_device_binding_is_consistent(app_configs=None)

    assert [error.id for error in errors] == ["session_policy.E016"]
    assert says in errors[0].msg


def test_the_check_passes_the_project_settings_and_ignores_device_binding_off(policy):
    assert check_device_binding_is_consistent(app_configs=None) == []
    policy(DEVICE_BINDING=False, DEVICE_BINDING_COOKIE_AGE=timedelta(days=1))
    assert check_device_binding_is_consistent(app_configs=None) == []
