"""System checks for what ``manage.py check --deploy`` does not look at.

The checks without ``deploy=True`` catch configuration mistakes that break
the policy anywhere, local development included. The deploy checks hold
production to the policy's cookie and HSTS rules. ``manage.py session_policy``
marks each practice by these checks' verdict (session_policy/practices.py).
"""

import logging
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, Warning, register
from django.db import router
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.module_loading import import_string

from session_policy.device_binding import REFRESH_URL, REGISTER_URL
from session_policy.engines import CACHE_ENGINES
from session_policy.models import SessionPolicyUser

PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
SIGNED_COOKIES_ENGINE = "django.contrib.sessions.backends.signed_cookies"
POLICY_MIDDLEWARE = "session_policy.middleware.SessionPolicyMiddleware"
# What the policy's middleware uses, so what must run before it.
POLICY_MIDDLEWARE_NEEDS = {
    "django.contrib.auth.middleware.AuthenticationMiddleware": "request.user",
    "django.contrib.messages.middleware.MessageMiddleware": "the message that tells a signed-out user why",
}
# The views that end, list and revoke sessions, by URL name (with sample arguments), each group under its id.
POLICY_VIEWS = {
    "session_policy.E012": {"logout": ()},
    "session_policy.E013": {"sessions": (), "revoke_session": (), "revoke_other_sessions": ()},
    "session_policy.E014": {"reauthenticate": ()},
    "session_policy.E015": {"password_change": (), "password_reset_confirm": ("uid", "token")},
}
COOKIE_PREFIXES = ("__Host-", "__Secure-")
SAMESITE_VALUES = ("lax", "strict")
ONE_YEAR = round(timedelta(days=365).total_seconds())
PROTO_MIDDLEWARE = "session_policy.forwarded.ForwardedProtoMiddleware"
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
# How each Redis backend splits a LOCATION string into servers; both write to
# the first and read from the others (django/core/cache/backends/redis.py,
# django_redis/client/default.py).
REDIS_LOCATION_SEPARATORS = {
    "django.core.cache.backends.redis.RedisCache": "[;,]",
    "django_redis.cache.RedisCache": ",",
}
SENTINEL_POOL = "redis.sentinel.SentinelConnectionPool"
# django-redis's Sentinel client turns a LOCATION string into a primary and a replica URL.
DJANGO_REDIS_SENTINEL_CLIENT = "django_redis.client.SentinelClient"
# The apps whose rows authentication, the session pages and the lockout read right after writing them.
PRIMARY_ONLY_APPS = ("sessions", "session_policy", "axes")


def policy_cookies():
    """Return the session and CSRF cookies as (settings prefix, attributes) pairs."""
    return [
        (
            prefix,
            {
                "name": getattr(settings, f"{prefix}_NAME"),
                "domain": getattr(settings, f"{prefix}_DOMAIN"),
                "path": getattr(settings, f"{prefix}_PATH"),
                "secure": getattr(settings, f"{prefix}_SECURE"),
                "samesite": getattr(settings, f"{prefix}_SAMESITE"),
            },
        )
        for prefix in ("SESSION_COOKIE", "CSRF_COOKIE")
    ]


@register(Tags.caches, Tags.security, deploy=True)
def check_session_cache_is_shared(app_configs, **kwargs):
    """Refuse a per-process cache outside DEBUG, whatever the session engine.

    Each gunicorn worker would hold its own copy. Behind cache-backed
    sessions, sign-ins would come and go between requests and a revoked
    session would live on in other workers; behind any engine, the rate
    limits and the marks of used second-factor codes would count per worker,
    so each worker would accept the same code once and the limits n times over.
    """
    if settings.DEBUG:
        return []
    errors = []
    session_backend = settings.CACHES[settings.SESSION_CACHE_ALIAS]["BACKEND"]
    if settings.SESSION_ENGINE in CACHE_ENGINES and session_backend in PROCESS_LOCAL_CACHES:
        errors.append(
            Error(
                f"The session engine {settings.SESSION_ENGINE} stores sessions in {session_backend}, "
                "which each process keeps to itself.",
                hint="Set REDIS_URL, or choose DJANGO_SESSION_ENGINE=db.",
                id="session_policy.E001",
            )
        )
    default_backend = settings.CACHES["default"]["BACKEND"]
    if default_backend in PROCESS_LOCAL_CACHES and not errors:
        errors.append(
            Error(
                f"The default cache is {default_backend}, which each process keeps to itself: rate limits "
                "and used second-factor codes would be counted per worker.",
                hint="Set REDIS_URL, or choose DJANGO_SESSION_ENGINE=db, which keeps the cache in the database.",
                id="session_policy.E001",
            )
        )
    return errors


