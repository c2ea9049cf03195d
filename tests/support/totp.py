"""RFC 6238 codes, as an authenticator app computes them, for the sign-ins the browser tests make."""

import base64
import hashlib
import hmac
import struct
import time

STEP = 30  # seconds: the generated project's MFA_TOTP_PERIOD (allauth's default)
# Seconds a code must still have to live when a test takes it: the requests that carry it run on a
# busy machine, and allauth accepts a code only in its own step (MFA_TOTP_TOLERANCE 0).
MARGIN = 10


def totp(secret, now=None):
    """The 6-digit HMAC-SHA1 code of a base32 secret at a time (default: now)."""
    counter = int((time.time() if now is None else now) // STEP)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def fresh_totp(secret):
    """The current code, once at least MARGIN seconds of its step are left (waiting for the next step if not)."""
    left = STEP - time.time() % STEP
    if left < MARGIN:
        time.sleep(left + 0.1)
    return totp(secret)


class Authenticator:
    """One user's authenticator app: never gives the same code twice, as the server refuses a replay."""

    def __init__(self, secret):
        self.secret = secret
        self.last_step = None

    def code(self):
        if self.last_step == int(time.time() // STEP):
            time.sleep(STEP - time.time() % STEP + 0.5)
        code = fresh_totp(self.secret)
        self.last_step = int(time.time() // STEP)
        return code
