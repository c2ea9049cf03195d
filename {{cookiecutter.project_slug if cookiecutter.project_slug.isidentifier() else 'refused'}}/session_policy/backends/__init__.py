"""The project's session engines: Django's three, with the policy's guarantees.

Every engine accepts only keys of the form Django issues, so a hostile cookie
(a NUL byte, a megabyte, an SQL fragment) is no session at all and never
reaches a database that would refuse it with an error.
"""

import re

# What SessionBase._get_new_session_key() makes: 32 of [a-z0-9].
ISSUED_KEY = re.compile(r"[a-z0-9]{32}")


def is_issued_key(key):
    """Whether key has the form of a key Django issued."""
    return isinstance(key, str) and ISSUED_KEY.fullmatch(key) is not None


class IssuedKeysOnly:
    """Treat any other key as no key: the session is then a new, empty one."""

    def _validate_session_key(self, key):
        return is_issued_key(key)

    def exists(self, session_key):
        return is_issued_key(session_key) and super().exists(session_key)

    async def aexists(self, session_key):
        return is_issued_key(session_key) and await super().aexists(session_key)
