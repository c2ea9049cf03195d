"""Measure whether a password reset request tells, by its timing, if the address has an account.

Run from the project directory:

    python benchmarks/password_reset.py [--rounds N]

Posts the reset form for an address that has an account and for one that has
none, in alternating order, to Django's stock PasswordResetView (which sends
the mail inside the request) and to the project's (which sends it once the
answer is complete), and prints the median time of each and their ratio. Each
request goes through the project's WSGI application as a server sends it: the
time runs until the whole answer is there, then the response is closed, which
is when the project's view sends its mail. The mail goes over SMTP to a server
on 127.0.0.1 that this script runs, so sending costs what talking to a mail
server costs. Everything runs in this process on an in-memory SQLite database.
"""

import argparse
import io
import os
import re
import secrets
import socketserver
import statistics
import sys
import threading
import time
import warnings
from pathlib import Path
from urllib.parse import urlencode

PROJECT_DIR = Path(__file__).resolve().parents[1]
KNOWN, UNKNOWN = "alice@example.com", "nobody@example.com"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
urlpatterns = []


class SMTPSink(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept a message and throw it away."""

    def reply(self, line):
        self.wfile.write(line + b"\r\n")

    def handle(self):
        self.reply(b"220 sink")
        while line := self.rfile.readline():
            command = line[:4].upper()
            if command == b"DATA":
                self.reply(b"354 go ahead")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                self.reply(b"250 accepted")
            elif command == b"QUIT":
                self.reply(b"221 bye")
                return
            else:
                self.reply(b"250 ok")


def start_mail_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPSink)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def prepare_environment(mail_port):
    sys.path[0] = str(PROJECT_DIR)  # this file's directory would shadow the project's apps
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{{ cookiecutter.project_slug }}.settings")
    os.environ.update(
        DJANGO_ENV_FILE="",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL="sqlite://:memory:",
        EMAIL_URL=f"smtp://127.0.0.1:{mail_port}",
    )
    warnings.filterwarnings("ignore", "No directory at", UserWarning)


class WSGIClient:
    """Speak WSGI to the application as a server does, keeping cookies; time each answer."""

    def __init__(self, application, forwarded_for):
        self.application = application
        self.forwarded_for = forwarded_for
        self.cookies = {}

    def request(self, method, path, body=b""):
        """Return (status, page, seconds until the whole answer was there); then close it."""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "testserver",
            "HTTP_ORIGIN": "https://testserver",
            "HTTP_X_FORWARDED_FOR": self.forwarded_for,
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_COOKIE": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "https",
        }
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split()[0]), headers

        started = time.perf_counter()
        result = self.application(environ, start_response)
        page = b"".join(result)
        elapsed = time.perf_counter() - started
        result.close()  # what the server does once the answer is sent
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                cookie = value.split(";")[0]
                self.cookies[cookie.split("=")[0]] = cookie.split("=", 1)[1]
        return answer["status"], page.decode(), elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="requests per address and view (default: 40)")
    rounds = parser.parse_args().rounds
    prepare_environment(start_mail_server())

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth import views as auth_views
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test import override_settings
    from django.urls import include, path

    from accounts import password_reset

    urlpatterns[:] = [
        path("stock/", auth_views.PasswordResetView.as_view()),
        path("", include("{{ cookiecutter.project_slug }}.urls")),
    ]
    call_command("migrate", verbosity=0)
    get_user_model().objects.create_user("alice", KNOWN, "a password nobody types")
    # Measured here is the time of the answer; the limits would stop the mail after a few requests.
    password_reset.PER_CLIENT = password_reset.PER_ADDRESS = (10**9, 3600)
    client = WSGIClient(WSGIHandler(), forwarded_for="203.0.113.7")
    views = {"Django's PasswordResetView": "/stock/", "the project's": "/accounts/password/reset/"}
    times = {(view, address): [] for view in views for address in (KNOWN, UNKNOWN)}

    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Static files are not collected for a benchmark.
    storages = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(ROOT_URLCONF=__name__, PASSWORD_HASHERS=hashers, STORAGES=storages):
        _, form, _ = client.request("GET", "/accounts/password/reset/")
        token = CSRF_FIELD.search(form).group(1)
        for number in range(rounds + 5):
            order = [(view, address) for view in views for address in (KNOWN, UNKNOWN)]
            for view, address in order if number % 2 else reversed(order):
                body = urlencode({"email": address, "csrfmiddlewaretoken": token}).encode()
                status, _, elapsed = client.request("POST", views[view], body)
                if status != 302:
                    sys.exit(f"{views[view]} answered {status}")
                if number >= 5:  # the first rounds warm up
                    times[view, address].append(elapsed * 1000)

    print(f"Password reset timing, {rounds} requests per address and view, SMTP on 127.0.0.1")
    print(f"  {'ms per request (median)':<32}{'account':>10}{'no account':>12}{'ratio':>8}")
    for view in views:
        known, unknown = (statistics.median(times[view, address]) for address in (KNOWN, UNKNOWN))
        print(f"  {view:<32}{known:>10.2f}{unknown:>12.2f}{known / unknown:>8.2f}")


if __name__ == "__main__":
    main()
