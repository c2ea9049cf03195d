"""Print the session policy in force as a checklist, with the ASVS requirements each practice answers.

A practice is in force when none of the system checks session_policy.practices names
for it warns, the deploy checks included: the checks decide, this only adds what each is set to.
"""

import json
from datetime import timedelta

from allauth.mfa import app_settings as mfa_settings
from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand
from django.urls import NoReverseMatch, reverse

from session_policy.client_ip import SUBNET_PREFIX
from session_policy.practices import PRACTICES
from session_policy.views import CLEAR_SITE_DATA

UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
MARKS = {"in force": ("✓", "SUCCESS"), "failing": ("✗", "ERROR"), "switched off": ("–", "WARNING")}
ASVS = (("4.0.3", "asvs_4_0_3"), ("5.0", "asvs_5_0"))
SECOND_FACTORS = {
    "required_for_staff": "required for staff, offered to everyone",
    "optional": "offered to everyone",
    "required": "required of everyone before anything else",
}


def duration(delta):
    """Return e.g. "30 min", "12 h" or "1 h 30 min"."""
    seconds = round(delta.total_seconds())
    parts = []
    for unit, size in UNITS:
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount} {unit}")
    return " ".join(parts) or "0 s"


def ip_binding(binding):
    if binding == "off":
        return "off"
    scope = {"subnet": f"same /{SUBNET_PREFIX[4]} (IPv4) or /{SUBNET_PREFIX[6]} (IPv6) network"}
    # Unset, it is session_policy.E008's to report.
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", None)
    source = {None: "nowhere: TRUSTED_PROXY_COUNT is not set", 0: "REMOTE_ADDR"}.get(proxies)
    source = source or f"X-Forwarded-For, {proxies} prox{'y' if proxies == 1 else 'ies'} deep"
    return f"{binding}: {scope.get(binding, 'same address')}; address from {source}"


def cookie(setting):
    """Return what the cookie's Set-Cookie header says, e.g. "__Host-sessionid; Secure; HttpOnly; SameSite=Lax"."""
    attributes = [getattr(settings, f"{setting}_NAME")]
    if domain := getattr(settings, f"{setting}_DOMAIN"):
        attributes.append(f"Domain={domain}")
    if (path := getattr(settings, f"{setting}_PATH")) != "/":
        attributes.append(f"Path={path}")
    attributes += [flag for flag in ("Secure", "HttpOnly") if getattr(settings, f"{setting}_{flag.upper()}")]
    samesite = getattr(settings, f"{setting}_SAMESITE")
    return "; ".join([*attributes, f"SameSite={samesite}" if samesite else "no SameSite"])


def https():
    redirect = "http redirected to https" if settings.SECURE_SSL_REDIRECT else "no redirect to https"
    if not settings.SECURE_HSTS_SECONDS:
        return f"{redirect}; no HSTS"
    flags = [("includeSubDomains", settings.SECURE_HSTS_INCLUDE_SUBDOMAINS), ("preload", settings.SECURE_HSTS_PRELOAD)]
    hsts = [f"HSTS {duration(timedelta(seconds=settings.SECURE_HSTS_SECONDS))}"] + [f for f, on in flags if on]
    return f"{redirect}; {', '.join(hsts)}"


def csrf():
    secret = "the session" if settings.CSRF_USE_SESSIONS else f"the {settings.CSRF_COOKIE_NAME} cookie"
    origins = "; trusted origins: " + ", ".join(settings.CSRF_TRUSTED_ORIGINS) if settings.CSRF_TRUSTED_ORIGINS else ""
    return f"token on every form, secret in {secret}{origins}"


# Where the default cache keeps rate limits and used second-factor codes, by backend.
CACHE_PLACES = {
    "django.core.cache.backends.redis.RedisCache": "rate limits and used codes in Redis",
    "django_redis.cache.RedisCache": "rate limits and used codes in Redis",
    "django.core.cache.backends.db.DatabaseCache": "rate limits and used codes in the database",
}


