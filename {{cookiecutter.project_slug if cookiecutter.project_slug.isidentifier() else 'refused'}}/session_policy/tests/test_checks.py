"""The system checks say nothing about the project's settings and name every mistake."""

import io
import ipaddress
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
import redis.sentinel
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import path
from django.views.generic import RedirectView

from accounts.urls import urlpatterns as account_urls
from session_policy.checks import check_user_model_carries_the_policy, replica_reads
from session_policy.urls import urlpatterns as policy_urls

# The system checks ask the database what it supports (JSONField), and run on
# a shared cache, as production does, unless a test says otherwise.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_cache")]

PROJECT_DIR = Path(__file__).resolve().parents[2]
LOCAL_CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AUTHENTICATION_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
MESSAGE_MIDDLEWARE = "django.contrib.messages.middleware.MessageMiddleware"
POLICY_MIDDLEWARE = "session_policy.middleware.SessionPolicyMiddleware"
PROTO_MIDDLEWARE = "session_policy.forwarded.ForwardedProtoMiddleware"


def reported(*, deploy):
    """Return the ids of the session policy's messages, with or without the deploy checks."""
    return [
        message.id
        for message in run_checks(include_deployment_checks=deploy)
        if message.id.startswith("session_policy.")
    ]


def urlconf(patterns):
    """Return a URLconf module made of patterns."""
    module = ModuleType("urls")
    module.urlpatterns = list(patterns)
    return module


def reported_always(check_id):
    return check_id in reported(deploy=False)


def reported_on_deploy_only(check_id):
    return check_id not in reported(deploy=False) and check_id in reported(deploy=True)


def test_the_project_settings_pass_every_check():
    assert reported(deploy=True) == []


def deploy_check_report():
    """Run ``manage.py check --deploy --fail-level WARNING``; return what it refused."""
    try:
        call_command("check", "--deploy", "--fail-level", "WARNING", stdout=io.StringIO())
    except SystemCheckError as error:
        return str(error)
    return ""


def test_the_deploy_check_has_nothing_to_say_about_the_policy_in_production():
    # The test environment's own email backend gets mail.E001: only the policy's ids matter here.
    assert "session_policy." not in deploy_check_report()


def test_the_deploy_check_fails_on_a_policy_warning(settings):
    settings.SESSION_SAVE_EVERY_REQUEST = True

    assert "session_policy.W001" in deploy_check_report()


def test_the_local_development_settings_pass_every_check():
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_ENV_FILE": "",
        "DJANGO_SECRET_KEY": "local-only",
        "DJANGO_DEBUG": "true",
        "DJANGO_HTTPS": "false",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "session_policy" not in result.stdout + result.stderr


def test_a_process_local_session_cache_is_refused_on_deploy(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.CACHES = LOCAL_CACHES

    assert reported_on_deploy_only("session_policy.E001")


@pytest.mark.parametrize("backend", ["locmem.LocMemCache", "dummy.DummyCache"])
def test_a_process_local_cache_is_refused_on_deploy_with_database_sessions_too(settings, backend):
    """Rate limits and used second-factor codes live in the cache, whatever holds the sessions."""
    settings.SESSION_ENGINE = "session_policy.backends.db"
    settings.CACHES = {"default": {"BACKEND": f"django.core.cache.backends.{backend}"}}

    assert reported_on_deploy_only("session_policy.E001")


def test_database_sessions_with_the_database_cache_pass(settings):
    settings.SESSION_ENGINE = "session_policy.backends.db"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}
    }

    assert "session_policy.E001" not in reported(deploy=True)


