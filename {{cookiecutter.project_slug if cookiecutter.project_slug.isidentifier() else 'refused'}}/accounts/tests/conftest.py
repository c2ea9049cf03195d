"""The session policy's fixtures the sign-in tests share."""

from session_policy.tests.conftest import clock

__all__ = ["clock"]
