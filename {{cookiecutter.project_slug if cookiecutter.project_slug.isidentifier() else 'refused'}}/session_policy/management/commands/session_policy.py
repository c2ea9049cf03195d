"""Print the session policy in force as a checklist, with the ASVS requirements each practice answers."""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import NoReverseMatch, resolve, reverse

from session_policy import checks
from session_policy.client_ip import SUBNET_PREFIX
from session_policy.views import CLEAR_SITE_DATA

POLICY_MIDDLEWARE = "session_policy.middleware.SessionPolicyMiddleware"
CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
ONE_YEAR = 365 * 24 * 3600
UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


@dataclass(frozen=True)
class Reading:
    """What a practice is set to, and whether it is in force."""

    value: str
    on: bool = True


@dataclass(frozen=True)
class Practice:
    """One secure-session practice, how to read its setting and the requirements it answers."""

    name: str
    read: Callable[[], Reading]
    asvs_4: tuple[str, ...] = ()
    asvs_5: tuple[str, ...] = ()
    # Where the practice comes from when no ASVS requirement asks for it.
    source: str = ""


def duration(delta):
    """Return e.g. "30 min", "12 h" or "1 h 30 min"."""
    seconds = round(delta.total_seconds())
    parts = []
    for unit, size in UNITS:
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount} {unit}")
    return " ".join(parts) or "0 s"


def policy_setting(name):
    return settings.SESSION_POLICY[name]


def url(name, *args):
    """Return the path of a named URL, or None if the project has no such URL."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def served_by_policy(name, *args):
    """Whether the policy's own view answers the named URL, rather than Django's stock one."""
    path = url(name, *args)
    return path is not None and resolve(path).func.__module__ == "session_policy.views"


def enforced_by_middleware(read):
    """Report a practice as off when the middleware that enforces it is not installed."""

    @wraps(read)
    def read_if_enforced():
        reading = read()
        if POLICY_MIDDLEWARE in settings.MIDDLEWARE:
            return reading
        return Reading(f"{reading.value}, but not enforced: {POLICY_MIDDLEWARE} is not installed", on=False)

    return read_if_enforced


@enforced_by_middleware
def idle_timeout():
    idle = policy_setting("IDLE_TIMEOUT")
    granularity = policy_setting("ACTIVITY_GRANULARITY")
    return Reading(
        f"{duration(idle)} (activity recorded every {duration(granularity)})",
        on=idle < policy_setting("ABSOLUTE_TIMEOUT"),
    )


@enforced_by_middleware
def absolute_timeout():
    value = f"{duration(policy_setting('ABSOLUTE_TIMEOUT'))} after sign-in"
    if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE:
        value += ", or when the browser closes"
    return Reading(value)


@enforced_by_middleware
def rotation():
    interval = policy_setting("ROTATION_INTERVAL")
    return Reading(f"every {duration(interval)}", on=interval < policy_setting("ABSOLUTE_TIMEOUT"))


def new_key_on_authentication():
    # session_policy.receivers cycles the key on sign-in, even when login() would keep it.
    return Reading("every sign-in and re-authentication")


@enforced_by_middleware
def ip_binding():
    binding = policy_setting("IP_BINDING")
    if binding == "off":
        return Reading("off", on=False)
    scope = {
        "subnet": f"same /{SUBNET_PREFIX[4]} (IPv4) or /{SUBNET_PREFIX[6]} (IPv6) network",
        "strict": "same address",
    }[binding]
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", None)
    if proxies is None:
        return Reading(f"{binding}: {scope}, but TRUSTED_PROXY_COUNT is not set", on=False)
    source = f"X-Forwarded-For, {proxies} prox{'y' if proxies == 1 else 'ies'} deep" if proxies else "REMOTE_ADDR"
    return Reading(f"{binding}: {scope}; address from {source}")


@enforced_by_middleware
def user_agent_binding():
    if policy_setting("USER_AGENT_BINDING"):
        return Reading("on")
    return Reading("off", on=False)


@enforced_by_middleware
def device_binding():
    if not policy_setting("DEVICE_BINDING"):
        return Reading("off", on=False)
    problems = checks.check_device_binding_is_consistent(app_configs=None)
    age = duration(policy_setting("DEVICE_BINDING_COOKIE_AGE"))
    return Reading(
        f"browsers with Device Bound Session Credentials prove their key every {age} "
        f"({policy_setting('DEVICE_BINDING_COOKIE_NAME')}); other browsers as without it",
        on=not problems,
    )


def cookie_attributes(setting):
    """Return what the cookie's Set-Cookie header says, e.g. "__Host-sessionid; Secure; HttpOnly; SameSite=Lax"."""
    attributes = [getattr(settings, f"{setting}_NAME")]
    if domain := getattr(settings, f"{setting}_DOMAIN"):
        attributes.append(f"Domain={domain}")
    if (path := getattr(settings, f"{setting}_PATH")) != "/":
        attributes.append(f"Path={path}")
    if getattr(settings, f"{setting}_SECURE"):
        attributes.append("Secure")
    if getattr(settings, f"{setting}_HTTPONLY"):
        attributes.append("HttpOnly")
    samesite = getattr(settings, f"{setting}_SAMESITE")
    attributes.append(f"SameSite={samesite}" if samesite else "no SameSite")
    return "; ".join(attributes)


