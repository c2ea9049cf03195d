"""Every second factor gives one session per code or assertion, whatever arrives in parallel (ASVS 5.0 6.5.1).

A baked project runs in gunicorn with four workers on a real PostgreSQL and
Redis. For each factor, one pending sign-in (or one passkey challenge) is
copied into several tabs, and threads released together by a barrier post
the same TOTP code, recovery code or passkey assertion at the same moment.
Afterwards every session key any tab was handed is tried: exactly one may be
signed in. A tab that lost the race and whose session the winner renewed is
answered with the page that says so.

The passkey is a software authenticator made here: a P-256 key whose
credential is stored as allauth stores a registered one, and whose
assertions are signed as a platform authenticator signs them, for the host
name ``localhost`` (WebAuthn refuses an IP address as the site).

The figures are printed (pytest -s shows them).
"""

import base64
import hashlib
import json
import secrets

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.stack import GunicornInstance, create_database, redis_database
from tests.support.totp import fresh_totp
from tests.support.visitors import CSRF_FIELD, PASSWORD, Tally, Visitor, all_at_once, create_visitors

WORKERS = 4
PARALLEL = 5
TRIES = 6
HOST = "localhost"
ORIGIN = f"https://{HOST}"
SESSION_COOKIE = "__Host-sessionid"
FACTORS = ["passkey", "totp", "recovery_code"]
SESSION_CHANGED = "Your session changed while this page was loading"

# Gives each visitor a TOTP secret, recovery codes and a passkey; prints their user ids and recovery codes.
ENROL = """
import json, os
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.webauthn.internal.auth import WebAuthn
from django.contrib.auth import get_user_model
enrolled = {}
for username, factors in json.loads(os.environ["FACTORS"]).items():
    user = get_user_model().objects.get(username=username)
    TOTP.activate(user, factors["secret"])
    WebAuthn.add(user, "software key", factors["credential"])
    enrolled[username] = {"pk": user.pk, "codes": RecoveryCodes.activate(user).get_unused_codes()}
print(json.dumps(enrolled))
"""


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cbor_bytes(data):
    """A CBOR byte string (major type 2) up to 65535 bytes long."""
    return (bytes([0x58, len(data)]) if len(data) < 256 else bytes([0x59]) + len(data).to_bytes(2, "big")) + data