def cache_location():
    backend = settings.CACHES["default"]["BACKEND"]
    return CACHE_PLACES.get(backend, f"rate limits and used codes in {backend.rpartition('.')[2]}")


def min_password_length():
    """The MinimumLengthValidator's length, or 0 without one (session_policy.E034 reports that)."""
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        if validator["NAME"].endswith(".MinimumLengthValidator"):
            return validator.get("OPTIONS", {}).get("min_length", 8)
    return 0


def values(policy):
    """Return what each practice is set to, by practice name."""

    def url(name):
        try:
            return reverse(name)
        except NoReverseMatch:
            return "(no URL)"

    closes = ", or when the browser closes" if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE else ""
    return {
        "Idle timeout": f"{duration(policy['IDLE_TIMEOUT'])} "
        f"(activity recorded every {duration(policy['ACTIVITY_GRANULARITY'])})",
        "Absolute timeout": f"{duration(policy['ABSOLUTE_TIMEOUT'])} after sign-in{closes}",
        "Rotation": f"every {duration(policy['ROTATION_INTERVAL'])}",
        "New key on every authentication": "every sign-in and re-authentication, by password, code or passkey",
        "IP binding": ip_binding(policy["IP_BINDING"]),
        "User-Agent binding": "on" if policy["USER_AGENT_BINDING"] else "off",
        "Device-bound sessions": f"browsers with Device Bound Session Credentials prove their key every "
        f"{duration(policy['DEVICE_BINDING_COOKIE_AGE'])} ({policy['DEVICE_BINDING_COOKIE_NAME']}); "
        "other browsers as without it"
        if policy["DEVICE_BINDING"]
        else "off",
        "Secure, HttpOnly, SameSite, prefixed cookies": f"{cookie('SESSION_COOKIE')} | {cookie('CSRF_COOKIE')}",
        "HTTPS and HSTS": https(),
        "CSRF protection": csrf(),
        "Logout ends the session, Clear-Site-Data": f"POST {url('logout')} deletes the session; "
        f"Clear-Site-Data: {CLEAR_SITE_DATA}",
        "No-store on authenticated pages": "Cache-Control: no-store on every response to a signed-in user",
        "Session list and revocation": f"unlimited concurrent sessions, listed at {url('sessions')} and ended "
        "after the password; administrators end anyone's; a deactivated or deleted account loses all of them",
        "Re-authentication before sensitive actions": f"password, or the second factor of a user who has one, "
        f"at {url('reauthenticate')}, valid {duration(policy['REAUTHENTICATION_TIMEOUT'])}, then a new key",
        "Second factor: passkeys, TOTP, recovery codes": f"{SECOND_FACTORS[settings.SECOND_FACTOR]}; "
        "passkeys also sign in on their own; recovery codes are asked for but never count as a factor alone; "
        "any factor can be removed, which ends the user's other sessions",
        "Every sign-in pathway as strong as the user's factors": "password, then the second factor of a user "
        "who has any; passkey alone; re-authentication by the factor, or by the password without one; "
        "reset and sign-up end in the same sign-in (docs/session-policy.md)",
        "Email is never a factor": "no sign-in or re-authentication by a mailed code",
        "Codes and passkey assertions usable once; TOTP codes live 30 s": f"one session per code, recovery code "
        f"or assertion, however many requests carry it at once; TOTP steps of {mfa_settings.TOTP_PERIOD} s",
        "Password reset does not bypass the second factor": "a reset signs nobody in: the next sign-in asks "
        "for the second factor",
        "Passwords: long, uncommon, any characters, never truncated": f"at least {min_password_length()} "
        "characters, not among the commonest, no composition rules, no maximum below 64, compared whole, "
        "never expire",
        "Notice by email of a new device and of every sign-in change": "a sign-in from a device or network "
        "not seen before, a factor added or removed, a password changed: mailed after the answer, with a link "
        f"to {url('sessions')}",
        "Lockout per account and client network, passwords and codes together": f"{settings.AXES_FAILURE_LIMIT} "
        f"failures per account from one address or IPv6 /64, {settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT} from all "
        "together, passwords and second-factor codes alike, any spelling of the account; a lock lifts "
        f"{duration(settings.AXES_COOLOFF_TIME)} after the last failure",
        "No account enumeration on sign-in, sign-up and reset": "the same page, status and hashing time for an "
        "unknown name, a wrong password and an inactive account; the same sign-up and reset pages, hashing and "
        "mail timing for any address",
        "Rate limits, lockouts and used codes shared by every process": f"{cache_location()}; the lockout in "
        "the database",
        "Password hashing with Argon2": f"{settings.PASSWORD_HASHERS[0].rpartition('.')[2]}; "
        "other hashes are replaced at the next sign-in",
        "Password change or reset ends other sessions": "change: every other session ends; reset: every session ends",
        "A second-factor change ends other sessions": "adding, moving, rewriting, removing or renewing a "
        "factor ends every other session, through allauth's pages, the admin or any ORM path (raw SQL excepted)",
        "Deactivation ends every session, by any path": "the session epoch rises in the database itself, "
        "QuerySet.update() and raw SQL included; reactivation revives nothing",
        "Ended sessions stay ended under races and cache outages": "one successor per rotated key; "
        "every end recorded on the user, also against a copy the cache kept",
        "Audit trail": 'one JSON line per session event on the "audit" logger; session keys only as salted hashes',
    }


