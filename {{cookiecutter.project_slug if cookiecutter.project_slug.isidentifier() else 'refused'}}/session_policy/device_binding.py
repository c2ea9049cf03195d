"""Device-bound sessions: a copied session cookie is useless on any other device.

The server side of Device Bound Session Credentials (DBSC). After every
authentication the first response offers registration
(``Secure-Session-Registration``) with a single-use challenge. A browser that
speaks the protocol makes a key pair the page cannot read and answers with an
ES256 JWT over the challenge, carrying its public key. From then on the session
needs a short-lived *bound* cookie as well as the session cookie, and only that
key can renew it: the browser signs the next challenge at the refresh endpoint.
Browsers without DBSC ignore the offer and keep today's behaviour.

Contracts:

- **State.** The public key, the DBSC session id and the outstanding
  challenge live in the policy's state (state.py) under ``"device"``: they
  follow the session through rotation and re-authentication and end with it
  (sign-out, timeout, revocation, password change). Re-registration after a
  re-authentication replaces the key under the same id.
- **Proofs.** Header ``alg`` ES256 and ``typ`` dbsc+jwt; on registration the
  key is the embedded P-256 JWK, on refresh only the stored key counts (an
  embedded one is ignored); the signature is raw r‖s, 64 bytes; ``jti`` must be
  the outstanding challenge, which a success consumes. Anything else is refused
  with a 4xx, never a 5xx.
- **The bound cookie** (``DEVICE_BINDING_COOKIE_NAME``, ``__Host-`` over
  HTTPS) is Secure as the session cookie is, HttpOnly, SameSite like the
  session cookie, and lasts ``DEVICE_BINDING_COOKIE_AGE``. Its value is signed
  (django.core.signing, salt below) and carries the DBSC session id and its
  expiry, so checking it costs no store access; a refresh writes the session
  once per cookie lifetime (the next challenge travels with the new cookie).
- **Enforcement** (middleware.py). Once a session's binding counts, a request
  carrying its session cookie without a valid, unexpired bound cookie for that
  session is refused and **the session ends** (reason ``device_unproven``):
  the key proves possession, the refresh endpoint is exempt, so the owner's
  browser never sends such a request, and a thief holding the cookie learns
  only that it is dead. A refresh with a proof that does not verify against the
  registered key ends the session for the same reason (``device_proof_invalid``).
- **When the binding counts.** A browser sends the registration and follows
  the sign-in redirect at the same moment: that request, and any other sent
  before the registration's answer set the bound cookie, cannot carry it. So
  the binding counts from the first request that does carry it (noted once in
  the state and in the shared cache: one session write and one cache write per
  registration), or ``RACE_GRACE`` after the registration, whichever comes
  first. Until then the session is as bound as it was before registering: a
  request without the cookie passes and ends nothing. A copied cookie is
  refused once the owner's browser has made one request with its bound cookie,
  which it does with its next page. The cache keeps the note because a refresh
  the browser sends at that same moment saves the session from a copy read
  before it, which would undo the session's own note.
- **Races.** The signed expiry is ``RACE_GRACE`` later than the browser drops
  the cookie, so a request sent just before its cookie expired still passes.
  Requests sent after it wait for the refresh: the browser holds them. A proof
  over a challenge already consumed (two refreshes in flight, a replay) gets a
  403 with the current challenge, which is what the protocol expects; it does
  not end the session. Two refreshes read at exactly the same moment may both
  pass, as both carry the device's signature. A registration or refresh whose
  session ends or changes key while it runs (a sign-out, a revocation, a
  rotation by a parallel request) cannot save: a session that ended gets the
  401 below, one that lives on under a new key gets a 403 with the challenge,
  and the browser's signed retry carries the new key.
- **Ending.** The refresh endpoint answers an ended or unknown DBSC session
  with 401 and ``{"continue": false}``: the browser drops its DBSC session
  and stops refreshing.

Own module rather than the ``dbsc`` package on PyPI: that library is a first
0.x release, asynchronous and framework-agnostic with its own session store,
while the protocol's server side is one ES256 check over a few claims, which
``cryptography`` does, plus state that belongs in the policy's own.
"""

import base64
import contextlib
import json
import re
import secrets
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.core import signing
from django.core.cache import cache as shared_cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from session_policy import audit, clock, registry, state
from session_policy.conf import policy
from session_policy.ending import end_session
from session_policy.outage import cache_errors
from session_policy.rotation import Abandoned

