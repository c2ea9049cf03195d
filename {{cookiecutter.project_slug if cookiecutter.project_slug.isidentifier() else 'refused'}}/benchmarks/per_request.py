"""Measure what a signed-in request costs, and what it asks of the session store.

Run from the project directory:

    python benchmarks/per_request.py [--database-url URL] [--redis-url URL] [--json]

Everything runs in this process, through the project's WSGI application as a
server calls it (no server, no socket): a user the benchmark creates (and
deletes again) signs in through the sign-in form, then GETs the home page, or
the page --page names. Two measurements:

price    The project's whole MIDDLEWARE against Django's stock middleware
         (what startproject lists), then the whole stack without one addition
         at a time: each middleware and context processor startproject does
         not have. Every stack gets a WSGI handler of its own in this one
         process (two processes of the same code differ by more than a small
         middleware costs); one browser's requests alternate between them, in
         rounds, and every ratio is taken within a round.
traffic  The Redis commands and SQL queries of each request, one request per
         --pace seconds of the session policy's clock, which the benchmark
         moves, so that activity stamps and key rotations happen as they would.

By default the database is an in-memory SQLite and the cache is the process's
own; --database-url and --redis-url point them at real servers. --serve
answers commands instead (one JSON line each on stdin, one JSON reply on
stdout; see serve()), so that a script can compare this project with another,
process against process. Only the standard library is imported before Django,
so that --settings may name another project.
"""

import argparse
import gc
import io
import json
import operator
import os
import re
import secrets
import statistics
import sys
import time
import warnings
from contextlib import contextmanager
from http.cookies import SimpleCookie
from urllib.parse import urlencode

HOST = "127.0.0.1"
LOGIN = "/accounts/login/"
# The home page: signed-in only, rendered through the project's templates.
PAGE = "/"
# What the proxy forwards for one browser: the session is bound to both.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
CLIENT_IP = "203.0.113.7"
WARM_UP_REQUESTS = 100
# What django-admin startproject lists.
STOCK_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
STOCK_CONTEXT_PROCESSORS = [
    "django.template.context_processors.debug",
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
]
WHOLE, STOCK = "whole stack", "stock middleware only"
# Elapsed time, and this process's CPU time.
MEASURES = ("elapsed", "cpu")
# Commands this benchmark itself sends to Redis to read its counters.
OWN_REDIS_COMMANDS = ("info", "config|resetstat", "config")
SQL_WRITES = ("INSERT", "UPDATE", "DELETE")
# Logged by Django, but psycopg sends nothing for a transaction with no statement in it.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", default="{{ cookiecutter.project_slug }}.settings", help="settings module")
    parser.add_argument("--database-url", default="sqlite://:memory:", help="default: an in-memory SQLite")
    parser.add_argument("--redis-url", default="", help="cache and sessions on Redis (default: none)")
    parser.add_argument("--session-engine", choices=["db", "cache", "cached_db"], help="default: the settings'")
    parser.add_argument("--page", default=PAGE, help="the signed-in page to GET (default: the home page)")
    parser.add_argument("--requests", type=int, default=100, help="requests per stack and round (default: 100)")
    parser.add_argument("--rounds", type=int, default=12, help="rounds of the price measurement (default: 12)")
    parser.add_argument("--counted", type=int, default=1000, help="requests the traffic counts (default: 1000)")
    parser.add_argument("--pace", type=float, default=5.0, help="policy-clock seconds per counted request")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 20 requests, 100 counted")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--serve", action="store_true", help="answer JSON commands on stdin (see serve())")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.requests, arguments.rounds, arguments.counted = 20, 2, 100
    if min(arguments.requests, arguments.rounds, arguments.counted) < 1 or arguments.pace <= 0:
        parser.error("requests, rounds and counted requests must be at least 1, the pace positive")
    return arguments