def row(practice, value, failed):
    """Return the practice's line of the checklist, given the ids of the checks that failed.

    A practice set to "off" (a binding) is switched off by choice, which no check refuses.
    """
    failing = [check_id for check_id in practice.checks if check_id in failed]
    state = "failing" if failing else "switched off" if value == "off" else "in force"
    return {
        "practice": practice.name,
        "value": value,
        "state": state,
        "on": state == "in force",
        "checks": list(practice.checks),
        "failing_checks": failing,
        "asvs_4_0_3": list(practice.asvs_4),
        "asvs_5_0": list(practice.asvs_5),
        "source": practice.source,
    }


def requirements(line):
    """Return e.g. "ASVS 4.0.3: 3.3.2 | ASVS 5.0: 7.1.1, 7.3.1", then the failing checks if any."""
    parts = [f"ASVS {version}: {', '.join(line[key])}" for version, key in ASVS if line[key]]
    if line["source"]:
        parts.append(line["source"])
    if line["failing_checks"]:
        parts.append(f"failing: {', '.join(line['failing_checks'])}")
    return " | ".join(parts)


class Command(BaseCommand):
    help = "Print the session policy in force, practice by practice, with the ASVS requirements each answers."
    # A misconfiguration is what this command shows; system checks must not stop it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--format", dest="output_format", choices=["text", "json"], default="text")

    def handle(self, *args, output_format, **options):
        messages = checks.run_checks(include_deployment_checks=True)
        failed = {message.id for message in messages if message.level >= checks.WARNING}
        set_to = values(settings.SESSION_POLICY)
        rows = [row(practice, set_to[practice.name], failed) for practice in PRACTICES]
        if output_format == "json":
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"Session policy in force ({settings.SETTINGS_MODULE}):\n\n")
        for line in rows:
            mark, style = MARKS[line["state"]]
            mark = getattr(self.style, style)(mark)
            self.stdout.write(f"{mark} {line['practice']}: {line['value']}\n    {requirements(line)}")
        in_force = sum(line["on"] for line in rows)
        self.stdout.write(f"\n{in_force} of {len(rows)} practices in force; ✗: a check fails, –: switched off.")
        self.stdout.write("manage.py check --deploy explains the checks; docs/session-policy.md the practices.")