def test_signed_cookie_sessions_are_refused(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

    assert reported_always("session_policy.E002")


@pytest.mark.parametrize("cookie", ["SESSION_COOKIE", "CSRF_COOKIE"])
@pytest.mark.parametrize(
    ("attribute", "value"),
    [("DOMAIN", "example.com"), ("PATH", "/app/"), ("SECURE", False)],
    ids=["domain", "path", "secure"],
)
def test_a_host_prefixed_cookie_must_keep_its_promise(settings, cookie, attribute, value):
    setattr(settings, f"{cookie}_NAME", "__Host-cookie")
    setattr(settings, f"{cookie}_DOMAIN", None)
    setattr(settings, f"{cookie}_PATH", "/")
    setattr(settings, f"{cookie}_SECURE", True)
    assert not reported_always("session_policy.E003")

    setattr(settings, f"{cookie}_{attribute}", value)

    assert reported_always("session_policy.E003")


@pytest.mark.parametrize("cookie", ["SESSION_COOKIE", "CSRF_COOKIE"])
def test_a_secure_prefixed_cookie_must_be_secure(settings, cookie):
    setattr(settings, f"{cookie}_NAME", "__Secure-cookie")
    setattr(settings, f"{cookie}_DOMAIN", "example.com")
    assert not reported_always("session_policy.E003")

    setattr(settings, f"{cookie}_SECURE", False)

    assert reported_always("session_policy.E003")


@pytest.mark.parametrize("cookie", ["SESSION_COOKIE", "CSRF_COOKIE"])
@pytest.mark.parametrize("value", [None, False, "None"])
def test_cookies_must_be_samesite_lax_or_strict(settings, cookie, value):
    setattr(settings, f"{cookie}_SAMESITE", value)

    assert reported_always("session_policy.E004")


@pytest.mark.parametrize("value", ["Lax", "Strict"])
def test_samesite_lax_and_strict_both_pass(settings, value):
    settings.SESSION_COOKIE_SAMESITE = settings.CSRF_COOKIE_SAMESITE = value

    assert "session_policy.E004" not in reported(deploy=True)


@pytest.mark.parametrize("extra", [timedelta(0), timedelta(minutes=1)], ids=["equal", "longer"])
def test_the_idle_timeout_must_be_shorter_than_the_absolute_timeout(settings, extra):
    absolute = settings.SESSION_POLICY["ABSOLUTE_TIMEOUT"]
    settings.SESSION_POLICY = {**settings.SESSION_POLICY, "IDLE_TIMEOUT": absolute + extra}

    assert reported_always("session_policy.E005")


@pytest.mark.parametrize("extra", [timedelta(0), timedelta(minutes=1)], ids=["equal", "longer"])
def test_the_rotation_interval_must_be_shorter_than_the_absolute_timeout(settings, extra):
    absolute = settings.SESSION_POLICY["ABSOLUTE_TIMEOUT"]
    settings.SESSION_POLICY = {**settings.SESSION_POLICY, "ROTATION_INTERVAL": absolute + extra}

    assert reported_always("session_policy.E006")


def test_the_policy_middleware_must_be_installed(settings):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != POLICY_MIDDLEWARE]

    assert reported_always("session_policy.E007")


@pytest.mark.parametrize("needed", [AUTHENTICATION_MIDDLEWARE, MESSAGE_MIDDLEWARE])
def test_the_policy_middleware_must_come_after_what_it_relies_on(settings, needed):
    others = [name for name in settings.MIDDLEWARE if name != POLICY_MIDDLEWARE]
    position = others.index(needed)
    settings.MIDDLEWARE = [*others[:position], POLICY_MIDDLEWARE, *others[position:]]

    assert reported_always("session_policy.E007")


@pytest.mark.parametrize("binding", ["subnet", "strict", "off"])
def test_the_trusted_proxy_count_must_be_set(settings, binding):
    settings.SESSION_POLICY = {**settings.SESSION_POLICY, "IP_BINDING": binding}
    del settings.TRUSTED_PROXY_COUNT

    assert reported_always("session_policy.E008")


def test_no_proxy_in_front_is_a_valid_count(settings):
    settings.SESSION_POLICY = {**settings.SESSION_POLICY, "IP_BINDING": "strict"}
    settings.TRUSTED_PROXY_COUNT = 0

    assert "session_policy.E008" not in reported(deploy=True)


def test_saving_the_session_on_every_request_is_warned_against(settings):
    settings.SESSION_SAVE_EVERY_REQUEST = True

    assert reported_always("session_policy.W001")


