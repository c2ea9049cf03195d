"""Settings: one module for every environment.

With no environment at all these are production settings: DEBUG off, HTTPS
only, secure cookies, a secret key required. Only explicit variables relax
them, normally from the local ``.env`` written when the project was generated.
Every variable is listed in ``.env.example``.
"""

from datetime import timedelta
from pathlib import Path

import redis.sentinel
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

import session_policy.engines
from {{ cookiecutter.project_slug }}.environment import Env

BASE_DIR = Path(__file__).resolve().parent.parent

env = Env()
# A real environment always wins over the file: read_env() never overwrites.
# DJANGO_ENV_FILE="" ignores the file, as the test suite does.
_env_file = env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    env.read_env(_env_file)

# GENERAL
# ------------------------------------------------------------------------------
# Shown in page titles and the admin header.
SITE_NAME = {{ cookiecutter.project_name | quoted("python") }}
# https://docs.djangoproject.com/en/6.1/ref/settings/#debug
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# https://docs.djangoproject.com/en/6.1/ref/settings/#secret-key
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Set it to 50 or more random characters, e.g. the output of: "
        'python -c "import secrets; print(secrets.token_urlsafe(50))"'
    )
# Old keys still accepted for signatures, so rotating the key signs nobody out.
# https://docs.djangoproject.com/en/6.1/ref/settings/#secret-key-fallbacks
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
# https://docs.djangoproject.com/en/6.1/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[{{ cookiecutter.domain_name | quoted }}])
# https://docs.djangoproject.com/en/6.1/ref/settings/#csrf-trusted-origins
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# https://docs.djangoproject.com/en/6.1/ref/settings/#time-zone
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default={{ cookiecutter.time_zone | quoted }})
# https://docs.djangoproject.com/en/6.1/ref/settings/#language-code
LANGUAGE_CODE = "en-us"
# https://docs.djangoproject.com/en/6.1/ref/settings/#use-tz
USE_TZ = True
# https://docs.djangoproject.com/en/6.1/ref/settings/#use-i18n
USE_I18N = True

ROOT_URLCONF = "{{ cookiecutter.project_slug }}.urls"
WSGI_APPLICATION = "{{ cookiecutter.project_slug }}.wsgi.application"

# APPS
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/6.1/ref/settings/#installed-apps
# The project's apps come first: their templates override the admin's
# registration/ pages of the same name.
INSTALLED_APPS = [
    "accounts",
    "session_policy",
    "axes",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # allauth's passkey list formats dates with it.
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

# MIDDLEWARE
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/6.1/ref/settings/#middleware
# Header middleware comes before WhiteNoise, so static files get the headers too.
MIDDLEWARE = [
    # First: forwarded headers from a connection that is not a trusted proxy are dropped.
    "session_policy.forwarded.ForwardedProtoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # CSP, Permissions-Policy and Cross-Origin-Resource-Policy, each built once.
    "{{ cookiecutter.project_slug }}.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication, which it checks, and messages, which it leaves for the sign-in page.
    "session_policy.middleware.SessionPolicyMiddleware",
    # After the policy, so an ended session is gone before either looks at the user.
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SecondFactorEnrolmentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into a 429 page.
    "axes.middleware.AxesMiddleware",
]

# DATABASES AND CACHES
# ------------------------------------------------------------------------------
# SQLite by default for local runs; PostgreSQL in production.
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# https://docs.djangoproject.com/en/6.1/ref/settings/#conn-max-age
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60, maximum=3600)
# https://docs.djangoproject.com/en/6.1/ref/settings/#conn-health-checks
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction mode, a server-side cursor would not survive
# the transaction that opened it (docs/deployment.md, PgBouncer).
# https://docs.djangoproject.com/en/6.1/ref/databases/#transaction-pooling-and-server-side-cursors
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DJANGO_DISABLE_SERVER_SIDE_CURSORS", default=False)
# SQLite, the embedded default, made fit for several workers: readers never
# block the writer (WAL), a transaction takes the write lock when it begins
# instead of failing with "database is locked" halfway (IMMEDIATE), and a
# writer waits up to 20 s for another to finish.
# https://docs.djangoproject.com/en/6.1/ref/databases/#sqlite-transaction-behavior
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# https://docs.djangoproject.com/en/6.1/ref/settings/#default-auto-field
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis shares sessions between processes and hosts: one server (REDIS_URL),
# or the primary that Redis Sentinel names (REDIS_SENTINELS), which follows a
# failover by itself. Reads go to the primary as writes do: a replica lags, and
# a read from it could bring back a session just revoked or rotated. Without
# Redis, the db engine keeps its cache in the database; the local-memory
# fallback of the other engines lives inside one process: fine for one local
# runserver, wrong for several workers, which is why a system check refuses it
# outside DEBUG.
# https://docs.djangoproject.com/en/6.1/topics/cache/#redis
# One of session_policy/engines.py, by name (SESSION_ENGINE below).
_engines = session_policy.engines.ENGINES
_session_engine = env.choice("DJANGO_SESSION_ENGINE", list(_engines), default={{ cookiecutter.session_engine | quoted }})
_redis_url = env.str("REDIS_URL", default="")
_redis_sentinels = env.hosts("REDIS_SENTINELS", default="")
if _redis_url and _redis_sentinels:
    raise ImproperlyConfigured("Set REDIS_URL for one Redis server or REDIS_SENTINELS for Redis Sentinel, not both.")