@register(Tags.security)
def check_sessions_are_revocable(app_configs, **kwargs):
    """Refuse signed-cookie sessions: the server cannot end them.

    The whole session lives in the cookie, so logout, timeouts and revocation
    only delete the browser's copy; a copied cookie stays valid.
    """
    if settings.SESSION_ENGINE != SIGNED_COOKIES_ENGINE:
        return []
    return [
        Error(
            "Signed-cookie sessions cannot be ended on the server: a copied cookie outlives logout.",
            hint="Set DJANGO_SESSION_ENGINE to cached_db, cache or db.",
            id="session_policy.E002",
        )
    ]


@register(Tags.security)
def check_cookie_prefixes_are_honoured(app_configs, **kwargs):
    """Refuse a prefixed cookie name whose attributes break the prefix's promise.

    Browsers silently drop such a cookie, so nobody could stay signed in.
    """
    errors = []
    for setting, cookie in policy_cookies():
        problems = []
        if cookie["name"].startswith(COOKIE_PREFIXES) and not cookie["secure"]:
            problems.append(f"{setting}_SECURE is False")
        if cookie["name"].startswith("__Host-"):
            if cookie["domain"]:
                problems.append(f"{setting}_DOMAIN is {cookie['domain']!r}")
            if cookie["path"] != "/":
                problems.append(f"{setting}_PATH is {cookie['path']!r}")
        if problems:
            errors.append(
                Error(
                    f"Browsers reject the cookie {cookie['name']!r}: " + " and ".join(problems) + ".",
                    hint="A __Host- cookie needs Secure, no Domain and Path=/; a __Secure- cookie needs Secure. "
                    "Share cookies with subdomains through DJANGO_COOKIE_DOMAIN, which picks the prefix.",
                    id="session_policy.E003",
                )
            )
    return errors


@register(Tags.security)
def check_cookies_are_samesite(app_configs, **kwargs):
    """Refuse session and CSRF cookies that cross-site requests carry."""
    return [
        Error(
            f"{setting}_SAMESITE is {cookie['samesite']!r}: other sites' requests would carry the cookie.",
            hint="Set DJANGO_SESSION_COOKIE_SAMESITE to Lax or Strict.",
            id="session_policy.E004",
        )
        for setting, cookie in policy_cookies()
        if str(cookie["samesite"]).lower() not in SAMESITE_VALUES
    ]


@register(Tags.security)
def check_idle_timeout_is_shorter(app_configs, **kwargs):
    """Refuse an idle timeout the absolute timeout always reaches first."""
    idle = settings.SESSION_POLICY["IDLE_TIMEOUT"]
    absolute = settings.SESSION_POLICY["ABSOLUTE_TIMEOUT"]
    if idle < absolute:
        return []
    return [
        Error(
            f"The idle timeout ({idle}) is not shorter than the absolute timeout ({absolute}): it never applies.",
            hint="Lower DJANGO_SESSION_IDLE_TIMEOUT_MINUTES or raise DJANGO_SESSION_ABSOLUTE_TIMEOUT_HOURS.",
            id="session_policy.E005",
        )
    ]


@register(Tags.security)
def check_rotation_is_shorter(app_configs, **kwargs):
    """Refuse a rotation interval the absolute timeout always reaches first."""
    rotation = settings.SESSION_POLICY["ROTATION_INTERVAL"]
    absolute = settings.SESSION_POLICY["ABSOLUTE_TIMEOUT"]
    if rotation < absolute:
        return []
    return [
        Error(
            f"The rotation interval ({rotation}) is not shorter than the absolute timeout ({absolute}): "
            "session keys are never rotated.",
            hint="Lower DJANGO_SESSION_ROTATION_MINUTES.",
            id="session_policy.E006",
        )
    ]


