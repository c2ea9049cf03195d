"""System checks for what ``manage.py check --deploy`` does not look at.

The checks without ``deploy=True`` catch configuration mistakes that break
the policy anywhere, local development included. The deploy checks hold
production to the policy's cookie and HSTS rules. ``manage.py session_policy``
marks each practice by these checks' verdict (session_policy/practices.py).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, Warning, register
from django.urls import NoReverseMatch, resolve, reverse

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
    """Refuse a per-process cache behind cache-backed sessions outside DEBUG.

    Each gunicorn worker would hold its own copy: sign-ins would come and go
    between requests, and a revoked session would live on in other workers.
    """
    if settings.DEBUG or settings.SESSION_ENGINE not in CACHE_ENGINES:
        return []
    backend = settings.CACHES[settings.SESSION_CACHE_ALIAS]["BACKEND"]
    if backend not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Error(
            f"The session engine {settings.SESSION_ENGINE} stores sessions in {backend}, "
            "which each process keeps to itself.",
            hint="Set REDIS_URL, or choose DJANGO_SESSION_ENGINE=db.",
            id="session_policy.E001",
        )
    ]


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
