"""
Serve one Django project in this process, for figures 2 and 3.

Run by the benchmark runner with the project's own Python, from the
project's directory, with its settings in the environment::

    python driver.py --username U --password-env VARIABLE

It signs in through the sign-in form (GET, then POST with the CSRF token),
then answers one JSON command per line on stdin, one JSON reply per line on
stdout:

    {"command": "time", "requests": N}    -> {"times": [µs, ...], "cpu_times": [µs, ...]}
    {"command": "count", "requests": N, "pace": S}
        -> {"redis": [...], "queries": [...], "writes": [...], "transactions": [...], ...}
    {"command": "profile", "requests": N, "output": PATH} -> {"output": PATH}
    {"command": "attribute", "requests": N} -> {variant: {"cpu": µs, ...}}
    {"command": "quit"}

Requests go straight to the WSGI application, as gunicorn would send them:
no server, no socket, no test client. Only the standard library is imported
before Django, since this runs in the project's virtualenv.
"""

import argparse
import gc
import importlib.util
import io
import json
import os
import re
import sys
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

PAGE = "/page/"
LOGIN = "/accounts/login/"
HOST = "127.0.0.1"
# What the proxy forwards for one browser: the session is bound to both.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
CLIENT_IP = "203.0.113.7"
WARM_UP_REQUESTS = 100
# What django-admin startproject puts in MIDDLEWARE.
STOCK_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# Commands the driver itself sends to Redis to read the counters.
OWN_REDIS_COMMANDS = ("info", "config|resetstat", "config")
SQL_WRITES = ("INSERT", "UPDATE", "DELETE")
# Logged by Django, but psycopg sends nothing for a transaction with no statement in it.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class WsgiClient:
    """A browser talking to a WSGI application in this process, over https as far as Django knows."""

    def __init__(self, application):
        self.application = application
        self.cookies = {}

    def request(self, method, path, form=None, headers=None):
        """Send one request; return (status code, body), keeping the cookies it sets."""
        body = urlencode(form).encode() if form is not None else b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": HOST,
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": HOST,
            "HTTP_USER_AGENT": USER_AGENT,
            "HTTP_ACCEPT": "text/html",
            "HTTP_X_FORWARDED_FOR": CLIENT_IP,
            "HTTP_X_FORWARDED_PROTO": "https",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https",
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if form is not None:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        reply = {}

        def start_response(status, response_headers, exc_info=None):
            reply["status"] = int(status.split()[0])
            reply["headers"] = response_headers

        result = self.application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            # Fires request_finished, as a server does: part of every request's cost.
            if hasattr(result, "close"):
                result.close()
        for name, value in reply["headers"]:
            if name.lower() == "set-cookie":
                self.remember(value)
        return reply["status"], content

    def remember(self, header):
        for name, morsel in SimpleCookie(header).items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value