@register(Tags.security)
def check_policy_middleware_is_installed(app_configs, **kwargs):
    """Require the policy's middleware, after the middleware it relies on."""
    middleware = list(settings.MIDDLEWARE)
    if POLICY_MIDDLEWARE not in middleware:
        problems = [f"{POLICY_MIDDLEWARE} is not in MIDDLEWARE: no timeout, rotation or binding is enforced."]
    else:
        earlier = middleware[: middleware.index(POLICY_MIDDLEWARE)]
        problems = [
            f"{POLICY_MIDDLEWARE} does not come after {needed}, which provides {provides}."
            for needed, provides in POLICY_MIDDLEWARE_NEEDS.items()
            if needed not in earlier
        ]
    return [
        Error(
            problem,
            hint=f"Put {POLICY_MIDDLEWARE} after " + " and ".join(POLICY_MIDDLEWARE_NEEDS) + ".",
            id="session_policy.E007",
        )
        for problem in problems
    ]


@register(Tags.security)
def check_proxy_count_is_set(app_configs, **kwargs):
    """Require TRUSTED_PROXY_COUNT, which tells the client's address from its proxy's.

    The policy reads it on every sign-in, whether IP binding is on or not.
    """
    if hasattr(settings, "TRUSTED_PROXY_COUNT"):
        return []
    return [
        Error(
            "TRUSTED_PROXY_COUNT is not set: the policy cannot find the client's address "
            "for IP binding, the session list and the audit trail, and every sign-in fails.",
            hint="Set TRUSTED_PROXY_COUNT to the number of reverse proxies in front of the app "
            "(DJANGO_TRUSTED_PROXY_COUNT; 0 when clients connect directly).",
            id="session_policy.E008",
        )
    ]


@register(Tags.security)
def check_session_is_not_saved_every_request(app_configs, **kwargs):
    """Warn against a session-store write on every request.

    The policy records activity once per ACTIVITY_GRANULARITY already.
    """
    if not settings.SESSION_SAVE_EVERY_REQUEST:
        return []
    return [
        Warning(
            "SESSION_SAVE_EVERY_REQUEST = True writes the session store on every request.",
            hint="Set SESSION_SAVE_EVERY_REQUEST = False: the idle timeout does not need it.",
            id="session_policy.W001",
        )
    ]


# Django's deploy checks also warn about the next two (security.W010-W016),
# but only as warnings, which `check --deploy` lets pass by default.
@register(Tags.security, deploy=True)
def check_cookies_are_secure(app_configs, **kwargs):
    """Refuse session and CSRF cookies that travel over plain http."""
    return [
        Error(
            f"{setting}_SECURE is not True: the cookie {cookie['name']!r} is sent over plain http.",
            hint="Serve the site over HTTPS and leave DJANGO_HTTPS unset (true) in production.",
            id="session_policy.E009",
        )
        for setting, cookie in policy_cookies()
        if cookie["secure"] is not True
    ]


@register(Tags.security, deploy=True)
def check_session_cookie_is_httponly(app_configs, **kwargs):
    """Refuse a session cookie that page scripts can read."""
    if settings.SESSION_COOKIE_HTTPONLY is True:
        return []
    return [
        Error(
            "SESSION_COOKIE_HTTPONLY is not True: any script on the page, injected ones included, "
            "can read the session key.",
            hint="Set SESSION_COOKIE_HTTPONLY = True.",
            id="session_policy.E010",
        )
    ]


@register(Tags.security, deploy=True)
def check_cookie_names_are_prefixed(app_configs, **kwargs):
    """Warn about cookie names that let a sibling subdomain or plain http overwrite them."""
    return [
        Warning(
            f"The cookie {cookie['name']!r} ({setting}_NAME) has neither the __Host- nor the __Secure- prefix.",
            hint="Serve the site over HTTPS and leave DJANGO_HTTPS unset (true): the settings then add the prefix.",
            id="session_policy.W002",
        )
        for setting, cookie in policy_cookies()
        if not cookie["name"].startswith(COOKIE_PREFIXES)
    ]


