"""The session policy's fixtures the sign-in tests share."""

from session_policy.tests.conftest import clock, stay_active

__all__ = ["clock", "stay_active"]