def sign_in(client, username, password):
    """Sign in through the form, with the CSRF token it carries, and check the page opens."""
    status, body = client.request("GET", LOGIN)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or token is None:
        sys.exit(f"driver: the sign-in page answered {status} without a CSRF token")
    form = {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
    status, _ = client.request("POST", LOGIN, form, headers={"Origin": f"https://{HOST}"})
    if status != 302:
        sys.exit(f"driver: signing in answered {status}, not a redirect")
    check_page(client)


def check_page(client):
    status, body = client.request("GET", PAGE)
    if status != 200:
        sys.exit(f"driver: {PAGE} answered {status}: the session did not hold")
    return body


def time_requests(client, count):
    """
    Time count GETs of the page, end to end through the WSGI application:
    return the elapsed µs of each, and the CPU µs this process spent on each
    (the elapsed time less the waits for PostgreSQL and Redis).
    """
    times, cpu_times = [], []
    gc.collect()
    for _ in range(count):
        start, cpu_start = time.perf_counter_ns(), time.process_time_ns()
        status, _ = client.request("GET", PAGE)
        cpu_times.append((time.process_time_ns() - cpu_start) / 1000)
        times.append((time.perf_counter_ns() - start) / 1000)
        if status != 200:
            sys.exit(f"driver: {PAGE} answered {status} during the timed requests")
    return times, cpu_times


class SimulatedClock:
    """The session policy's clock, moved forward by the driver: a user's steady browsing."""

    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


def redis_calls(redis, totals):
    """Return the calls counted since the last reset, adding them by command to totals."""
    calls = 0
    for name, stats in redis.info("commandstats").items():
        command = name.removeprefix("cmdstat_")
        if command in OWN_REDIS_COMMANDS:
            continue
        calls += stats["calls"]
        totals[command] = totals.get(command, 0) + stats["calls"]
    return calls


def count_traffic(client, count, pace):
    """
    Count the Redis commands and SQL queries of each of count GETs, one per
    pace seconds of the policy's clock, so that its periodic writes show up.
    """
    from django.conf import settings
    from django.db import connection

    redis = None
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        import redis as redis_library

        redis = redis_library.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    clock = SimulatedClock()
    policy_clock = sys.modules.get("session_policy.clock")
    original_now = policy_clock.now if policy_clock else None
    if policy_clock:
        policy_clock.now = clock
    # Django keeps each request's queries in connection.queries when asked to.
    connection.force_debug_cursor = True
    result = {"redis": [], "queries": [], "writes": [], "transactions": [], "commands": {}, "last_queries": []}
    try:
        for _ in range(count):
            clock.now += pace
            if redis is not None:
                redis.config_resetstat()
            status, _ = client.request("GET", PAGE)
            if status != 200:
                sys.exit(f"driver: {PAGE} answered {status} while counting")
            logged = [query["sql"] for query in connection.queries]
            queries = [sql for sql in logged if not sql.upper().startswith(TRANSACTION_CONTROL)]
            result["last_queries"] = logged
            result["queries"].append(len(queries))
            result["transactions"].append(sum(sql.upper().startswith("BEGIN") for sql in logged))
            result["writes"].append(sum(sql.lstrip()[:6].upper() in SQL_WRITES for sql in queries))
            result["redis"].append(redis_calls(redis, result["commands"]) if redis is not None else 0)
    finally:
        connection.force_debug_cursor = False
        if policy_clock:
            policy_clock.now = original_now
    return result


def profile_requests(client, count, output):
    """Profile count GETs with pyinstrument; write its HTML and text reports, and the session to reload."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0001)
    with profiler:
        time_requests(client, count)
    with open(output, "w") as report:
        report.write(profiler.output_html())
    with open(output.removesuffix(".html") + ".txt", "w") as report:
        report.write(profiler.output_text(unicode=True, show_all=False))
    # pyinstrument --load=PATH -r text --show-all renders it again, in any detail.
    profiler.last_session.save(output.removesuffix(".html") + ".pyisession")
    return {"output": output}


def attribute(client, count):
    """Each addition's share, from attribution.py beside this file (it needs Django set up)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attribution.py")
    spec = importlib.util.spec_from_file_location("benchmark_attribution", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.attribute(WsgiClient, client.cookies, PAGE, count, STOCK_MIDDLEWARE)


def serve(client, replies):
    for line in sys.stdin:
        order = json.loads(line)
        command = order["command"]
        if command == "quit":
            return
        if command == "time":
            times, cpu_times = time_requests(client, order["requests"])
            reply = {"times": times, "cpu_times": cpu_times}
        elif command == "count":
            reply = count_traffic(client, order["requests"], order["pace"])
        elif command == "profile":
            reply = profile_requests(client, order["requests"], order["output"])
        elif command == "attribute":
            reply = attribute(client, order["requests"])
        else:
            sys.exit(f"driver: unknown command {command!r}")
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main():
    parser = argparse.ArgumentParser(description="Serve a Django project in process for the benchmarks.")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password-env", required=True, help="the variable holding the password")
    arguments = parser.parse_args()
    # Python put this file's directory first on sys.path: look in the project instead.
    sys.path[0] = os.getcwd()
    # Replies get their own copy of stdout; whatever the project prints goes to stderr.
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)

    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    django.setup(set_prefix=False)
    client = WsgiClient(get_wsgi_application())
    sign_in(client, arguments.username, os.environ[arguments.password_env])
    time_requests(client, WARM_UP_REQUESTS)
    ready = {
        "ready": True,
        "middleware": len(settings.MIDDLEWARE),
        "middleware_names": list(settings.MIDDLEWARE),
        "stock_middleware": STOCK_MIDDLEWARE,
        "engine": settings.SESSION_ENGINE.rsplit(".", 1)[-1],
        "page_bytes": len(check_page(client)),
    }
    replies.write(json.dumps(ready) + "\n")
    replies.flush()
    serve(client, replies)


if __name__ == "__main__":
    main()