@register(Tags.security, deploy=True)
def check_hsts_lasts_a_year(app_configs, **kwargs):
    """Warn about an HSTS max-age under a year; Django's security.W004 covers none at all."""
    seconds = settings.SECURE_HSTS_SECONDS
    if not seconds or seconds >= ONE_YEAR:
        return []
    return [
        Warning(
            f"SECURE_HSTS_SECONDS is {seconds}: browsers forget to insist on https after less than a year.",
            hint=f"Set SECURE_HSTS_SECONDS to at least {ONE_YEAR} (one year).",
            id="session_policy.W004",
        )
    ]


@register(Tags.models, Tags.security)
def check_user_model_carries_the_policy(app_configs, **kwargs):
    """Require a user model built on SessionPolicyUser.

    It holds the marks of ended sessions and the session epoch, and puts the
    epoch into the hash Django checks on every request: without them a
    session a cache kept comes back after it ended, and deactivating or
    revoking a user reaches only the sessions the index knows.
    """
    user_model = get_user_model()
    if issubclass(user_model, SessionPolicyUser):
        return []
    return [
        Error(
            f"The user model {user_model._meta.label} does not inherit session_policy.models.SessionPolicyUser: "
            "ended sessions cannot be marked, and ending all of a user's sessions misses any a cache kept.",
            hint="Declare it as class User(SessionPolicyUser, AbstractUser), as accounts.User is.",
            obj=user_model,
            id="session_policy.E011",
        )
    ]


def served_by(name, args):
    """Return the module of the view that answers the named URL, or None if there is no such URL."""
    try:
        return resolve(reverse(name, args=args)).func.__module__
    except NoReverseMatch:
        return None


@register(Tags.urls, Tags.security)
def check_policy_views_are_served(app_configs, **kwargs):
    """Require the policy's own views behind the URLs that end, list and revoke sessions.

    Django's stock logout sends no Clear-Site-Data, its password views end no
    other session, and no stock view lists sessions or re-authenticates.
    """
    return [
        Error(
            f"The URL {name!r} is not served by session_policy.views (found: {module or 'no such URL'}).",
            hint="Route it to its view in session_policy.views; "
            "include session_policy.urls under accounts/ for the session pages.",
            id=check_id,
        )
        for check_id, urls in POLICY_VIEWS.items()
        for name, args in urls.items()
        if (module := served_by(name, args)) != "session_policy.views"
    ]


@register(Tags.security)
def check_audit_trail_is_recorded(app_configs, **kwargs):
    """Warn when the "audit" logger drops the INFO records of the audit trail."""
    logger = logging.getLogger("audit")
    if logger.hasHandlers() and logger.isEnabledFor(logging.INFO):
        return []
    return [
        Warning(
            'The "audit" logger drops INFO records: sign-ins, sign-outs and revocations leave no trace.',
            hint='Keep LOGGING["loggers"]["audit"] at level INFO with a handler, as settings.py has it.',
            id="session_policy.W003",
        )
    ]


@register(Tags.security, Tags.urls)
def check_device_binding_is_consistent(app_configs, **kwargs):
    """Refuse a device binding that browsers cannot follow, or whose bound cookie outlives the session."""
    values = settings.SESSION_POLICY
    if not values["DEVICE_BINDING"]:
        return []
    problems = []
    age, absolute = values["DEVICE_BINDING_COOKIE_AGE"], values["ABSOLUTE_TIMEOUT"]
    if age >= absolute:
        problems.append(
            f"The bound cookie lasts {age}, not less than the absolute timeout ({absolute}): "
            "the device key is never asked for again after sign-in."
        )
    name = values["DEVICE_BINDING_COOKIE_NAME"]
    if name.startswith(COOKIE_PREFIXES) and not settings.SESSION_COOKIE_SECURE:
        problems.append(f"Browsers reject the bound cookie {name!r}: SESSION_COOKIE_SECURE is False.")
    for url_name in (REGISTER_URL, REFRESH_URL):
        try:
            reverse(url_name)
        except NoReverseMatch:
            problems.append(f"No URL is named {url_name!r}: browsers are offered an endpoint that is not there.")
    return [
        Error(
            problem,
            hint="Lower DJANGO_SESSION_DEVICE_BINDING_COOKIE_SECONDS, serve the site over HTTPS, "
            "keep session_policy.urls, or set DJANGO_SESSION_DEVICE_BINDING=false.",
            id="session_policy.E016",
        )
        for problem in problems
    ]