def cookies():
    # The system checks already know what a right cookie is.
    cookie_checks = [
        checks.check_cookie_prefixes_are_honoured,
        checks.check_cookies_are_samesite,
        checks.check_cookies_are_secure,
        checks.check_session_cookie_is_httponly,
        checks.check_cookie_names_are_prefixed,
    ]
    problems = [message for check in cookie_checks for message in check(app_configs=None)]
    return Reading(
        f"{cookie_attributes('SESSION_COOKIE')} | {cookie_attributes('CSRF_COOKIE')}",
        on=not problems,
    )


def https_and_hsts():
    seconds = settings.SECURE_HSTS_SECONDS
    redirect = "http redirected to https" if settings.SECURE_SSL_REDIRECT else "no redirect to https"
    if not seconds:
        return Reading(f"{redirect}; no HSTS", on=False)
    hsts = f"HSTS {duration(timedelta(seconds=seconds))}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        hsts += ", includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        hsts += ", preload"
    return Reading(
        f"{redirect}; {hsts}",
        on=settings.SECURE_SSL_REDIRECT and seconds >= ONE_YEAR and settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    )


def csrf():
    if CSRF_MIDDLEWARE not in settings.MIDDLEWARE:
        return Reading(f"{CSRF_MIDDLEWARE} is not installed", on=False)
    secret = "the session" if settings.CSRF_USE_SESSIONS else f"the {settings.CSRF_COOKIE_NAME} cookie"
    value = f"token on every form, secret in {secret}"
    if settings.CSRF_TRUSTED_ORIGINS:
        value += "; trusted origins: " + ", ".join(settings.CSRF_TRUSTED_ORIGINS)
    return Reading(value)


def logout():
    if not served_by_policy("logout"):
        return Reading("logout is not served by session_policy.views: no Clear-Site-Data", on=False)
    return Reading(f"POST {url('logout')} deletes the session; Clear-Site-Data: {CLEAR_SITE_DATA}")


@enforced_by_middleware
def no_store():
    return Reading("Cache-Control: no-store on every response to a signed-in user")


def session_list():
    if not all(served_by_policy(name) for name in ("sessions", "revoke_session", "revoke_other_sessions")):
        return Reading("the session pages are not served by session_policy.views", on=False)
    return Reading(
        f"unlimited concurrent sessions, listed at {url('sessions')} and ended after the password; "
        "administrators end anyone's; a deactivated or deleted account loses all of them"
    )


def reauthentication():
    if not served_by_policy("reauthenticate"):
        return Reading("reauthenticate is not served by session_policy.views", on=False)
    window = duration(policy_setting("REAUTHENTICATION_TIMEOUT"))
    return Reading(f"password again at {url('reauthenticate')}, valid {window}, then a new key")


def password_change_ends_sessions():
    if not (served_by_policy("password_change") and served_by_policy("password_reset_confirm", "uid", "token")):
        return Reading("the password views are not served by session_policy.views", on=False)
    return Reading("change: every other session ends; reset: every session ends")


def audit_trail():
    logger = logging.getLogger("audit")
    if not (logger.hasHandlers() and logger.isEnabledFor(logging.INFO)):
        return Reading('the "audit" logger drops INFO records', on=False)
    return Reading('one JSON line per session event on the "audit" logger; session keys only as salted hashes')


