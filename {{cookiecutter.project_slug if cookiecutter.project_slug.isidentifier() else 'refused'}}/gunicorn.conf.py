"""gunicorn settings for production, from the environment and Django's settings.

https://docs.gunicorn.org/en/stable/settings.html
"""

import os

from django.conf import settings

from {{ cookiecutter.project_slug }}.environment import Env

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{{ cookiecutter.project_slug }}.settings")
env = Env()

wsgi_app = "{{ cookiecutter.project_slug }}.wsgi:application"
bind = env.str("GUNICORN_BIND", default="0.0.0.0:8000")
workers = env.int("GUNICORN_WORKERS", default=2 * (os.cpu_count() or 1) + 1, minimum=1, maximum=64)
# A request stuck longer than this is killed rather than holding a worker.
timeout = env.int("GUNICORN_TIMEOUT", default=30, minimum=1, maximum=600)
graceful_timeout = timeout
# Heartbeat files in memory: works with a read-only root filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Nothing here uses the control socket; it would need a writable home.
control_socket_disable = True
accesslog = "-"
errorlog = "-"

# X-Forwarded-Proto sets the scheme only on connections from the proxies the
# settings trust (DJANGO_TRUSTED_PROXIES), and from nobody when clients reach
# the app directly: the same rule as Django's.
# https://docs.gunicorn.org/en/stable/settings.html#forwarded-allow-ips
forwarded_allow_ips = ",".join(map(str, settings.TRUSTED_PROXIES)) if settings.TRUSTED_PROXY_COUNT else ""