@register(Tags.security)
def check_proxies_are_trusted_by_address(app_configs, **kwargs):
    """Require the proxies' addresses wherever forwarded headers are read, and the middleware that applies them.

    Without TRUSTED_PROXIES no header is believed and every client seems to be
    the proxy: IP binding, the lockout and the audit trail all see one address.
    """
    # E008 reports a missing TRUSTED_PROXY_COUNT: read both as nothing here.
    proxies = tuple(getattr(settings, "TRUSTED_PROXIES", ()))
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    problems = []
    if count and not proxies:
        problems.append(
            Error(
                f"TRUSTED_PROXY_COUNT is {count} but TRUSTED_PROXIES is empty: forwarded headers are never believed, "
                "and every client seems to come from the proxy.",
                hint="Set DJANGO_TRUSTED_PROXIES to the addresses or ranges the nearest proxy connects from.",
                id="session_policy.E021",
            )
        )
    if settings.SECURE_PROXY_SSL_HEADER:
        middleware = list(settings.MIDDLEWARE)
        security = middleware.index(SECURITY_MIDDLEWARE) if SECURITY_MIDDLEWARE in middleware else len(middleware)
        if PROTO_MIDDLEWARE not in middleware[:security]:
            problems.append(
                Error(
                    f"SECURE_PROXY_SSL_HEADER is set but {PROTO_MIDDLEWARE} does not come before "
                    f"{SECURITY_MIDDLEWARE}: anyone who reaches the app directly can pass plain http off as https.",
                    hint=f"Put {PROTO_MIDDLEWARE} first in MIDDLEWARE.",
                    id="session_policy.E017",
                )
            )
    if proxies and not count:
        problems.append(
            Warning(
                "TRUSTED_PROXIES is set but TRUSTED_PROXY_COUNT is 0: forwarded headers are never read.",
                hint="Set DJANGO_TRUSTED_PROXY_COUNT to the number of proxies, or leave DJANGO_TRUSTED_PROXIES unset.",
                id="session_policy.W005",
            )
        )
    problems += [
        Warning(
            f"TRUSTED_PROXIES includes {network}, every address: anyone who reaches the app can forge their address.",
            hint="List only the addresses or ranges the proxies connect from.",
            id="session_policy.W006",
        )
        for network in proxies
        if network.prefixlen == 0
    ]
    return problems


def sentinel_pool(options):
    """Whether a cache's OPTIONS give Django's RedisCache redis-py's Sentinel pool."""
    pool_class = options.get("pool_class")
    if isinstance(pool_class, str):
        pool_class = import_string(pool_class)
    return pool_class is not None and issubclass(pool_class, import_string(SENTINEL_POOL))


def replica_reads(config):
    """Return why a cache configuration would read from a Redis replica, or None if it reads from the primary."""
    backend = config["BACKEND"]
    if backend not in REDIS_LOCATION_SEPARATORS:
        return None
    location = config.get("LOCATION", "")
    options = config.get("OPTIONS", {})
    servers = re.split(REDIS_LOCATION_SEPARATORS[backend], location) if isinstance(location, str) else list(location)
    if len(servers) > 1:
        return f"its LOCATION names {len(servers)} servers, and {backend} reads from all but the first"
    if options.get("CLIENT_CLASS") == DJANGO_REDIS_SENTINEL_CLIENT and isinstance(location, str):
        return f"{DJANGO_REDIS_SENTINEL_CLIENT} adds a replica URL to a LOCATION string and reads from it"
    if any(parse_qs(urlsplit(server).query).get("is_master") == ["0"] for server in servers):
        return "its LOCATION asks for a replica (is_master=0)"
    if sentinel_pool(options) and not options.get("is_master", True):
        return "its Sentinel pool has is_master=False"
    return None


@register(Tags.caches, Tags.security)
def check_sessions_are_read_from_the_primary(app_configs, **kwargs):
    """Refuse a session cache that reads from a Redis replica.

    Replication is asynchronous: a replica may still hold a session that was
    just revoked, rotated or signed out on the primary, and bring it back.
    """
    if settings.SESSION_ENGINE not in CACHE_ENGINES:
        return []
    alias = settings.SESSION_CACHE_ALIAS
    reason = replica_reads(settings.CACHES[alias])
    if reason is None:
        return []
    return [
        Error(
            f"The session cache CACHES[{alias!r}] reads from a Redis replica: {reason}. "
            "A lagging replica brings back sessions that were revoked or rotated.",
            hint="Give it one server: REDIS_URL, or REDIS_SENTINELS and REDIS_SENTINEL_MASTER "
            "(the primary, whichever it is).",
            id="session_policy.E018",
        )
    ]