# Past MAX_ENTRIES a database or memory cache deletes a share of its live
# entries, used codes and rate-limit slots included: Django's 300 would let
# anyone with a few hundred addresses wipe them. A million stands in for
# Redis's maxmemory-policy noeviction; expired entries go first.
# https://docs.djangoproject.com/en/6.1/topics/cache/#cache-arguments
_keep_live_entries = {"MAX_ENTRIES": 1_000_000}
# A Redis that stops answering must not hang every worker: give up after 2 s.
_redis_timeouts = {"socket_connect_timeout": 2, "socket_timeout": 2}
if _redis_sentinels:
    _redis_master = env.str("REDIS_SENTINEL_MASTER", default="")
    _redis_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # The master's name stands in for an address: the sentinels give it.
        "LOCATION": f"redis://{_redis_master}/0",
        "OPTIONS": {
            **_redis_timeouts,
            "pool_class": "redis.sentinel.SentinelConnectionPool",
            "service_name": _redis_master,
            "is_master": True,
            "password": env.str("REDIS_PASSWORD", default="") or None,
            "sentinel_manager": redis.sentinel.Sentinel(
                _redis_sentinels,
                sentinel_kwargs={
                    **_redis_timeouts,
                    "password": env.str("REDIS_SENTINEL_PASSWORD", default="") or None,
                },
            ),
        },
    }
elif _redis_url:
    _redis_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _redis_url,
        "OPTIONS": _redis_timeouts,
    }
elif _session_engine == "db":
    # Sessions in the database need no Redis, and neither does what the cache
    # must share between processes (rate limits, used second-factor codes,
    # ended-session marks): the database holds it too, in a table
    # session_policy.cache_table creates after every migrate.
    # https://docs.djangoproject.com/en/6.1/topics/cache/#database-caching
    _redis_cache = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",
        "OPTIONS": _keep_live_entries,
    }
else:
    _redis_cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": _keep_live_entries}
CACHES = {"default": _redis_cache}

# AUTHENTICATION
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/6.1/topics/auth/customizing/#substituting-a-custom-user-model
AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out sign-in before any password is checked.
# https://docs.djangoproject.com/en/6.1/ref/settings/#authentication-backends
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# https://docs.djangoproject.com/en/6.1/ref/settings/#login-url
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# The sign-in page that says "You have signed out": Clear-Site-Data would
# drop any cookie, and so any message, the sign-out response set.
LOGOUT_REDIRECT_URL = "signed_out"
# Argon2 for new and changed passwords; a PBKDF2 hash is rehashed with
# Argon2 the next time its owner signs in.
# https://docs.djangoproject.com/en/6.1/topics/auth/passwords/#using-argon2-with-django
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# https://docs.djangoproject.com/en/6.1/ref/settings/#auth-password-validators
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# SESSIONS AND COOKIES
# ------------------------------------------------------------------------------
# The whole session policy is here; docs/session-policy.md explains each line.
# HTTPS is off only in local development over plain http (DJANGO_HTTPS=false in .env).
_https = env.bool("DJANGO_HTTPS", default=True)
# https://docs.djangoproject.com/en/6.1/ref/settings/#session-engine
SESSION_ENGINE = _engines[_session_engine]
# The cookie and the server-side record both last as long as the absolute timeout.
# https://docs.djangoproject.com/en/6.1/ref/settings/#session-cookie-age
SESSION_COOKIE_AGE = 3600 * env.int("DJANGO_SESSION_ABSOLUTE_TIMEOUT_HOURS", default={{ cookiecutter.session_absolute_timeout_hours }}, minimum=1, maximum=720)
# https://docs.djangoproject.com/en/6.1/ref/settings/#session-expire-at-browser-close
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE", default={{ cookiecutter.session_expire_at_browser_close }})
# Never save on every request: activity is stamped at most once per
# SESSION_POLICY["ACTIVITY_GRANULARITY"] instead.
# https://docs.djangoproject.com/en/6.1/ref/settings/#session-save-every-request
SESSION_SAVE_EVERY_REQUEST = False

