"""
The plain baseline: Django's own ``startproject``, made comparable.

It keeps Django's stock middleware, password hashers and session engine
default, and gets only what a fair comparison needs: the same page and a
sign-in form, DEBUG off, the same database, cache and persistent database
connections as the generated project, and the same gunicorn settings. It
reads the same environment variables, so one runner drives both.
"""

from benchmarks.bake import run
from benchmarks.pages import LOGIN, PAGE, add_page

NAME = "baseline"

SETTINGS = """

# Benchmark baseline: what a fair comparison with the generated project needs.
import os
from urllib.parse import unquote, urlsplit

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = os.environ["DJANGO_ALLOWED_HOSTS"].split(",")
_database = urlsplit(os.environ["DATABASE_URL"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _database.path.lstrip("/"),
        "USER": unquote(_database.username),
        "PASSWORD": unquote(_database.password),
        "HOST": _database.hostname,
        "PORT": _database.port,
        # As the generated project: persistent connections, checked before reuse.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
SESSION_ENGINE = "django.contrib.sessions.backends." + os.environ.get("DJANGO_SESSION_ENGINE", "db")
TEMPLATES[0]["DIRS"] = [BASE_DIR / "benchmark_templates"]
LOGIN_URL = "{login}"
LOGIN_REDIRECT_URL = "{page}"
"""

URLS = """from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import path

from benchmark_page import page

urlpatterns = [
    path("page/", page),
    path("accounts/login/", LoginView.as_view()),
    path("admin/", admin.site.urls),
]
"""

LOGIN_TEMPLATE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in</title></head>
<body>
  <h1>Sign in</h1>
  <form method="post">{% csrf_token %}{{ form.as_p }}<button type="submit">Sign in</button></form>
</body>
</html>
"""

# The generated project's gunicorn.conf.py, value for value.
GUNICORN_CONF = """import os

wsgi_app = "baseline.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1))
timeout = 30
graceful_timeout = timeout
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
control_socket_disable = True
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
"""


def create(project_python, parent):
    """Run ``django-admin startproject baseline`` with the project's Django; return its directory."""
    directory = parent / NAME
    directory.mkdir()
    run([project_python.parent / "django-admin", "startproject", NAME, directory])
    package = directory / NAME
    with (package / "settings.py").open("a") as settings:
        settings.write(SETTINGS.replace("{login}", LOGIN).replace("{page}", PAGE))
    (package / "urls.py").write_text(URLS)
    templates = add_page(directory)
    (templates / "registration").mkdir()
    (templates / "registration" / "login.html").write_text(LOGIN_TEMPLATE)
    (directory / "gunicorn.conf.py").write_text(GUNICORN_CONF)
    return directory