ALGORITHM = "ES256"
PROOF_TYPE = "dbsc+jwt"
STATE_KEY = "device"
SALT = "session_policy.device_binding"
REGISTER_URL = "device_binding_register"
REFRESH_URL = "device_binding_refresh"
# Seconds a bound cookie stays valid on the server after the browser dropped it,
# and seconds after a registration during which requests sent before it may
# still arrive without the bound cookie. As long as gunicorn lets a request wait
# (GUNICORN_TIMEOUT, 30 s by default).
RACE_GRACE = 30
# A registration JWT with its key is about 500 bytes; a refresh JWT less.
MAX_PROOF_LENGTH = 2048
# What new_session_id() makes, quoted or not: anything else names no DBSC session.
SESSION_ID = re.compile(r'"?([A-Za-z0-9_-]{1,64})"?')
BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# What new_challenge() makes.
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
P256_COORDINATE_LENGTH = 32


class InvalidProof(ValueError):
    """A Secure-Session-Response that is not a valid proof."""


def new_challenge():
    return secrets.token_urlsafe(32)


def new_session_id():
    return secrets.token_urlsafe(16)


def device(session_state):
    """Return the session's device record, or an empty dict."""
    return (session_state or {}).get(STATE_KEY) or {}


# Offering registration ----------------------------------------------------------------------------------------


def offer(request):
    """Prepare a registration offer after an authentication; the next response sends it."""
    if policy().device_binding:
        record = device(state.get(request))
        state.update(request, **{STATE_KEY: {**record, "offer": new_challenge(), "offered": False}})


def send_offer(request, response):
    """Add the pending registration offer to the first response of a signed-in user, once."""
    record = device(state.get(request))
    if record.get("offered") is not False or not policy().device_binding:
        return
    path = reverse(REGISTER_URL)
    response["Secure-Session-Registration"] = f'({ALGORITHM});path="{path}";challenge="{record["offer"]}"'
    state.update(request, **{STATE_KEY: {**record, "offered": True}})


# Enforcement --------------------------------------------------------------------------------------------------


def unproven_reason(session_state, request, now):
    """Return why a request may not use a device-bound session, or None if it may.

    The first request with the bound cookie after a registration notes that
    the binding now counts (a session write, once); later ones cost nothing.
    """
    record = device(session_state)
    if "id" not in record or not policy().device_binding or is_protocol_request(request):
        return None
    if bound_cookie_session_id(request.COOKIES.get(policy().device_binding_cookie_name), now) == record["id"]:
        if awaiting_first_proof(record, now):
            note_first_proof(request, record)
        return None
    if not binding_counts(record, now):
        return None  # sent before the browser could hold the bound cookie
    return "device_unproven"


def awaiting_first_proof(record, now):
    """Whether the session has not yet noted its bound cookie while requests sent before the
    registration may still arrive.

    A record without "registered" dates from before this rule: it awaits nothing.
    """
    return not record.get("proven", True) and now - record["registered"] <= RACE_GRACE


def note_first_proof(request, record):
    """Note that the browser holds its bound cookie: in the session, and for as long as it
    matters (RACE_GRACE) in the shared cache, where no parallel save can undo it."""
    state.update(request, **{STATE_KEY: {**record, "proven": True}})
    # Best effort, as the sessions' own cache is: an outage costs the note (a copy then
    # passes until RACE_GRACE after the registration, as before it), not the owner's page.
    with contextlib.suppress(cache_errors()):
        shared_cache.set(first_proof_key(record["id"]), True, timeout=RACE_GRACE)


def noted_in_cache(record):
    try:
        return shared_cache.get(first_proof_key(record["id"])) is not None
    except cache_errors():
        return False


def first_proof_key(session_id):
    return f"session_policy:device-proven:{session_id}"


def binding_counts(record, now):
    """Whether a request without the bound cookie ends the session: the browser has shown
    it holds the cookie, or the registration is older than any request sent before it.

    The shared cache is asked only while the session awaits its first proof.
    """
    return not awaiting_first_proof(record, now) or noted_in_cache(record)


def is_protocol_request(request):
    """Whether the request goes to the registration or refresh endpoint, which prove the device themselves."""
    return request.path in protocol_paths()