@register(Tags.caches)
def check_sentinel_names_its_master(app_configs, **kwargs):
    """Refuse a Redis Sentinel configuration without the name of the master to ask the sentinels for."""
    return [
        Error(
            f"CACHES[{alias!r}] uses Redis Sentinel but names no master: "
            "the sentinels cannot say which server is the primary.",
            hint="Set REDIS_SENTINEL_MASTER to the name the sentinels monitor (sentinel monitor <name> …).",
            id="session_policy.E019",
        )
        for alias, config in settings.CACHES.items()
        if sentinel_pool(config.get("OPTIONS", {})) and not config["OPTIONS"].get("service_name")
    ]


def primary_only_models():
    """The models authentication, the session pages and the lockout read right after writing."""
    models = [get_user_model()]
    for config in apps.get_app_configs():
        if config.label in PRIMARY_ONLY_APPS:
            models += config.get_models()
    return models


# Not Tags.database, which `check` leaves out by default: routers are asked, not the database.
@register(Tags.models, Tags.security)
def check_session_records_are_read_from_the_primary(app_configs, **kwargs):
    """Refuse database routers that read sessions, the session index, revocation marks or the lockout elsewhere.

    A read replica lags: a session revoked on the primary would still load,
    a new one would not yet, and a lockout would be missed.
    """
    return [
        Error(
            f"DATABASE_ROUTERS read {model._meta.label} from {read!r} but write it to {write!r}: "
            "a replica lagging behind would undo revocations and lockouts.",
            hint="Route reads of sessions, session_policy, axes and the user model "
            "to the database they are written to.",
            obj=model,
            id="session_policy.E020",
        )
        for model in primary_only_models()
        if (read := router.db_for_read(model)) != (write := router.db_for_write(model))
    ]


# SIGN-IN AND SECOND FACTORS (ASVS 5.0 V6)
# ------------------------------------------------------------------------------
# What settings.py decides for allauth and what accounts/ adds to it; ids from
# E030 on. Each returns an Error when a setting would let a weaker way in.

# allauth's second-factor step of sign-in, which skips users left with recovery codes alone.
ALLAUTH_SECOND_FACTOR_STAGE = "allauth.mfa.stages.AuthenticateStage"
# The forms that check a passkey assertion, and the mixin that makes each usable once.
PASSKEY_FORMS = ("authenticate_webauthn", "reauthenticate_webauthn", "login_webauthn")
SINGLE_USE_ASSERTION = "accounts.forms.SingleUseAssertionMixin"
# ASVS 5.0 6.5.5: a time-based code lives at most this long.
MAX_TOTP_PERIOD = 30
# ASVS 5.0 6.2.1 (at least 8 characters) and 6.2.3 (not one of the commonest passwords).
MIN_PASSWORD_LENGTH = 8
MIN_LENGTH_VALIDATOR = "django.contrib.auth.password_validation.MinimumLengthValidator"
COMMONEST_VALIDATOR = "django.contrib.auth.password_validation.CommonPasswordValidator"


@register(Tags.security)
def check_email_is_no_factor(app_configs, **kwargs):
    """Refuse sign-in or re-authentication by a mailed code: email is not a factor (ASVS 5.0 6.3.5)."""
    from allauth.account import app_settings as account_settings

    ways = []
    if "code" in account_settings.REAUTHENTICATION_METHODS:
        ways.append('re-authentication by a mailed code ("code" in ACCOUNT_REAUTHENTICATION_METHODS)')
    if account_settings.LOGIN_BY_CODE_ENABLED:
        ways.append("sign-in by a mailed code (ACCOUNT_LOGIN_BY_CODE_ENABLED)")
    return [
        Error(
            f"Email serves as an authentication factor: {way}. Whoever reads the mailbox passes it, "
            "also for a user with a second factor.",
            hint='Keep ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa") and ACCOUNT_LOGIN_BY_CODE_ENABLED '
            "= False, as settings.py has them.",
            id="session_policy.E030",
        )
        for way in ways
    ]


