"""Test setup: the production settings, with the local .env ignored.

Django is set up here rather than by pytest-django, so that the environment
is ready before the settings are read: the suite tests exactly what is
deployed. Set DATABASE_URL and REDIS_URL to run it on PostgreSQL and Redis.
"""

import json
import logging
import os

import django
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from session_policy.audit import JsonFormatter

os.environ["DJANGO_ENV_FILE"] = ""
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{{ cookiecutter.project_slug }}.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-that-is-long-and-random-enough-0123456789")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
# The suite's users sign in with a password alone and have no verified address:
# session_policy/tests/test_second_factor.py sets and tests each choice of these two.
os.environ.setdefault("DJANGO_MFA", "optional")
os.environ.setdefault("DJANGO_SIGNUP", "closed")
django.setup()


@pytest.fixture(autouse=True)
def _cheap_password_hashing(settings):
    """Hash passwords cheaply, as Django advises for tests: the suite signs in hundreds of times.

    The deployed hasher costs a third of a second by design. The one test about
    that cost, accounts/tests/test_enumeration.py, puts it back.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Serve static files without a manifest, so tests need no collectstatic."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache(request, settings):
    """Start every test with an empty cache: no rate-limit count or session left by another.

    The db engine without Redis keeps its cache in the database: only a test
    allowed the database can reach it, and only such a test needs it emptied.
    """
    in_database = settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    may_use_database = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if may_use_database or not in_database:
        cache.clear()


@pytest.fixture
def password():
    return "correct horse battery staple"


@pytest.fixture
def user(django_user_model, password):
    return django_user_model.objects.create_user("alice", "alice@example.com", password)


@pytest.fixture
def sign_in(password):
    """Sign a user in through the sign-in form, as a browser does.

    Unlike Client.force_login(), this binds the session to the client's
    address and browser, as every real sign-in does.
    """

    def sign_in(client, user, **extra):
        response = client.post(reverse("login"), {"username": user.username, "password": password}, **extra)
        if response.status_code != 302:
            pytest.fail(f"signing in {user} failed with status {response.status_code}")
        return response

    return sign_in


class HttpsClient(Client):
    """A test client whose every request arrives over HTTPS, as in production."""

    def request(self, **request):
        request.update({"wsgi.url_scheme": "https", "SERVER_PORT": "443"})
        return super().request(**request)


@pytest.fixture
def https_client():
    """Make HTTPS test clients, e.g. ``https_client(enforce_csrf_checks=True)``."""
    return HttpsClient


@pytest.fixture
def client():
    """The default test client, over HTTPS."""
    return HttpsClient()


class AuditLog(logging.Handler):
    """Collect the audit trail's events as the JSON formatter would write them."""

    def __init__(self):
        super().__init__()
        self.events = []

    def emit(self, record):
        self.events.append(json.loads(self.format(record)))

    def of(self, event):
        return [entry for entry in self.events if entry["event"] == event]


@pytest.fixture
def audit_log():
    handler = AuditLog()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("audit")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