# Reversing the paths and building the signer would cost more than the rest
# of the check: both are made once, and again if a test changes what they
# depend on.
@cache
def protocol_paths():
    return frozenset((reverse(REGISTER_URL), reverse(REFRESH_URL)))


@cache
def signer():
    """Sign bound cookies: "<DBSC session id>.<expiry, epoch seconds>" under the module's own salt."""
    return signing.Signer(salt=SALT)


@receiver(setting_changed)
def forget_cached(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        protocol_paths.cache_clear()
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        signer.cache_clear()


def bound_cookie_session_id(value, now):
    """Return the DBSC session id a bound cookie vouches for now, or None."""
    if not value:
        return None
    try:
        session_id, expires = signer().unsign(value).split(".")
        alive = int(expires) > now
    except (signing.BadSignature, ValueError):
        return None
    return session_id if alive else None


def set_bound_cookie(response, session_id, now):
    limits = policy()
    expires = int(now + limits.device_binding_cookie_age + RACE_GRACE)
    response.set_cookie(
        limits.device_binding_cookie_name,
        signer().sign(f"{session_id}.{expires}"),
        max_age=int(limits.device_binding_cookie_age),
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )


def cookie_attributes():
    """The bound cookie's attributes, as the session configuration names them."""
    secure = "; Secure" if settings.SESSION_COOKIE_SECURE else ""
    return f"Path=/{secure}; HttpOnly; SameSite={settings.SESSION_COOKIE_SAMESITE}"


# Proofs -------------------------------------------------------------------------------------------------------


def decode_segment(segment):
    """Decode unpadded base64url, strictly."""
    if not isinstance(segment, str) or not BASE64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise InvalidProof("not base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def decode_object(segment):
    try:
        value = json.loads(decode_segment(segment))
    except (ValueError, RecursionError) as error:
        raise InvalidProof("not JSON") from error
    if not isinstance(value, dict):
        raise InvalidProof("not a JSON object")
    return value


def public_key(jwk):
    """Return the P-256 public key a JWK ({"kty": "EC", "crv": "P-256", "x", "y"}) describes."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise InvalidProof("not a P-256 key")
    x, y = (decode_segment(jwk.get(name)) for name in ("x", "y"))
    if len(x) != P256_COORDINATE_LENGTH or len(y) != P256_COORDINATE_LENGTH:
        raise InvalidProof("not a P-256 key")
    try:
        return ec.EllipticCurvePublicNumbers(int.from_bytes(x), int.from_bytes(y), ec.SECP256R1()).public_key()
    except ValueError as error:  # not on the curve
        raise InvalidProof("not a P-256 key") from error


def verify_proof(token, stored_key=None):
    """Verify a DBSC JWT; return (its jti, the key that signed it as {"x", "y"}).

    With stored_key (a refresh) only that key counts; without (a registration)
    the key is the one the header embeds.
    """
    if not token or len(token) > MAX_PROOF_LENGTH or token.count(".") != 2:
        raise InvalidProof("not a JWT")
    header_segment, payload_segment, signature_segment = token.split(".")
    header = decode_object(header_segment)
    if header.get("alg") != ALGORITHM or header.get("typ") != PROOF_TYPE:
        raise InvalidProof("not an ES256 DBSC proof")
    jwk = {"kty": "EC", "crv": "P-256", **stored_key} if stored_key else header.get("jwk")
    key = public_key(jwk)
    signature = decode_segment(signature_segment)
    if len(signature) != 2 * P256_COORDINATE_LENGTH:
        raise InvalidProof("not a raw ES256 signature")
    r, s = (int.from_bytes(half) for half in (signature[:32], signature[32:]))
    try:
        key.verify(
            encode_dss_signature(r, s), f"{header_segment}.{payload_segment}".encode(), ec.ECDSA(hashes.SHA256())
        )
    except InvalidSignature as error:
        raise InvalidProof("bad signature") from error
    challenge = decode_object(payload_segment).get("jti")
    # Only what new_challenge() makes can match, and only ASCII compares in constant time.
    if not isinstance(challenge, str) or not CHALLENGE.fullmatch(challenge):
        raise InvalidProof("no challenge of ours")
    return challenge, {"x": jwk["x"], "y": jwk["y"]}


def matches(record, name, value):
    """Whether the record holds value under name (a challenge or session id), compared in constant time."""
    return bool(record.get(name)) and secrets.compare_digest(record[name].encode(), value.encode())


# Endpoints ----------------------------------------------------------------------------------------------------


def refusal(status, reason):
    return JsonResponse({"error": reason}, status=status)


def stop(reason):
    """Tell the browser to drop its DBSC session and stop refreshing it."""
    return JsonResponse({"continue": False, "error": reason}, status=401)


def register(request):
    """Bind the signed-in session to the key that signed the outstanding registration challenge."""
    if not policy().device_binding or not request.user.is_authenticated:
        return stop("not signed in")
    record = device(state.get(request))
    try:
        challenge, key = verify_proof(request.headers.get("Secure-Session-Response", ""))
    except InvalidProof as error:
        return refusal(400, str(error))
    if not matches(record, "offer", challenge):
        return refusal(403, "not the outstanding registration challenge")
    session_id = record.get("id") or new_session_id()
    now = clock.now()
    next_challenge = new_challenge()
    # Re-registration (after a re-authentication) keeps the id, and the browser its bound cookie.
    proven = record.get("id") == session_id and binding_counts(record, now)
    state.update(
        request,
        **{
            STATE_KEY: {
                "id": session_id,
                "key": key,
                "challenge": next_challenge,
                "registered": now,
                "proven": proven,
            }
        },
    )
    if not saved(request):
        return lost_session(request, record)
    audit.record("device_registered", request)
    response = JsonResponse(
        {
            "session_identifier": session_id,
            "refresh_url": reverse(REFRESH_URL),
            # This origin only, as the __Host- cookies are.
            "scope": {"include_site": False},
            "credentials": [
                {"type": "cookie", "name": policy().device_binding_cookie_name, "attributes": cookie_attributes()}
            ],
            "allowed_refresh_initiators": [],
        }
    )
    return answered(response, session_id, next_challenge, now)


def refresh(request):
    """Renew the bound cookie for a proof over the outstanding challenge by the registered key."""
    named = SESSION_ID.fullmatch(request.headers.get("Sec-Secure-Session-Id", ""))
    if named is None:
        return refusal(400, "no Sec-Secure-Session-Id")
    record = device(state.get(request)) if request.user.is_authenticated else {}
    if not policy().device_binding or not matches(record, "id", named.group(1)):
        return stop("no such session")
    proof = request.headers.get("Secure-Session-Response")
    if not proof:
        return challenged(record)
    try:
        challenge, _ = verify_proof(proof, record["key"])
    except InvalidProof as error:
        end_session(request, "device_proof_invalid")
        return stop(str(error))
    if not matches(record, "challenge", challenge):
        return challenged(record)
    now = clock.now()
    next_challenge = new_challenge()
    state.update(request, **{STATE_KEY: {**record, "challenge": next_challenge}})
    if not saved(request):
        return lost_session(request, record)
    return answered(HttpResponse(), record["id"], next_challenge, now)


def saved(request):
    """Save the session now; return False if it ended or changed key since this request read it.

    Django would otherwise save it after the view, and answer a session that
    is no longer there with SessionInterrupted (a 400 and a traceback).
    """
    try:
        request.session.save()
    except UpdateError:
        return False
    # Saved: SessionMiddleware need not save it again, unless the key changed
    # during this request (a rotation) and the browser needs the new cookie.
    request.session.modified = request.session.session_key != request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return True


def lost_session(request, record):
    """Answer a registration or refresh whose session ended or changed key while it ran.

    A session that lives on under a new key (a rotation) still has its index
    entry: a refresh is asked to sign the challenge again, and the browser's
    retry carries the new key. A session that ended is told to stop.
    """
    index = state.index(request)
    request.session = Abandoned()  # nothing left to save, no cookie to change
    if not registry.is_listed(index):
        return stop("session ended")
    if "challenge" in record:
        return challenged(record)
    return refusal(409, "the session changed key: register again")


def challenged(record):
    """Ask for a proof over the outstanding challenge (the browser signs it and retries at once)."""
    response = refusal(403, "sign the challenge")
    response["Secure-Session-Challenge"] = f'"{record["challenge"]}";id="{record["id"]}"'
    return response


def answered(response, session_id, next_challenge, now):
    """Set the bound cookie, and the challenge the browser is to sign next time."""
    set_bound_cookie(response, session_id, now)
    response["Secure-Session-Challenge"] = f'"{next_challenge}";id="{session_id}"'
    return response
