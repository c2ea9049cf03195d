"""The settings are production settings unless the environment relaxes them."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from session_policy.engines import ENGINES

PROJECT_DIR = Path(__file__).resolve().parents[2]
SECRET = "a-secret-key-long-enough-for-the-deploy-check-0123456789-abcdefghij"
NETWORKS = "use IPv4 or IPv6 addresses and CIDR ranges, comma-separated, e.g. 10.0.0.0/24,fd00::1"
SENTINELS = "use host:port pairs, comma-separated, e.g. 10.0.0.7:26379,10.0.0.8:26379"
PRINT_SETTINGS = """
import json
from django.conf import settings
names = json.loads(input())
print(json.dumps({name: getattr(settings, name) for name in names}, default=str))
"""


def load_settings(names, **environ):
    """Import the settings in a fresh process with only the given variables."""
    clean = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]}
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        input=json.dumps(names),
        env=clean | environ,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def settings_with(*names, **environ):
    result = load_settings(list(names), **environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_no_environment_means_production():
    values = settings_with(
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_HTTPONLY",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ENV_FILE="",
    )

    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SESSION_COOKIE_HTTPONLY": True,
    }


def test_the_sign_in_choices_default_to_the_answers_and_open_sign_up_verifies_addresses():
    answers = settings_with("SECOND_FACTOR", "SIGNUP", DJANGO_SECRET_KEY=SECRET, DJANGO_ENV_FILE="")
    open_sign_up = settings_with(
        "ACCOUNT_EMAIL_VERIFICATION", DJANGO_SECRET_KEY=SECRET, DJANGO_ENV_FILE="", DJANGO_SIGNUP="open"
    )

    assert answers == {"SECOND_FACTOR": {{ cookiecutter.mfa | quoted }}, "SIGNUP": {{ cookiecutter.signup | quoted }}}
    assert open_sign_up == {"ACCOUNT_EMAIL_VERIFICATION": "mandatory"}


def test_a_missing_secret_key_is_refused_with_a_clear_message():
    result = load_settings(["DEBUG"], DJANGO_ENV_FILE="")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set." in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("DJANGO_HTTPS", "flase", "use true or false"),
        ("DJANGO_DEBUG", "maybe", "use true or false"),
        ("DJANGO_SESSION_IDLE_TIMEOUT_MINUTES", "thirty", "use a whole number from 1 to 1440"),
        ("DJANGO_SESSION_ROTATION_MINUTES", "0", "use a whole number from 1 to 1440"),
        ("DJANGO_TRUSTED_PROXY_COUNT", "-1", "use a whole number from 0 to 10"),
        ("DJANGO_SESSION_ENGINE", "signed_cookies", f"use one of {', '.join(ENGINES)}"),
        ("DJANGO_SESSION_COOKIE_SAMESITE", "None", "use one of Lax, Strict"),
        ("DJANGO_SESSION_IP_BINDING", "loose", "use one of off, subnet, strict"),
        ("DJANGO_TRUSTED_PROXIES", "10.0.0.300", NETWORKS),
        ("DJANGO_TRUSTED_PROXIES", "10.0.0.5/24", NETWORKS),
        ("DJANGO_TRUSTED_PROXIES", "127.0.0.1,caddy", NETWORKS),
        ("REDIS_SENTINELS", "10.0.0.7", SENTINELS),
        ("REDIS_SENTINELS", "10.0.0.7:26379,10.0.0.8:port", SENTINELS),
        ("REDIS_SENTINELS", "10.0.0.7:99999", SENTINELS),
        ("DJANGO_MFA", "always", "use one of required_for_staff, optional, required"),
        ("DJANGO_SIGNUP", "invite", "use one of closed, open"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(variable, value, allowed):
    result = load_settings(["DEBUG"], DJANGO_SECRET_KEY=SECRET, DJANGO_ENV_FILE="", **{variable: value})

    assert result.returncode != 0
    assert f"{variable}={value!r} is not valid: {allowed}." in result.stderr


def test_the_local_env_file_relaxes_only_plain_http_development(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"DJANGO_SECRET_KEY={SECRET}\nDJANGO_DEBUG=true\nDJANGO_HTTPS=false\n")

    values = settings_with(
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_NAME",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        DJANGO_ENV_FILE=str(env_file),
    )

    assert values["DEBUG"] is True
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SESSION_COOKIE_NAME"] == "sessionid"
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")


def test_the_real_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"DJANGO_SECRET_KEY={SECRET}\nDJANGO_DEBUG=true\n")

    values = settings_with("DEBUG", DJANGO_ENV_FILE=str(env_file), DJANGO_DEBUG="false")

    assert values["DEBUG"] is False


def test_a_cookie_domain_shares_the_session_cookie_but_never_the_csrf_cookie():
    values = settings_with(
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_DOMAIN",
        "CSRF_COOKIE_NAME",
        "CSRF_COOKIE_DOMAIN",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ENV_FILE="",
        DJANGO_COOKIE_DOMAIN="example.org",
    )

    assert values == {
        "SESSION_COOKIE_NAME": "__Secure-sessionid",
        "SESSION_COOKIE_DOMAIN": "example.org",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "CSRF_COOKIE_DOMAIN": None,
    }


def test_an_email_url_becomes_the_default_mailer():
    values = settings_with(
        "MAILERS", DJANGO_SECRET_KEY=SECRET, DJANGO_ENV_FILE="", EMAIL_URL="smtp+tls://bob:s3cret@mail.example.org:587"
    )

    options = values["MAILERS"]["default"]["OPTIONS"]
    assert options["host"] == "mail.example.org"
    assert options["port"] == 587
    assert options["use_tls"] is True


def test_the_helpers_of_the_settings_module_stay_out_of_the_settings():
    # Django copies every upper-case name of the module into django.conf.settings,
    # "_HTTPS" included: the module's own helpers are private and lower case.
    module = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    helpers = [name for name in vars(module) if name.startswith("_") and not name.startswith("__")]

    assert "_env_file" in helpers
    assert [name for name in helpers if hasattr(settings, name)] == []
    old_helpers = [
        "SESSION_ENGINES",
        "ENV_FILE",
        "REDIS_URL",
        "COOKIE_SAMESITE",
        "HTTPS",
        "COOKIE_PREFIX",
        "COOKIE_DOMAIN",
    ]
    assert [name for name in old_helpers if hasattr(settings, name)] == []


@pytest.mark.parametrize(
    ("environ", "trusted"),
    [
        ({"DJANGO_TRUSTED_PROXY_COUNT": "1"}, ["127.0.0.1/32", "::1/128"]),
        ({"DJANGO_TRUSTED_PROXY_COUNT": "0"}, []),
        ({"DJANGO_TRUSTED_PROXIES": " 10.0.0.0/8, fd00::/8 ,192.0.2.7"}, ["10.0.0.0/8", "fd00::/8", "192.0.2.7/32"]),
    ],
)
def test_the_trusted_proxies_are_parsed_once_into_networks(environ, trusted):
    values = settings_with("TRUSTED_PROXIES", DJANGO_SECRET_KEY=SECRET, DJANGO_ENV_FILE="", **environ)

    assert values["TRUSTED_PROXIES"] == trusted


def test_redis_sentinel_serves_the_sessions_from_the_primary():
    environ = {
        "REDIS_SENTINELS": "10.0.0.7:26379,[fd00::8]:26380",
        "REDIS_SENTINEL_MASTER": "sessions",
        "REDIS_PASSWORD": "data-password",
        "REDIS_SENTINEL_PASSWORD": "sentinel-password",
    }
    code = (
        # Django's own client, asked for the pool it reads from.
        "from django.core.cache import cache\n"
        "client = cache._cache\n"
        "pool = client._get_connection_pool(write=False)\n"
        "manager = pool.sentinel_manager\n"
        "print(type(pool).__name__, pool.service_name, pool.is_master, client._servers,\n"
        "      pool.connection_kwargs['password'],\n"
        "      [sentinel.connection_pool.connection_kwargs['host'] for sentinel in manager.sentinels],\n"
        "      manager.sentinels[0].connection_pool.connection_kwargs['password'])"
    )
    shown = (
        subprocess.run(
            [sys.executable, "-c", f"import django; django.setup()\n{code}"],
            env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]}
            | {"DJANGO_SECRET_KEY": SECRET, "DJANGO_ENV_FILE": ""}
            | environ,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.splitlines()[-1]
        .split()
    )

    assert shown == [
        "SentinelConnectionPool",
        "sessions",
        "True",
        "['redis://sessions/0']",
        "data-password",
        "['10.0.0.7',",
        "'fd00::8']",
        "sentinel-password",
    ]


def test_one_redis_server_and_sentinel_at_once_are_refused():
    result = load_settings(
        ["CACHES"],
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ENV_FILE="",
        REDIS_URL="redis://10.0.0.7:6379/0",
        REDIS_SENTINELS="10.0.0.7:26379",
    )

    assert result.returncode != 0
    assert "Set REDIS_URL for one Redis server or REDIS_SENTINELS for Redis Sentinel, not both." in result.stderr
