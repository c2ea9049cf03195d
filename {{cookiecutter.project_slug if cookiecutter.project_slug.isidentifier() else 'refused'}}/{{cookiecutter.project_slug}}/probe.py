"""The container's health probe: python -m {{ cookiecutter.project_slug }}.probe (the Dockerfile's HEALTHCHECK).

It asks the gunicorn on this host for /health/ as the proxy would, and exits 0
only on a healthy answer. It runs every 30 s beside the app, so it starts on
the standard library alone: on a 2-core host at a load of 20, a probe that
imported the settings and the health view took 9-12 s, beyond the check's
timeout, and marked a healthy app unhealthy; this one takes 2-3 s. The
settings are imported only when DJANGO_ALLOWED_HOSTS is unset, for their
default.
"""

import http.client
import os
import sys


def host():
    """A host name the settings accept: the first of DJANGO_ALLOWED_HOSTS, else the settings' default."""
    names = [name.strip() for name in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if name.strip()]
    if not names:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{{ cookiecutter.project_slug }}.settings")
        from django.conf import settings

        names = settings.ALLOWED_HOSTS
    # A leading dot allows the domain and its subdomains; "*" allows any host.
    return next((name.lstrip(".") for name in names if name != "*"), "localhost")


def probe(timeout=12):
    """Ask the local gunicorn for /health/; return an exit status (0 healthy, 1 not).

    The timeout stays below the HEALTHCHECK's (15 s), so a slow answer is
    reported as such rather than the probe being killed.
    """
    port = int(os.environ.get("GUNICORN_BIND", ":8000").rpartition(":")[2])
    # The scheme the proxy vouches for: without it Django would redirect to https.
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        client.request("GET", "/health/", headers={"Host": host(), "X-Forwarded-Proto": "https"})
        response = client.getresponse()
        body = response.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as error:
        print(f"unhealthy: {error!r}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print(response.status, body)
    return 0 if response.status == 200 else 1


if __name__ == "__main__":
    sys.exit(probe())