@register(Tags.security)
def check_every_authenticator_is_asked_for(app_configs, **kwargs):
    """Refuse allauth's own second-factor step: it lets a user left with recovery codes sign in without one."""
    from allauth.account.adapter import get_adapter

    if ALLAUTH_SECOND_FACTOR_STAGE not in get_adapter().get_login_stages():
        return []
    return [
        Error(
            "Sign-in skips the second factor of a user whose only authenticator left is recovery codes.",
            hint="Keep ACCOUNT_ADAPTER = accounts.adapter.AccountAdapter, whose get_login_stages() puts "
            "accounts.second_factor.AuthenticateStage in place of allauth's.",
            id="session_policy.E031",
        )
    ]


@register(Tags.security)
def check_assertions_are_single_use(app_configs, **kwargs):
    """Refuse passkey forms that accept one assertion more than once under parallel requests (ASVS 5.0 6.5.1)."""
    from allauth.mfa import app_settings as mfa_settings

    mixin = import_string(SINGLE_USE_ASSERTION)
    loose = [
        name
        for name in PASSKEY_FORMS
        if not (form := mfa_settings.FORMS.get(name)) or not issubclass(import_string(form), mixin)
    ]
    if not loose:
        return []
    return [
        Error(
            f"These passkey forms accept one assertion once per parallel request: {', '.join(loose)}.",
            hint="Keep MFA_FORMS naming the forms of accounts/forms.py, as settings.py has it.",
            id="session_policy.E032",
        )
    ]


@register(Tags.security)
def check_totp_codes_are_short_lived(app_configs, **kwargs):
    """Refuse a time-based code that lives longer than 30 seconds (ASVS 5.0 6.5.5)."""
    from allauth.mfa import app_settings as mfa_settings

    if mfa_settings.TOTP_PERIOD <= MAX_TOTP_PERIOD:
        return []
    return [
        Error(
            f"MFA_TOTP_PERIOD is {mfa_settings.TOTP_PERIOD} s: an authenticator app's code lives too long.",
            hint=f"Keep it at most {MAX_TOTP_PERIOD} s (allauth's default).",
            id="session_policy.E033",
        )
    ]


@register(Tags.security)
def check_passwords_are_long_and_uncommon(app_configs, **kwargs):
    """Refuse password rules that allow fewer than 8 characters or the commonest passwords (ASVS 5.0 6.2.1, 6.2.3)."""
    validators = {validator["NAME"]: validator.get("OPTIONS", {}) for validator in settings.AUTH_PASSWORD_VALIDATORS}
    errors = []
    # Django's MinimumLengthValidator defaults to 8.
    minimum = validators[MIN_LENGTH_VALIDATOR].get("min_length", 8) if MIN_LENGTH_VALIDATOR in validators else 0
    if minimum < MIN_PASSWORD_LENGTH:
        errors.append(f"a password may be shorter than {MIN_PASSWORD_LENGTH} characters")
    if COMMONEST_VALIDATOR not in validators:
        errors.append("a password may be one of the commonest")
    return [
        Error(
            f"AUTH_PASSWORD_VALIDATORS: {problem}.",
            hint=f"Keep {MIN_LENGTH_VALIDATOR} (min_length of at least {MIN_PASSWORD_LENGTH}) and "
            f"{COMMONEST_VALIDATOR}, as settings.py has them.",
            id="session_policy.E034",
        )
        for problem in errors
    ]


@register(Tags.security)
def check_factor_changes_are_seen(app_configs, **kwargs):
    """Refuse an Authenticator manager whose bulk writes would change a factor unseen (session_policy.factors)."""
    from allauth.mfa.models import Authenticator

    from session_policy.factors import FactorQuerySet

    if isinstance(Authenticator._default_manager.all(), FactorQuerySet):
        return []
    return [
        Error(
            "Authenticator's manager does not give the FactorQuerySet: bulk_create() and update() of a second "
            "factor would end no session and send no notice.",
            hint="Keep session_policy.factors.install() in SessionPolicyConfig.ready(); if a django-allauth "
            "upgrade changed its AuthenticatorManager, install the QuerySet on the new one.",
            obj=Authenticator,
            id="session_policy.E035",
        )
    ]