@pytest.mark.parametrize("setting", ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"])
def test_cookies_must_be_secure_in_production(settings, setting):
    setattr(settings, setting, False)

    assert reported_on_deploy_only("session_policy.E009")


def test_the_session_cookie_must_be_httponly_in_production(settings):
    settings.SESSION_COOKIE_HTTPONLY = False

    assert reported_on_deploy_only("session_policy.E010")


@pytest.mark.parametrize("setting", ["SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME"])
def test_cookie_names_must_be_prefixed_in_production(settings, setting):
    setattr(settings, setting, "plain")

    assert reported_on_deploy_only("session_policy.W002")


@pytest.mark.parametrize("seconds", [3600, 31_535_999])
def test_hsts_must_last_a_year_in_production(settings, seconds):
    settings.SECURE_HSTS_SECONDS = seconds

    assert reported_on_deploy_only("session_policy.W004")


def test_no_hsts_at_all_is_left_to_django(settings):
    settings.SECURE_HSTS_SECONDS = 0

    ids = [message.id for message in run_checks(include_deployment_checks=True)]
    assert "security.W004" in ids
    assert "session_policy.W004" not in ids


def test_the_user_model_must_carry_the_policy(settings):
    # Django's own user model, which lacks the marks and the epoch. Swapping it would also
    # fail Django's own model checks, so only this check runs.
    settings.AUTH_USER_MODEL = "auth.User"

    assert [message.id for message in check_user_model_carries_the_policy(app_configs=None)] == ["session_policy.E011"]


@pytest.mark.parametrize(
    ("name", "check_id"),
    [
        ("logout", "session_policy.E012"),
        ("sessions", "session_policy.E013"),
        ("revoke_other_sessions", "session_policy.E013"),
        ("reauthenticate", "session_policy.E014"),
        ("password_change", "session_policy.E015"),
        ("password_reset_confirm", "session_policy.E015"),
    ],
)
def test_the_policy_views_must_answer_their_urls(settings, name, check_id):
    # The project's URLs, but another view answers this one.
    settings.ROOT_URLCONF = urlconf(
        path(str(url.pattern), RedirectView.as_view(url="/"), name=name) if url.name == name else url
        for url in account_urls + policy_urls
    )

    assert reported(deploy=False) == [check_id]


def test_a_missing_policy_url_is_refused(settings):
    settings.ROOT_URLCONF = urlconf(url for url in account_urls + policy_urls if url.name != "sessions")

    assert "session_policy.E013" in reported(deploy=False)


def test_an_audit_logger_that_drops_info_is_warned_against(monkeypatch):
    monkeypatch.setattr(logging.getLogger("audit"), "disabled", True)

    assert reported_always("session_policy.W003")


def test_every_message_has_a_hint(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.SESSION_COOKIE_NAME = "sessionid"
    settings.SESSION_COOKIE_SECURE = settings.SESSION_COOKIE_HTTPONLY = False
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"
    settings.CSRF_COOKIE_PATH = "/app/"
    settings.CSRF_COOKIE_SAMESITE = None
    settings.SESSION_SAVE_EVERY_REQUEST = True
    settings.MIDDLEWARE = []

    messages = [message for message in run_checks(include_deployment_checks=True) if "session_policy" in message.id]

    assert len({message.id for message in messages}) >= 8
    assert [message.id for message in messages if not message.hint] == []


def test_trusting_a_proxy_count_needs_the_proxies_addresses(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ()

    assert reported_always("session_policy.E021")


def test_the_proxy_ssl_header_needs_the_middleware_that_ties_it_to_the_proxies(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != PROTO_MIDDLEWARE] + [PROTO_MIDDLEWARE]

    assert reported_always("session_policy.E017")


@pytest.mark.parametrize(("count", "trusted"), [(0, ["10.0.0.0/8"]), (1, ["10.0.0.0/8", "0.0.0.0/0"]), (1, ["::/0"])])
def test_proxies_that_are_never_read_or_that_are_everyone_are_warned_about(settings, count, trusted):
    settings.TRUSTED_PROXY_COUNT = count
    settings.TRUSTED_PROXIES = tuple(ipaddress.ip_network(network) for network in trusted)

    assert {"session_policy.W005", "session_policy.W006"} & set(reported(deploy=False))


REDIS = "django.core.cache.backends.redis.RedisCache"
DJANGO_REDIS = "django_redis.cache.RedisCache"
SENTINEL_OPTIONS = {
    "pool_class": "redis.sentinel.SentinelConnectionPool",
    "service_name": "sessions",
    "sentinel_manager": redis.sentinel.Sentinel([("10.0.0.7", 26379)]),
}


@pytest.mark.parametrize(
    "cache",
    [
        {"BACKEND": REDIS, "LOCATION": "redis://primary:6379/0,redis://replica:6379/0"},
        {"BACKEND": REDIS, "LOCATION": "redis://primary:6379/0;redis://replica:6379/0"},
        {"BACKEND": REDIS, "LOCATION": ["redis://primary:6379/0", "redis://replica:6379/0"]},
        {"BACKEND": REDIS, "LOCATION": "redis://sessions/0", "OPTIONS": SENTINEL_OPTIONS | {"is_master": False}},
    ],
    ids=["comma", "semicolon", "list", "sentinel-replica"],
)
def test_a_session_cache_that_reads_from_a_replica_is_refused(settings, cache):
    settings.SESSION_ENGINE = "session_policy.backends.cached_db"
    settings.CACHES = {"default": cache}

    assert reported_always("session_policy.E018")


def test_a_session_cache_on_the_sentinel_primary_passes(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": REDIS,
            "LOCATION": "redis://sessions/0",
            "OPTIONS": SENTINEL_OPTIONS | {"is_master": True},
        }
    }

    assert "session_policy.E018" not in reported(deploy=True)


# django-redis is not installed here, so Django's own cache check would fail
# first: these ask the rule itself.
@pytest.mark.parametrize(
    ("location", "options", "reads_from_a_replica"),
    [
        (["redis://primary:6379/0", "redis://replica:6379/0"], {}, True),
        ("redis://primary:6379/0,redis://replica:6379/0", {}, True),
        ("redis://primary:6379/0", {}, False),
        ("redis://sessions/0", {"CLIENT_CLASS": "django_redis.client.SentinelClient"}, True),
        (["redis://sessions/0?is_master=0"], {"CLIENT_CLASS": "django_redis.client.SentinelClient"}, True),
        (["redis://sessions/0?is_master=1"], {"CLIENT_CLASS": "django_redis.client.SentinelClient"}, False),
    ],
)
def test_django_redis_reads_from_replicas_unless_given_the_primary_alone(location, options, reads_from_a_replica):
    reason = replica_reads({"BACKEND": DJANGO_REDIS, "LOCATION": location, "OPTIONS": options})

    assert (reason is not None) is reads_from_a_replica


def test_a_replica_cache_matters_only_to_cache_backed_sessions(settings):
    settings.CACHES = {"default": {"BACKEND": REDIS, "LOCATION": "redis://primary:6379/0,redis://replica:6379/0"}}
    settings.SESSION_ENGINE = "session_policy.backends.db"

    assert "session_policy.E018" not in reported(deploy=True)


def test_sentinel_without_a_master_name_is_refused(settings):
    settings.CACHES = {
        "default": {"BACKEND": REDIS, "LOCATION": "redis:///0", "OPTIONS": SENTINEL_OPTIONS | {"service_name": ""}}
    }

    assert reported_always("session_policy.E019")


class ReplicaRouter:
    """Sends the reads of the given apps to a replica."""

    apps = ()

    def db_for_read(self, model, **hints):
        return "replica" if model._meta.app_label in self.apps else None


class AxesReplicaRouter(ReplicaRouter):
    apps = ("axes",)


class ReportsReplicaRouter(ReplicaRouter):
    apps = ("contenttypes",)


@pytest.mark.parametrize(("router", "refused"), [("AxesReplicaRouter", True), ("ReportsReplicaRouter", False)])
def test_a_router_may_not_read_session_records_from_a_replica(settings, router, refused):
    settings.DATABASE_ROUTERS = [f"{__name__}.{router}"]

    assert ("session_policy.E020" in reported(deploy=False)) is refused


# Sign-in and second factors (ASVS 5.0 V6).


@pytest.mark.parametrize(
    ("setting", "value"),
    [("ACCOUNT_REAUTHENTICATION_METHODS", ("password", "code", "mfa")), ("ACCOUNT_LOGIN_BY_CODE_ENABLED", True)],
)
def test_a_mailed_code_as_a_factor_is_refused(settings, setting, value):
    setattr(settings, setting, value)

    assert reported(deploy=False) == ["session_policy.E030"]


def test_an_authenticator_manager_without_the_factor_queryset_is_refused(monkeypatch):
    from allauth.mfa.models import AuthenticatorManager
    from django.db.models import QuerySet

    assert "session_policy.E035" not in reported(deploy=False)
    monkeypatch.setattr(AuthenticatorManager, "_queryset_class", QuerySet)

    assert "session_policy.E035" in reported(deploy=False)


def test_allauths_own_second_factor_step_is_refused(settings):
    settings.ACCOUNT_ADAPTER = "allauth.account.adapter.DefaultAccountAdapter"

    assert "session_policy.E031" in reported(deploy=False)


@pytest.mark.parametrize("form", ["authenticate_webauthn", "reauthenticate_webauthn", "login_webauthn"])
def test_a_passkey_form_that_accepts_an_assertion_twice_is_refused(settings, form):
    settings.MFA_FORMS = {name: value for name, value in settings.MFA_FORMS.items() if name != form}

    assert reported(deploy=False) == ["session_policy.E032"]


def test_a_totp_code_living_longer_than_30_seconds_is_refused(settings):
    settings.MFA_TOTP_PERIOD = 60

    assert reported(deploy=False) == ["session_policy.E033"]


@pytest.mark.parametrize(
    "validators",
    [
        [{"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"}],
        [
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 6}},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        ],
        [{"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"}],
    ],
)
def test_short_or_common_passwords_allowed_are_refused(settings, validators):
    settings.AUTH_PASSWORD_VALIDATORS = validators

    assert reported(deploy=False) == ["session_policy.E034"]