def prepare_environment(arguments):
    """Production settings for this run alone: its own key and host, no local .env, the servers asked for."""
    # Python put this file's directory first on sys.path: look in the project instead.
    sys.path[0] = os.getcwd()
    os.environ.update(
        DJANGO_SETTINGS_MODULE=arguments.settings,
        DJANGO_ENV_FILE="",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_URL=arguments.database_url,
        REDIS_URL=arguments.redis_url,
    )
    if arguments.session_engine:
        os.environ["DJANGO_SESSION_ENGINE"] = arguments.session_engine
    # WhiteNoise warns about static files not collected: the benchmark does without.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)


class WsgiClient:
    """One browser talking to a WSGI application in this process, over https as far as Django knows."""

    def __init__(self, application, cookies):
        self.application = application
        # Shared between clients: one browser, one session, whichever stack serves it.
        self.cookies = cookies

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


def name_static_files_without_manifest(settings):
    """Without collectstatic's manifest, name static files as they are: the pages link some."""
    root = getattr(settings, "STATIC_ROOT", None)
    if root and not os.path.exists(os.path.join(root, "staticfiles.json")):
        plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
        settings.STORAGES = {**settings.STORAGES, "staticfiles": plain}


def sign_in(client, username, password, page):
    """Sign in through the sign-in form, with the CSRF token it carries, and check the page opens."""
    status, body = client.request("GET", LOGIN)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or token is None:
        sys.exit(f"benchmark: the sign-in page answered {status} without a CSRF token")
    form = {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
    status, _ = client.request("POST", LOGIN, form, headers={"Origin": f"https://{HOST}"})
    if status != 302:
        sys.exit(f"benchmark: signing in answered {status}, not a redirect")
    status, body = client.request("GET", page)
    if status != 200:
        sys.exit(f"benchmark: {page} answered {status} to a signed-in browser")
    return len(body)


def time_one(client, page, during):
    """GET the page once; return its elapsed µs and this process's CPU µs, or exit if it is not a 200."""
    start, cpu_start = time.perf_counter_ns(), time.process_time_ns()
    status, _ = client.request("GET", page)
    cpu, elapsed = time.process_time_ns() - cpu_start, time.perf_counter_ns() - start
    if status != 200:
        sys.exit(f"benchmark: {page} answered {status} {during}: the session ended")
    return elapsed / 1000, cpu / 1000


def time_requests(client, page, count):
    """GET the page count times; return the elapsed µs of each and the CPU µs of each."""
    gc.collect()
    measured = [time_one(client, page, "during the timed requests") for _ in range(count)]
    return [elapsed for elapsed, _ in measured], [cpu for _, cpu in measured]


def timed(client, page, count):
    """time_requests() as a reply."""
    times, cpu_times = time_requests(client, page, count)
    return {"times": times, "cpu_times": cpu_times}


def share_percent(of_whole, of_stack):
    """How much of the whole stack's time a stack without one addition saves, in percent."""
    return 100 * (of_whole - of_stack) / of_whole


def spread(values):
    """Median, smallest and largest: what survives a noisy machine."""
    values = list(values)
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


class Stack:
    """One variant of the project's request handling: a middleware list and context processors."""

    def __init__(self, name, middleware, processors, engine):
        from django.conf import settings
        from django.core.handlers.wsgi import WSGIHandler

        self.name = name
        self.middleware = middleware
        whole = settings.MIDDLEWARE
        settings.MIDDLEWARE = middleware
        try:
            self.handler = WSGIHandler()
        finally:
            settings.MIDDLEWARE = whole
        # Imported now, not during a timed request: Django caches the list on the engine.
        engine.context_processors = processors
        engine.__dict__.pop("template_context_processors", None)
        self.processors = engine.template_context_processors
        # Per round: the elapsed and the CPU µs of each request.
        self.rounds = []

    def serve(self, engine, client, page):
        """Time one request through this stack, in the current round."""
        engine.__dict__["template_context_processors"] = self.processors
        client.application = self.handler
        elapsed, cpu = time_one(client, page, f"through the {self.name}")
        self.rounds[-1]["elapsed"].append(elapsed)
        self.rounds[-1]["cpu"].append(cpu)

    def medians(self, measure):
        """The median of each round after the first, which warms up."""
        return [statistics.median(values[measure]) for values in self.rounds[1:]]

    def median(self, measure):
        return statistics.median(value for values in self.rounds[1:] for value in values[measure])


def stacks():
    """The whole stack, the stock one, and the whole stack without each addition in turn."""
    from django.conf import settings
    from django.template import engines

    engine = engines["django"].engine
    middleware, processors = list(settings.MIDDLEWARE), list(engine.context_processors)
    found = [Stack(WHOLE, middleware, processors, engine)]
    found.append(Stack(STOCK, [name for name in middleware if name in STOCK_MIDDLEWARE], processors, engine))
    for name in middleware:
        if name not in STOCK_MIDDLEWARE:
            found.append(Stack(f"- {name}", [other for other in middleware if other != name], processors, engine))
    for name in processors:
        if name not in STOCK_CONTEXT_PROCESSORS:
            found.append(Stack(f"- {name}", middleware, [other for other in processors if other != name], engine))
    engine.context_processors = processors
    return engine, found


def price(client, page, requests, rounds):
    """
    Each stack's µs per request, the whole stack's ratio to the stock one, and each addition's share.

    Within a round every request goes through every stack, in an order that
    flips from one request to the next, so that a drift in speed favours none.
    Ratios and shares are taken round by round, then their median: the share
    of an addition is the whole stack's round median less the round median
    without it, over the whole stack's. Both in elapsed time and in this
    process's CPU time, which leaves out the waits for the servers and for a
    core other processes hold.
    """
    engine, found = stacks()
    application = client.application
    try:
        for number in range(rounds + 1):
            gc.collect()
            for stack in found:
                stack.rounds.append({measure: [] for measure in MEASURES})
            # The first round only warms up: its requests are counted nowhere.
            for request in range(requests if number else WARM_UP_REQUESTS // 10):
                for stack in found if request % 2 == 0 else found[::-1]:
                    stack.serve(engine, client, page)
    finally:
        client.application = application
        engine.__dict__.pop("template_context_processors", None)
    whole, stock = found[0], found[1]

    def by_round(measure, stack, combine):
        pairs = zip(whole.medians(measure), stack.medians(measure), strict=True)
        return spread(combine(of_whole, of_stack) for of_whole, of_stack in pairs)

    return {
        "requests_per_stack": requests * rounds,
        "rounds": rounds,
        "middleware": [len(whole.middleware), len(stock.middleware)],
        "ratio_to_stock": {measure: by_round(measure, stock, operator.truediv) for measure in MEASURES},
        "stacks": {
            stack.name: {
                **{f"{measure}_us": stack.median(measure) for measure in MEASURES},
                "share_percent": {measure: by_round(measure, stack, share_percent) for measure in MEASURES},
            }
            for stack in found
        },
    }


def redis_client():
    """A client of the cache's Redis server, or None when the cache is not on Redis."""
    from django.conf import settings

    cache = settings.CACHES["default"]
    if not cache["BACKEND"].endswith("RedisCache"):
        return None
    import redis

    return redis.Redis.from_url(cache["LOCATION"])


def redis_calls(redis, totals):
    """Return the calls counted since the last reset, adding them by command to totals."""
    calls = 0
    for name, stats in redis.info("commandstats").items():
        command = name.removeprefix("cmdstat_")
        if command not in OWN_REDIS_COMMANDS:
            calls += stats["calls"]
            totals[command] = totals.get(command, 0) + stats["calls"]
    return calls


@contextmanager
def policy_clock_moved_by_hand():
    """Yield a function that moves the session policy's clock on; projects without the policy keep theirs."""
    from django.apps import apps

    if not apps.is_installed("session_policy"):
        yield lambda seconds: None
        return
    from session_policy import clock

    now = [time.time()]
    original = clock.now
    clock.now = lambda: now[0]
    try:
        yield lambda seconds: now.__setitem__(0, now[0] + seconds)
    finally:
        clock.now = original


def refuse_what_outlives_the_session(count, pace):
    """Exit with a clear message if count requests pace seconds apart would see the session end."""
    from django.conf import settings

    idle = getattr(settings, "SESSION_POLICY", {}).get("IDLE_TIMEOUT")
    if count * pace >= settings.SESSION_COOKIE_AGE or (idle is not None and pace >= idle.total_seconds()):
        sys.exit(f"benchmark: {count} requests {pace:g} s apart would outlive the session: lower --counted or --pace")


def traffic(client, page, count, pace):
    """
    Count the Redis commands and SQL queries of each of count GETs, one per
    pace seconds of the policy's clock, so that its periodic writes show up.
    INFO commandstats counts the whole server: run one counting process at a time.
    """
    from django.db import connection

    refuse_what_outlives_the_session(count, pace)
    redis = redis_client()
    counts = {"redis": [], "queries": [], "writes": [], "transactions": []}
    commands = {}
    # Django keeps each request's queries in connection.queries when asked to.
    connection.force_debug_cursor = True
    try:
        with policy_clock_moved_by_hand() as advance:
            for _ in range(count):
                advance(pace)
                if redis is not None:
                    redis.config_resetstat()
                time_one(client, page, "while counting")
                logged = [query["sql"] for query in connection.queries]
                queries = [sql for sql in logged if not sql.upper().startswith(TRANSACTION_CONTROL)]
                counts["queries"].append(len(queries))
                counts["transactions"].append(sum(sql.upper().startswith("BEGIN") for sql in logged))
                counts["writes"].append(sum(sql.lstrip()[:6].upper() in SQL_WRITES for sql in queries))
                counts["redis"].append(redis_calls(redis, commands) if redis is not None else 0)
    finally:
        connection.force_debug_cursor = False
    return {
        "requests": count,
        "pace_seconds": pace,
        "redis_typical": statistics.median(counts["redis"]),
        "redis_mean": sum(counts["redis"]) / count,
        "queries_typical": statistics.median(counts["queries"]),
        "queries_mean": sum(counts["queries"]) / count,
        "sql_writes_per_1000": 1000 * sum(counts["writes"]) / count,
        "transactions_mean": sum(counts["transactions"]) / count,
        "commands": {name: round(calls / count, 3) for name, calls in sorted(commands.items())},
    }


def profile(client, page, count, output):
    """Profile count GETs with pyinstrument (if installed); write HTML, text and the session to reload."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0001)
    with profiler:
        time_requests(client, page, count)
    base = output.removesuffix(".html")
    with open(output, "w") as html, open(base + ".txt", "w") as text:
        html.write(profiler.output_html())
        text.write(profiler.output_text(unicode=True, show_all=False))
    profiler.last_session.save(base + ".pyisession")
    return {"output": output}


def serve(client, page, ready, replies):
    """
    Answer one JSON command per line on stdin with one JSON line on stdout:

        {"command": "time", "requests": N}           -> {"times": [µs, ...], "cpu_times": [µs, ...]}
        {"command": "price", "requests": N, "rounds": R}  -> what price() returns
        {"command": "traffic", "requests": N, "pace": S}  -> what traffic() returns
        {"command": "profile", "requests": N, "output": PATH} -> {"output": PATH}
        {"command": "quit"}

    The first line, before any command, says the benchmark is signed in and ready.
    """
    commands = {
        "time": lambda order: timed(client, page, order["requests"]),
        "price": lambda order: price(client, page, order["requests"], order["rounds"]),
        "traffic": lambda order: traffic(client, page, order["requests"], order["pace"]),
        "profile": lambda order: profile(client, page, order["requests"], order["output"]),
    }
    replies.write(json.dumps(ready) + "\n")
    replies.flush()
    for line in sys.stdin:
        order = json.loads(line)
        if order["command"] == "quit":
            return
        if order["command"] not in commands:
            sys.exit(f"benchmark: unknown command {order['command']!r}")
        replies.write(json.dumps(commands[order["command"]](order)) + "\n")
        replies.flush()


def shown(share):
    """A share in percent: median (min to max)."""
    return f"{share['median']:+5.1f} % ({share['min']:+.1f} to {share['max']:+.1f})"


def report(figures):
    """The figures, for a reader."""
    price_figure, counted = figures["price"], figures["traffic"]
    middleware, stock = price_figure["middleware"]
    lines = [
        f"Per-request benchmark: {figures['session_engine']} sessions, {figures['database']}, {figures['cache']}",
        f"  Python {figures['python']}, Django {figures['django']}; signed-in GET {figures['page']}",
        "",
        f"  price: {price_figure['requests_per_stack']} requests per stack in {price_figure['rounds']} rounds;"
        " share of the whole stack's time, median (min to max) of the rounds",
        f"  {'stack':<60}{'µs':>6}{'CPU µs':>8}  {'share':<26}share of CPU",
    ]
    for name, stack in price_figure["stacks"].items():
        shares = stack["share_percent"]
        columns = f"{shown(shares['elapsed']):<26}{shown(shares['cpu'])}" if name != WHOLE else ""
        lines.append(f"  {name:<60}{stack['elapsed_us']:>6.0f}{stack['cpu_us']:>8.0f}  {columns}")
    for measure, ratio in price_figure["ratio_to_stock"].items():
        lines.append(
            f"  whole stack ({middleware} middleware) / stock ({stock}), {measure}: {ratio['median']:.3f} "
            f"({ratio['min']:.3f}–{ratio['max']:.3f}), median (min–max) of the rounds' ratios"
        )
    mix = ", ".join(f"{name} {calls:g}" for name, calls in counted["commands"].items()) or "none"
    lines += [
        "",
        f"  traffic: {counted['requests']} requests, one per {counted['pace_seconds']:g} s of the policy's clock",
        f"    Redis commands per request: {counted['redis_typical']:g} typical, {counted['redis_mean']:.2f} mean",
        f"    SQL queries per request:    {counted['queries_typical']:g} typical, {counted['queries_mean']:.2f} mean",
        f"    SQL writes per 1,000:       {counted['sql_writes_per_1000']:.1f}",
        f"    Redis commands, mean:       {mix}",
    ]
    return "\n".join(lines)


def run(arguments, out):
    """Sign in, then measure (or serve); write the figures to out."""
    import django
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    django.setup(set_prefix=False)
    page = arguments.page
    if not arguments.serve:
        refuse_what_outlives_the_session(arguments.counted, arguments.pace)
    name_static_files_without_manifest(settings)
    call_command("migrate", interactive=False, verbosity=0)
    password = secrets.token_urlsafe()
    user = get_user_model().objects.create_user(f"benchmark-{secrets.token_hex(4)}", password=password)
    try:
        client = WsgiClient(get_wsgi_application(), {})
        page_bytes = sign_in(client, user.get_username(), password, page)
        time_requests(client, page, WARM_UP_REQUESTS)
        ready = {
            "middleware": list(settings.MIDDLEWARE),
            "session_engine": settings.SESSION_ENGINE.rsplit(".", 1)[-1],
            "page_bytes": page_bytes,
        }
        if arguments.serve:
            serve(client, page, ready, out)
            return
        figures = {
            **ready,
            "page": page,
            "python": sys.version.split()[0],
            "django": django.get_version(),
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
            "price": price(client, page, arguments.requests, arguments.rounds),
            # Last: counting moves the policy's clock into the future.
            "traffic": traffic(client, page, arguments.counted, arguments.pace),
        }
    finally:
        user.delete()
    out.write((json.dumps(figures, indent=2) if arguments.json else report(figures)) + "\n")


def main():
    arguments = parse_arguments()
    prepare_environment(arguments)
    # The figures get their own copy of stdout; whatever the project logs goes to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    with out:
        try:
            run(arguments, out)
        except Exception as error:
            if not is_unusable_server(error):
                raise
            sys.exit(f"benchmark: {type(error).__name__}: {error} (check --database-url and --redis-url)")


def is_unusable_server(error):
    """Whether the database or Redis could not be configured or reached: the options' fault, not a bug."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import Error as DatabaseError

    # Only a run that uses Redis has imported it.
    redis = sys.modules.get("redis")
    return isinstance(error, (ImproperlyConfigured, DatabaseError) + ((redis.RedisError,) if redis else ()))


if __name__ == "__main__":
    main()
