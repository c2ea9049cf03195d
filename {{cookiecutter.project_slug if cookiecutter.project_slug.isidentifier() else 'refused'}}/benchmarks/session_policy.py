"""Measure what the session policy costs a signed-in request.

Run from the project directory:

    python benchmarks/session_policy.py [--requests N] [--rounds R] [--pace SECONDS]

It times an authenticated GET of a small page through the project's full
middleware stack and through Django's plain session, authentication, CSRF and
messages middleware (and, to tell the policy's share, through the project's
stack without the policy), in interleaved rounds, with the same view, user and
session engine. It also counts the session-store writes per 1,000 steady
requests. Everything runs in this process, through the test client, on an
in-memory SQLite database: no server and no network, unless REDIS_URL points
the session cache at a Redis server.
"""

import argparse
import gc
import logging
import os
import platform
import secrets
import statistics
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpResponse, HttpResponseForbidden
from django.test import Client, override_settings
from django.test.utils import setup_test_environment, teardown_test_environment
from django.urls import include, path

PROJECT_DIR = Path(__file__).resolve().parents[1]
POLICY_MIDDLEWARE = "session_policy.middleware.SessionPolicyMiddleware"
PLAIN_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
PAGE = "/benchmark/"
WARM_UP_REQUESTS = 200
# What a browser behind the project's proxy sends, so that IP and User-Agent
# binding compare real values on every request.
BROWSER = {
    "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
    "HTTP_X_FORWARDED_FOR": "203.0.113.7",
}
WRITES = ("INSERT", "UPDATE", "DELETE")

# The project's URLs plus the benchmarked page. main() fills it in: including
# the project's URLs imports its views, which needs Django set up.
urlpatterns = []


@dataclass
class Stack:
    """A middleware stack under test, and what was measured through it."""

    label: str
    middleware: list[str]
    # Only the policy reads the clock: other stacks leave it alone.
    moves_clock: bool = False
    client: Client | None = None
    times: list[float] = field(default_factory=list)
    store_writes: int = 0
    database_writes: int = 0


class SimulatedClock:
    """The policy's clock, moved by the benchmark: steady use over time, in seconds."""

    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per stack (default: 2000)")
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds they are split into (default: 20)")
    parser.add_argument("--pace", type=float, default=1.0, help="simulated seconds between requests (default: 1)")
    arguments = parser.parse_args()
    if arguments.rounds < 1 or arguments.requests < arguments.rounds or arguments.pace <= 0:
        parser.error("use at least one round, at least one request per round and a positive pace")
    return arguments