# Empty keeps cookies on the exact host, which allows the stricter __Host- prefix.
_cookie_domain = env.str("DJANGO_COOKIE_DOMAIN", default={{ cookiecutter.cookie_domain | quoted }}) or None
# __Host- promises Secure, Path=/ and no Domain; a cookie shared with
# subdomains can only promise __Secure-. Browsers reject a prefixed cookie
# that breaks its promise, so plain http gets no prefix.
# https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Set-Cookie#cookie_prefixes
_cookie_prefix = ("__Secure-" if _cookie_domain else "__Host-") if _https else ""
_cookie_samesite = env.choice("DJANGO_SESSION_COOKIE_SAMESITE", ["Lax", "Strict"], default={{ cookiecutter.session_cookie_samesite | quoted }})

# https://docs.djangoproject.com/en/6.1/ref/settings/#session-cookie-name
SESSION_COOKIE_NAME = _cookie_prefix + "sessionid"
SESSION_COOKIE_DOMAIN = _cookie_domain
SESSION_COOKIE_SECURE = _https
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = _cookie_samesite

# The CSRF cookie stays on the exact host even when the session cookie is
# shared: no sibling subdomain can read or plant it.
# https://docs.djangoproject.com/en/6.1/ref/settings/#csrf-cookie-name
CSRF_COOKIE_NAME = ("__Host-" if _https else "") + "csrftoken"
CSRF_COOKIE_SECURE = _https
# Pages read the token from the form field, never from the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = _cookie_samesite

# Messages live in the session: no third cookie.
# https://docs.djangoproject.com/en/6.1/ref/settings/#message-storage
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# What Django leaves to the application, enforced by the session_policy app
# (session_policy/middleware.py and its neighbours; docs/session-policy.md).
SESSION_POLICY = {
    # End a session unused for this long.
    "IDLE_TIMEOUT": timedelta(
        minutes=env.int(
            "DJANGO_SESSION_IDLE_TIMEOUT_MINUTES",
            default={{ cookiecutter.session_idle_timeout_minutes }},
            minimum=1,
            maximum=1440,
        )
    ),
    # End a session this long after sign-in, however active.
    "ABSOLUTE_TIMEOUT": timedelta(seconds=SESSION_COOKIE_AGE),
    # Give a signed-in session a new key this often.
    "ROTATION_INTERVAL": timedelta(
        minutes=env.int("DJANGO_SESSION_ROTATION_MINUTES", default={{ cookiecutter.session_rotation_minutes }}, minimum=1, maximum=1440)
    ),
    # Record activity at most this often: the idle clock is this precise, and
    # steady browsing writes the session store at most once per window.
    "ACTIVITY_GRANULARITY": timedelta(seconds=60),
    # off, subnet (same /24 or /64) or strict (same address).
    "IP_BINDING": env.choice("DJANGO_SESSION_IP_BINDING", ["off", "subnet", "strict"], default={{ cookiecutter.session_ip_binding | quoted }}),
    "USER_AGENT_BINDING": env.bool("DJANGO_SESSION_USER_AGENT_BINDING", default={{ cookiecutter.session_user_agent_binding }}),
    # Device-bound sessions (DBSC): a browser that supports them proves its
    # device key to renew a short-lived bound cookie, without which its session
    # cookie is refused. Other browsers are not affected.
    "DEVICE_BINDING": env.bool("DJANGO_SESSION_DEVICE_BINDING", default={{ cookiecutter.device_bound_sessions }}),
    # How long a bound cookie lasts before the browser proves its key again.
    "DEVICE_BINDING_COOKIE_AGE": timedelta(
        seconds=env.int("DJANGO_SESSION_DEVICE_BINDING_COOKIE_SECONDS", default=600, minimum=10, maximum=3600)
    ),
    # Host-only, like the CSRF cookie: it names no Domain even when the session cookie does.
    "DEVICE_BINDING_COOKIE_NAME": ("__Host-" if _https else "") + "devicebound",
    # How long a re-authentication (password, or second factor when the user
    # has one) unlocks sensitive views.
    "REAUTHENTICATION_TIMEOUT": timedelta(minutes=5),
}