class Passkey:
    """A software WebAuthn authenticator holding one resident ES256 credential for HOST."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(16)
        self.rp_id_hash = hashlib.sha256(HOST.encode()).digest()
        self.sign_count = 0

    def cose_public_key(self):
        """The public key as a COSE_Key map: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}."""
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return bytes([0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]) + cbor_bytes(x) + bytes([0x22]) + cbor_bytes(y)

    def registration(self):
        """The credential as the browser hands it over at registration ("none" attestation)."""
        flags = 0x45  # user present, user verified, attested credential data
        credential = len(self.credential_id).to_bytes(2, "big") + self.credential_id + self.cose_public_key()
        auth_data = self.rp_id_hash + bytes([flags]) + bytes(4) + bytes(16) + credential
        attestation = b"\xa3\x63fmt\x64none\x67attStmt\xa0\x68authData" + cbor_bytes(
            auth_data
        )  # {"fmt": "none", "attStmt": {}, "authData": ...}
        client_data = {"type": "webauthn.create", "challenge": b64url(b"registered"), "origin": ORIGIN}
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(json.dumps(client_data).encode()),
                "attestationObject": b64url(attestation),
            },
            "clientExtensionResults": {"credProps": {"rk": True}},
        }

    def assertion(self, challenge, user_handle):
        """Sign the challenge as a user-verified passkey sign-in."""
        self.sign_count += 1
        auth_data = self.rp_id_hash + bytes([0x05]) + self.sign_count.to_bytes(4, "big")
        client_data = json.dumps({"type": "webauthn.get", "challenge": challenge, "origin": ORIGIN}).encode()
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(user_handle.encode()),
            },
            "clientExtensionResults": {},
        }


class Tab(Visitor):
    """A visitor's browser tab: remembers every session key it was handed; sends extra headers when asked."""

    def __init__(self, number, app, tally):
        super().__init__(number, [app], tally)
        self.app = app
        self.keys_seen = set()
        self.extra_headers = {}

    def connect(self, instance):
        connection = super().connect(instance)
        request = connection.request

        def with_extra_headers(method, url, body=None, headers=None, **kwargs):
            return request(method, url, body=body, headers={**(headers or {}), **self.extra_headers}, **kwargs)

        connection.request = with_extra_headers
        return connection

    def remember_cookies(self, set_cookie_headers):
        super().remember_cookies(set_cookie_headers)
        if key := self.cookies.get(SESSION_COOKIE):
            self.keys_seen.add(key)

    def fork(self):
        twin = Tab(int(self.username.removeprefix("visitor")), self.app, self.tally)
        twin.cookies = dict(self.cookies)
        return twin

    def signed_in_with(self, key):
        probe = self.fork()
        probe.cookies = {SESSION_COOKIE: key}
        return probe.visit_home()

    def csrf_token(self, page):
        status, _, html = self.request("GET", page)
        assert status == 200, f"{page} answered {status}"
        return CSRF_FIELD.search(html).group(1)

    def password_step(self):
        """Sign in with the password; the second-factor step must follow."""
        token = self.csrf_token("/accounts/login/")
        form = {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        status, headers, _ = self.request("POST", "/accounts/login/", form)
        assert (status, headers.get("Location")) == (302, "/accounts/2fa/authenticate/")

    def passkey_challenge(self):
        """Ask for a passkey sign-in challenge, as the sign-in page's script does."""
        self.extra_headers = {"Accept": "application/json"}
        try:
            status, _, body = self.request("GET", "/accounts/2fa/webauthn/login/?action=get_options")
        finally:
            self.extra_headers = {}
        assert status == 200, body
        return json.loads(body)["request_options"]["publicKey"]["challenge"]


@pytest.fixture(scope="module")
def app(bake_project, project_python, postgres_server, redis_server):
    """gunicorn with four workers for a default bake, serving localhost, on PostgreSQL and Redis."""
    instance = GunicornInstance(
        bake_project(),
        project_python,
        database_url=create_database(postgres_server, "factors"),
        redis_url=redis_database(redis_server, 9),
        allowed_hosts=(HOST,),
        workers=WORKERS,
    )
    instance.manage("migrate", "--noinput")
    instance.manage("collectstatic", "--noinput", "-v", "0")
    users = len(FACTORS) * TRIES
    create_visitors(instance, users)
    with instance:
        yield instance


@pytest.fixture(scope="module")
def enrolled(app):
    """Every visitor's factors: {username: {"pk", "codes", "secret", "passkey"}}."""
    factors = {
        f"visitor{number:04d}": {"secret": base64.b32encode(secrets.token_bytes(20)).decode(), "passkey": Passkey()}
        for number in range(len(FACTORS) * TRIES)
    }
    spec = {name: {"secret": v["secret"], "credential": v["passkey"].registration()} for name, v in factors.items()}
    output = app.manage("shell", "-c", ENROL, environment={"FACTORS": json.dumps(spec)}).stdout
    for name, values in json.loads(output.strip().splitlines()[-1]).items():
        factors[name] |= values
    return factors


def attempt(app, tally, number, factor, enrolled):
    """Post one factor from PARALLEL tabs of one pending sign-in at once; return how many sessions it gave."""
    tab = Tab(number, app, tally)
    mine = enrolled[tab.username]
    if factor == "passkey":
        tab.csrf_token("/accounts/login/")
        challenge = tab.passkey_challenge()
        action = "/accounts/2fa/webauthn/login/"
        fields = {"credential": json.dumps(mine["passkey"].assertion(challenge, str(mine["pk"])))}
        fields["csrfmiddlewaretoken"] = tab.csrf_token("/accounts/login/")
    else:
        tab.password_step()
        action = "/accounts/2fa/authenticate/"
        token = tab.csrf_token(action)
        code = fresh_totp(mine["secret"]) if factor == "totp" else mine["codes"][0]
        fields = {"code": code, "csrfmiddlewaretoken": token}

    tabs = [tab.fork() for _ in range(PARALLEL)]
    answers = all_at_once([lambda tab=tab: tab.request("POST", action, fields) for tab in tabs])
    for status, _, page in answers:
        tally.count(status)
        # A tab whose session the winner's sign-in renewed under it is told so, not "Bad request".
        assert status != 400 or SESSION_CHANGED in page, page
    handed_out = set().union(*(tab.keys_seen for tab in tabs))
    return sum(tab.signed_in_with(key) for key in handed_out)


@pytest.mark.parametrize("factor", FACTORS)
def test_one_code_or_assertion_gives_one_session(app, enrolled, factor):
    tally = Tally()
    first = FACTORS.index(factor) * TRIES
    sessions = [attempt(app, tally, number, factor, enrolled) for number in range(first, first + TRIES)]

    print(
        f"\n[single use] {factor}: {TRIES} tries of {PARALLEL} parallel posts on {WORKERS} workers;"
        f" signed-in sessions per try {sessions}; {tally.summary()}"
    )
    assert tally.server_errors == 0, app.log_tail(80)
    assert sessions == [1] * TRIES
