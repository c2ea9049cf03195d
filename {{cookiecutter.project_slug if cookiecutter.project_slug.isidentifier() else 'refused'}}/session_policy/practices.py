"""The secure-session practices, the system checks that prove each, the ASVS requirements each answers.

This is the one table of them: ``manage.py session_policy`` prints it with each
practice's verdict, and the practice table of docs/session-policy.md shows the
same rows (session_policy/tests/test_policy_command.py keeps the two in step).
A practice is in force when none of its checks reports a warning or an error.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Practice:
    """One practice, the check ids that fail when it is not in force, and where it comes from."""

    name: str
    checks: tuple[str, ...]
    asvs_4: tuple[str, ...] = ()  # ASVS 4.0.3
    asvs_5: tuple[str, ...] = ()  # ASVS 5.0
    # Where the practice comes from when no ASVS requirement asks for it.
    source: str = ""


MIDDLEWARE = "session_policy.E007"
# What keeps every way in as strong as the user's factors: no mailed codes, recovery codes always asked for.
SIGN_IN_CHECKS = ("session_policy.E030", "session_policy.E031")
CHEAT_SHEET = "OWASP Session Management Cheat Sheet"

# In the order a newcomer meets them.
PRACTICES = (
    Practice("Idle timeout", ("session_policy.E005", MIDDLEWARE), ("3.3.2",), ("7.1.1", "7.3.1")),
    Practice("Absolute timeout", (MIDDLEWARE,), ("3.3.2",), ("7.1.1", "7.3.2")),
    Practice("Rotation", ("session_policy.E006", MIDDLEWARE), source=f"{CHEAT_SHEET}: renewal timeout"),
    # session_policy.receivers cycles the key on every sign-in: nothing to configure, nothing to check.
    Practice("New key on every authentication", (), ("3.2.1",), ("7.2.4",)),
    Practice(
        "IP binding",
        ("session_policy.E008", "session_policy.E021", "session_policy.W006", MIDDLEWARE),
        source=f"{CHEAT_SHEET}: session ID binding",
    ),
    Practice("User-Agent binding", (MIDDLEWARE,), source=f"{CHEAT_SHEET}: session ID binding"),
    Practice("Device-bound sessions", ("session_policy.E016", MIDDLEWARE), ("3.5.3",), ("9.1.1", "9.1.2")),
    Practice(
        "Secure, HttpOnly, SameSite, prefixed cookies",
        (
            "session_policy.E003",
            "session_policy.E004",
            "session_policy.E009",
            "session_policy.E010",
            "session_policy.W002",
        ),
        ("3.2.3", "3.4.1", "3.4.2", "3.4.3", "3.4.4", "3.4.5"),
        ("3.3.1", "3.3.2", "3.3.3", "3.3.4"),
    ),
    Practice(
        "HTTPS and HSTS",
        (
            "security.W001",
            "security.W004",
            "security.W005",
            "security.W008",
            "session_policy.W004",
            "session_policy.E017",
        ),
        ("9.1.1", "14.4.5"),
        ("3.4.1", "12.2.1"),
    ),
    Practice("CSRF protection", ("security.W003",), ("4.2.2",), ("3.5.1",)),
    Practice(
        "Logout ends the session, Clear-Site-Data",
        ("session_policy.E002", "session_policy.E012"),
        ("3.3.1", "8.2.3"),
        ("7.4.1", "7.4.4", "14.3.1"),
    ),
    Practice("No-store on authenticated pages", (MIDDLEWARE,), ("8.2.1",), ("14.3.2",)),
    Practice(
        "Session list and revocation",
        ("session_policy.E001", "session_policy.E002", "session_policy.E011", "session_policy.E013"),
        ("3.3.4",),
        ("7.1.2", "7.4.2", "7.4.5", "7.5.2"),
    ),
    Practice("Re-authentication before sensitive actions", ("session_policy.E014",), ("3.7.1",), ("7.2.4", "7.5.1")),
    # Sign-in (ASVS 5.0 V6): allauth.mfa, configured in settings.py, and accounts/ where the project differs.
    # docs/session-policy.md lists every pathway with its controls (6.1.3, 6.3.3).
    Practice(
        "Second factor: passkeys, TOTP, recovery codes",
        ("session_policy.E031",),
        ("2.6.1", "2.8.1", "2.8.4"),
        ("6.3.2", "6.3.3", "6.3.7", "6.5.6"),
    ),
    Practice("Every sign-in pathway as strong as the user's factors", SIGN_IN_CHECKS, (), ("6.1.3", "6.3.3")),
    Practice("Email is never a factor", ("session_policy.E030",), (), ("6.3.5",)),
    Practice(
        "Codes and passkey assertions usable once; TOTP codes live 30 s",
        # E001: the used-code markers and claimed challenges live in the shared cache.
        ("session_policy.E032", "session_policy.E033", "session_policy.E001"),
        ("2.8.4",),
        ("6.5.1", "6.5.5"),
    ),
    Practice("Password reset does not bypass the second factor", ("session_policy.E015",), (), ("6.4.3",)),
    Practice(
        "Passwords: long, uncommon, any characters, never truncated",
        ("session_policy.E034",),
        ("2.1.1",),
        ("6.2.1", "6.2.2", "6.2.3", "6.2.4", "6.2.5", "6.2.8", "6.2.9", "6.2.10"),
    ),
    Practice("Notice by email of a new device and of every sign-in change", (), (), ("6.3.4", "6.3.6")),
    # accounts/lockout.py, configured in settings.py (AXES_*); nothing to check.
    Practice(
        "Lockout per account and client network, passwords and codes together", (), ("2.2.1",), ("6.1.1", "6.3.1")
    ),
    Practice("No account enumeration on sign-in, sign-up and reset", (), asvs_5=("6.3.8",)),
    Practice(
        "Rate limits, lockouts and used codes shared by every process",
        ("session_policy.E001",),
        asvs_5=("6.3.1", "6.5.1"),
    ),
    Practice("Password hashing with Argon2", (), ("2.4.1",), ("11.4.2",)),
    Practice(
        "Password change or reset ends other sessions",
        ("session_policy.E011", "session_policy.E015"),
        ("3.3.3",),
        ("7.4.3",),
    ),
    Practice(
        "A second-factor change ends other sessions",
        ("session_policy.E011", "session_policy.E035"),
        (),
        ("7.4.3", "7.5.1"),
    ),
    Practice("Deactivation ends every session, by any path", ("session_policy.E011",), (), ("7.4.2",)),
    Practice(
        "Ended sessions stay ended under races and cache outages",
        ("session_policy.E011", "session_policy.E018", "session_policy.E020"),
        ("3.3.1",),
        ("7.4.1",),
    ),
    Practice("Audit trail", ("session_policy.W003",), ("7.1.1", "7.2.1"), ("16.3.1",)),
)