def prepare_environment():
    """Point Django at the project's production settings, with nothing to leak and nothing to keep."""
    # Python put this file's directory first on sys.path, where this file
    # would shadow the session_policy app: look in the project instead.
    sys.path[0] = str(PROJECT_DIR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{{ cookiecutter.project_slug }}.settings")
    os.environ["DJANGO_ENV_FILE"] = ""
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
    # Static files are not collected for a benchmark, and not served either.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)


def small_page(request):
    """Greet the signed-in user: a page with next to no work of its own."""
    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    return HttpResponse(f"Hello, {request.user.get_username()}", content_type="text/plain")


@contextmanager
def replaced(owner, name, value):
    """Replace owner.name with value while the block runs."""
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextmanager
def audit_trail_discarded():
    """Write the audit trail to /dev/null: formatted and written as in production, but not shown."""
    handlers = logging.getLogger("audit").handlers
    with open(os.devnull, "w") as sink:
        previous = [handler.setStream(sink) for handler in handlers]
        try:
            yield
        finally:
            for handler, stream in zip(handlers, previous, strict=True):
                if stream is not None:
                    handler.setStream(stream)


def signed_in_client(username, password):
    """Sign in through the sign-in form, as a browser does, and return the client."""
    client = Client(**BROWSER)
    response = client.post("/accounts/login/", {"username": username, "password": password}, secure=True)
    if response.status_code != 302:
        sys.exit(f"Sign-in failed with status {response.status_code}.")
    return client


def send_requests(stack, count, clock, pace):
    """Send count GETs of the page through the stack, recording each one's time in microseconds."""
    gc.collect()
    for _ in range(count):
        if stack.moves_clock:
            clock.advance(pace)
        start = time.perf_counter_ns()
        response = stack.client.get(PAGE, secure=True)
        stack.times.append((time.perf_counter_ns() - start) / 1000)
        if response.status_code != 200:
            sys.exit(f"The page answered {response.status_code}: the session ended during the benchmark.")


def measure(stacks, arguments, clock):
    """Time every stack in interleaved rounds, counting the writes each one causes."""
    from session_policy.registry import session_store

    store = session_store()
    save = store.save
    # The stack whose requests are running: the counters below credit it.
    measuring = None

    def counted_save(session, *args, **kwargs):
        measuring.store_writes += 1
        return save(session, *args, **kwargs)

    def count_database_writes(execute, sql, params, many, context):
        if sql.lstrip()[:6].upper() in WRITES:
            measuring.database_writes += 1
        return execute(sql, params, many, context)

    for stack in stacks:
        send_requests(stack, WARM_UP_REQUESTS, clock, arguments.pace)
        stack.times.clear()
    per_round = arguments.requests // arguments.rounds
    with replaced(store, "save", counted_save), connection.execute_wrapper(count_database_writes):
        for number in range(arguments.rounds):
            # Each stack takes each place in turn, so a drift in speed favours none.
            shift = number % len(stacks)
            for stack in stacks[shift:] + stacks[:shift]:
                measuring = stack
                send_requests(stack, per_round, clock, arguments.pace)


def report(stacks, arguments, requests):
    policy, plain, project = stacks
    medians = {stack.label: statistics.median(stack.times) for stack in stacks}
    engine = settings.SESSION_ENGINE
    if engine.endswith((".cache", ".cached_db")):
        engine += f" (cache: {settings.CACHES[settings.SESSION_CACHE_ALIAS]['BACKEND'].rsplit('.', 1)[-1]})"

    print("Session policy benchmark")
    print(f"  Python {platform.python_version()}, Django {django.get_version()}, in-memory SQLite")
    print(f"  session engine: {engine}")
    print(f"  {requests} authenticated HTTPS GETs of {PAGE} per stack, in {arguments.rounds} interleaved rounds")
    print(f"  after {WARM_UP_REQUESTS} warm-up requests; one request per {arguments.pace:g} s of simulated time")
    print()
    print(f"  {'µs per request':<50}{'median':>10}{'min':>10}{'max':>10}")
    for stack in stacks:
        label = f"{stack.label} ({len(stack.middleware)} middleware)"
        print(f"  {label:<50}{medians[stack.label]:>10.1f}{min(stack.times):>10.1f}{max(stack.times):>10.1f}")
    ratio = medians[policy.label] / medians[plain.label]
    print(f"  ratio of medians, plain + policy / plain: {ratio:.3f} (target ≤ 1.10)")
    print(f"  the policy's share: {medians[policy.label] - medians[plain.label]:+.1f} µs per request")
    full_ratio = medians[project.label] / medians[plain.label]
    print(f"  ratio of medians, full project stack / plain: {full_ratio:.3f} (security headers, static files, CSP…)")
    print()
    print(f"  {'per 1,000 requests':<50}{'session-store writes':>22}{'database writes':>18}")
    # The full stack's rounds run while the clock stands still: its writes say nothing.
    for stack in (policy, plain):
        store_writes = 1000 * stack.store_writes / requests
        database_writes = 1000 * stack.database_writes / requests
        print(f"  {stack.label:<50}{store_writes:>22.1f}{database_writes:>18.1f}")
    print("  target with the policy: ≤ 20 session-store writes")


def run(arguments):
    # Only imported now that sys.path leads to the app rather than to this file.
    from session_policy import clock

    urlpatterns.extend([path(PAGE.lstrip("/"), small_page), path("", include(settings.ROOT_URLCONF))])
    requests = arguments.requests // arguments.rounds * arguments.rounds
    if (WARM_UP_REQUESTS + requests) * arguments.pace >= settings.SESSION_POLICY["ABSOLUTE_TIMEOUT"].total_seconds():
        sys.exit("The run would outlast the absolute timeout: lower --requests or --pace.")

    stacks = [
        Stack("plain stack + session policy", [*PLAIN_MIDDLEWARE, POLICY_MIDDLEWARE], moves_clock=True),
        Stack("Django plain stack", PLAIN_MIDDLEWARE),
        # One clock for all: stacks take turns round by round, so each still
        # sees one request per --pace seconds on average.
        Stack("full project stack", list(settings.MIDDLEWARE)),
    ]
    password = secrets.token_urlsafe()
    user = get_user_model().objects.create_user("benchmark", password=password)
    simulated_clock = SimulatedClock()
    with (
        override_settings(ROOT_URLCONF=__name__),
        audit_trail_discarded(),
        replaced(clock, "now", simulated_clock),
    ):
        for stack in stacks:
            # A test client builds its middleware chain on its first request
            # and keeps it: sign each one in under its own stack.
            with override_settings(MIDDLEWARE=stack.middleware):
                stack.client = signed_in_client(user.get_username(), password)
        measure(stacks, arguments, simulated_clock)
    report(stacks, arguments, requests)


def main():
    arguments = parse_arguments()
    prepare_environment()
    django.setup()
    setup_test_environment()
    test_database = connection.creation.create_test_db(verbosity=0)
    try:
        run(arguments)
    finally:
        connection.creation.destroy_test_db(test_database, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