# The checklist, in the order a newcomer meets the practices; docs/session-policy.md has the same rows.
PRACTICES = (
    Practice("Idle timeout", idle_timeout, ("3.3.2",), ("7.1.1", "7.3.1")),
    Practice("Absolute timeout", absolute_timeout, ("3.3.2",), ("7.1.1", "7.3.2")),
    Practice("Rotation", rotation, source="OWASP Session Management Cheat Sheet: renewal timeout"),
    Practice("New key on every authentication", new_key_on_authentication, ("3.2.1",), ("7.2.4",)),
    Practice("IP binding", ip_binding, source="OWASP Session Management Cheat Sheet: session ID binding"),
    Practice(
        "User-Agent binding", user_agent_binding, source="OWASP Session Management Cheat Sheet: session ID binding"
    ),
    Practice("Device-bound sessions", device_binding, ("3.5.3",), ("9.1.1", "9.1.2")),
    Practice(
        "Secure, HttpOnly, SameSite, prefixed cookies",
        cookies,
        ("3.2.3", "3.4.1", "3.4.2", "3.4.3", "3.4.4", "3.4.5"),
        ("3.3.1", "3.3.2", "3.3.3", "3.3.4"),
    ),
    Practice("HTTPS and HSTS", https_and_hsts, ("9.1.1", "14.4.5"), ("3.4.1", "12.2.1")),
    Practice("CSRF protection", csrf, ("4.2.2",), ("3.5.1",)),
    Practice("Logout ends the session, Clear-Site-Data", logout, ("3.3.1", "8.2.3"), ("7.4.1", "7.4.4", "14.3.1")),
    Practice("No-store on authenticated pages", no_store, ("8.2.1",), ("14.3.2",)),
    Practice("Session list and revocation", session_list, ("3.3.4",), ("7.1.2", "7.4.2", "7.4.5", "7.5.2")),
    Practice("Re-authentication before sensitive actions", reauthentication, ("3.7.1",), ("7.2.4", "7.5.1")),
    Practice("Password change or reset ends other sessions", password_change_ends_sessions, ("3.3.3",), ("7.4.3",)),
    Practice("Audit trail", audit_trail, ("7.1.1", "7.2.1"), ("16.3.1",)),
)


def requirements(practice):
    """Return e.g. "ASVS 4.0.3: 3.3.2 | ASVS 5.0: 7.1.1, 7.3.1"."""
    answered = [
        f"ASVS {version}: {', '.join(ids)}"
        for version, ids in (("4.0.3", practice.asvs_4), ("5.0", practice.asvs_5))
        if ids
    ]
    return " | ".join(answered + ([practice.source] if practice.source else []))


class Command(BaseCommand):
    help = "Print the session policy in force, practice by practice, with the ASVS requirements each answers."
    # A misconfiguration is what this command shows; system checks must not stop it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--format", dest="output_format", choices=["text", "json"], default="text")

    def handle(self, *args, output_format, **options):
        readings = [(practice, practice.read()) for practice in PRACTICES]
        if output_format == "json":
            self.write_json(readings)
        else:
            self.write_text(readings)

    def write_json(self, readings):
        self.stdout.write(
            json.dumps(
                [
                    {
                        "practice": practice.name,
                        "value": reading.value,
                        "on": reading.on,
                        "asvs_4_0_3": list(practice.asvs_4),
                        "asvs_5_0": list(practice.asvs_5),
                        "source": practice.source,
                    }
                    for practice, reading in readings
                ],
                indent=2,
                ensure_ascii=False,
            )
        )

    def write_text(self, readings):
        self.stdout.write(f"Session policy in force ({settings.SETTINGS_MODULE}):\n\n")
        for practice, reading in readings:
            mark = self.style.SUCCESS("✓") if reading.on else self.style.ERROR("✗")
            self.stdout.write(f"{mark} {practice.name}: {reading.value}")
            self.stdout.write(f"    {requirements(practice)}")
        off = sum(not reading.on for _, reading in readings)
        self.stdout.write(f"\n{len(readings) - off} of {len(readings)} practices in force; ✗ marks the rest.")
        self.stdout.write("docs/session-policy.md explains each practice and how to change it.")