# SIGN-IN, SIGN-UP AND SECOND FACTORS (django-allauth)
# ------------------------------------------------------------------------------
# allauth's views sign in, sign up and manage second factors; the session
# policy still decides how sessions live and end (docs/session-policy.md).
# https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "signup": "accounts.forms.SignupForm",
    "add_email": "accounts.email.AddEmailForm",
}
# No "Remember me" box: SESSION_EXPIRE_AT_BROWSER_CLOSE decides (accounts.forms.LoginForm).
ACCOUNT_SESSION_REMEMBER = False
# closed: accounts are made by administrators; open: anyone may sign up, and
# must verify their address first (read by accounts.adapter).
SIGNUP = env.choice("DJANGO_SIGNUP", ["closed", "open"], default={{ cookiecutter.signup | quoted }})
ACCOUNT_EMAIL_VERIFICATION = "mandatory" if SIGNUP == "open" else "none"
# Open sign-up asks for no username: "that username is taken" would tell
# anyone which accounts exist (ASVS 5.0 6.3.8). allauth derives one, and people
# who signed up sign in with their address, which allauth never says is taken:
# it mails the address's owner instead and shows the same page. Closed, the
# form is never shown; administrators give usernames.
if SIGNUP == "open":
    ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
    ACCOUNT_LOGIN_METHODS = {"username", "email"}
else:
    ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
    ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_PREVENT_ENUMERATION = True
# allauth's own re-authentication records never count: the session policy's
# window decides, for allauth's pages as for the project's (accounts.adapter).
ACCOUNT_REAUTHENTICATION_TIMEOUT = 0
# Email is never an authentication factor (ASVS 5.0 6.3.5): no sign-in by a
# mailed code, no re-authentication by one. A user re-authenticates with the
# password, or with a second factor when they have one (accounts.adapter).
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
# One mechanism per concern. Failed sign-ins and second-factor codes: django-axes
# (below), which allauth's "login" and "login_failed" limits would duplicate.
# Reset requests: accounts/password_reset.py. allauth keeps its other limits
# (sign-up, verification mails), per the address session_policy resolves.
ACCOUNT_RATE_LIMITS = {"login": None, "login_failed": None, "reset_password": None}
# Who must have a second factor: required_for_staff, optional or required
# (read by accounts.middleware). Passkeys serve as a second factor and as a
# sign-in of their own.
# https://docs.allauth.org/en/latest/mfa/configuration.html
SECOND_FACTOR = env.choice("DJANGO_MFA", ["required_for_staff", "optional", "required"], default={{ cookiecutter.mfa | quoted }})
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_RECOVERY_CODES_SHOW_ONCE = True
MFA_TOTP_ISSUER = SITE_NAME
# Refuse second-factor codes while django-axes locks the user out, a
# malformed passkey credential as an incorrect one, and accept each code,
# recovery code and passkey assertion once, however many requests carry it
# at the same moment; code fields that bring up a phone's number pad and
# take a one-time code (accounts.forms).
MFA_FORMS = {
    "authenticate": "accounts.forms.AuthenticateForm",
    "reauthenticate": "accounts.forms.ReauthenticateForm",
    "activate_totp": "accounts.forms.ActivateTOTPForm",
    "add_webauthn": "accounts.forms.AddWebAuthnForm",
    "authenticate_webauthn": "accounts.forms.AuthenticateWebAuthnForm",
    "reauthenticate_webauthn": "accounts.forms.ReauthenticateWebAuthnForm",
    "login_webauthn": "accounts.forms.LoginWebAuthnForm",
}
# allauth refuses a factor while any address is unverified, against a stranger
# who signs up with someone else's address; with closed sign-up addresses come
# from administrators, and a user told to set up a factor must be able to.
# With open sign-up, the enrolment redirect leaves the email pages open
# (accounts.middleware) to verify or remove the address.
MFA_ALLOW_UNVERIFIED_EMAIL = SIGNUP == "closed"

# SIGN-IN LOCKOUT (django-axes)
# ------------------------------------------------------------------------------
# Wrong passwords and wrong second-factor codes count together
# (session_policy.receivers), per account whatever spelling finds it, and
# per client network (the address, or its /64 for IPv6) as the session
# policy resolves it behind the proxies. Two limits (accounts/lockout.py):
# one network meets AXES_FAILURE_LIMIT first; many networks together meet
# LOCKOUT_ACCOUNT_FAILURE_LIMIT. Either lock lifts AXES_COOLOFF_TIME after
# the last failure, and a passkey still signs in (docs/session-policy.md).
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = 5
LOCKOUT_ACCOUNT_FAILURE_LIMIT = 20
AXES_COOLOFF_TIME = timedelta(minutes=15)
# A try refused by a lock is not counted: hammering a lock neither extends it
# nor, from one network, adds to the account's count across networks.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.lockout.account_key"
AXES_CLIENT_IP_CALLABLE = "session_policy.client_ip.client_network"
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "lockout.html"
# The audit trail already records every sign-in and sign-out.
AXES_DISABLE_ACCESS_LOG = True
# No start-up banner: every manage.py command, and both runserver processes, would print it.
AXES_VERBOSE = False

# PROXY AND HTTPS
# ------------------------------------------------------------------------------
# Reverse proxies in front of the app. X-Forwarded-* headers are believed only
# this many hops deep; 0 means clients talk to the app directly.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default={{ cookiecutter.trusted_proxy_count }}, maximum=10)
# The addresses the nearest proxy connects from: X-Forwarded-For and
# X-Forwarded-Proto count only on connections from these (session_policy/
# client_ip.py, session_policy/forwarded.py), and gunicorn.conf.py gives
# them to gunicorn. By default a proxy on the same host.
TRUSTED_PROXIES = env.networks("DJANGO_TRUSTED_PROXIES", default="127.0.0.1,::1" if TRUSTED_PROXY_COUNT else "")
# Believed only from TRUSTED_PROXIES: session_policy.forwarded drops the
# header on any other connection before SecurityMiddleware reads it.
# https://docs.djangoproject.com/en/6.1/ref/settings/#secure-proxy-ssl-header
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
# https://docs.djangoproject.com/en/6.1/ref/settings/#secure-ssl-redirect
SECURE_SSL_REDIRECT = _https
# The container's health probe asks gunicorn directly, over plain http.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
# One year, subdomains included.
# https://docs.djangoproject.com/en/6.1/ref/settings/#secure-hsts-seconds
SECURE_HSTS_SECONDS = 31_536_000 if _https else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
# https://docs.djangoproject.com/en/6.1/ref/settings/#secure-referrer-policy
SECURE_REFERRER_POLICY = "same-origin"
# https://docs.djangoproject.com/en/6.1/ref/settings/#secure-cross-origin-opener-policy
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# https://docs.djangoproject.com/en/6.1/ref/settings/#x-frame-options
X_FRAME_OPTIONS = "DENY"

# CONTENT SECURITY POLICY AND BROWSER FEATURES
# ------------------------------------------------------------------------------
# Nothing loads unless listed; scripts and styles only from this site or with
# the per-response nonce. No inline code anywhere, the admin included.
# https://docs.djangoproject.com/en/6.1/ref/csp/
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# Other sites may not embed this site's responses (sent by headers.py).
SECURE_CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
# Browser features the site does not use, denied to it and to any frame.
# https://github.com/adamchainz/django-permissions-policy
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
} | {
    # Passkeys: this site may create and use them, no frame may.
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

# TEMPLATES AND STATIC FILES
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/6.1/ref/settings/#templates
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "session_policy.context_processors.idle_warning",
                "{{ cookiecutter.project_slug }}.context_processors.site_title",
            ],
        },
    },
]
# https://docs.djangoproject.com/en/6.1/ref/settings/#static-files
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site's root, such as /favicon.ico.
# https://whitenoise.readthedocs.io/en/stable/django.html#WHITENOISE_ROOT
WHITENOISE_ROOT = BASE_DIR / "public"
# https://whitenoise.readthedocs.io/en/stable/django.html#add-compression-and-caching-support
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# EMAIL
# ------------------------------------------------------------------------------
# EMAIL_URL is an email URL: smtp+tls://user:password@host:587, consolemail://
# https://docs.djangoproject.com/en/6.1/ref/settings/#mailers
MAILERS = {"default": env.mailer("EMAIL_URL", default="smtp://localhost:25")}
# https://docs.djangoproject.com/en/6.1/ref/settings/#default-from-email
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default={{ ("noreply@" ~ cookiecutter.domain_name) | quoted }})
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# LOGGING
# ------------------------------------------------------------------------------
# Everything to stdout, for the container runtime to collect. The audit trail
# ("audit" logger) is one JSON object per line.
# https://docs.djangoproject.com/en/6.1/topics/logging/
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{levelname} {name} {message}", "style": "{"},
        "json": {"()": "session_policy.audit.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"},
        "audit": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"},
    },
    "loggers": {
        "audit": {"handlers": ["audit"], "level": "INFO", "propagate": False},
    },
    "root": {
        "handlers": ["console"],
        "level": env.choice("DJANGO_LOG_LEVEL", ["DEBUG", "INFO", "WARNING", "ERROR"], default="INFO"),
    },
}
