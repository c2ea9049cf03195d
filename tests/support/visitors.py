"""Simulated visitors of a running project: many at once, each its own user.

A visitor signs in through the real form (CSRF token and all), then browses,
going to any of the app's instances in turn, from its own address and
browser. Each page is checked for whose it is: a page showing another user
is a mix-up, the worst failure a session layer can have.
"""

import http.client
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from itertools import cycle
from urllib.parse import urlencode

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SIGNED_IN_AS = re.compile(r"Signed in as <strong>([^<]+)</strong>")
PASSWORD = "the same long password for every visitor"
# Only a bound on a hung request: 200 sign-ins sent at once queue behind four workers' password
# hashing, which took about 90 s on a busy 2-core machine.
TIMEOUT = 300


@dataclass
class Tally:
    """What the visitors saw, counted across threads."""

    statuses: Counter = field(default_factory=Counter)
    mixups: int = 0
    signed_out: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, status, *, mixup=False, signed_out=False):
        with self.lock:
            self.statuses[status] += 1
            self.mixups += mixup
            self.signed_out += signed_out

    @property
    def requests(self):
        return sum(self.statuses.values())

    @property
    def server_errors(self):
        return sum(number for status, number in self.statuses.items() if status >= 500 and status != 503)

    def summary(self):
        statuses = ", ".join(f"{status}: {number}" for status, number in sorted(self.statuses.items()))
        return f"{self.requests} requests ({statuses}); mix-ups {self.mixups}; signed out {self.signed_out}"


class Visitor:
    """One person with one browser, talking to the app's instances in turn."""

    def __init__(self, number, instances, tally):
        self.username = f"visitor{number:04d}"
        self.address = f"203.0.113.{number % 250 + 1}"
        self.user_agent = f"Mozilla/5.0 (X11; Linux x86_64) Visitor/{number}"
        self.instances = cycle(instances)
        self.tally = tally
        self.cookies = {}

    def request(self, method, path, form=None):
        instance = next(self.instances)
        headers = {
            "Host": instance.allowed_hosts[0],
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "User-Agent": self.user_agent,
            "Referer": f"https://{instance.allowed_hosts[0]}/accounts/login/",
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
        }
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = self.connect(instance)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            page = response.read().decode(errors="replace")
            self.remember_cookies(response.headers.get_all("Set-Cookie") or [])
            return response.status, response.headers, page
        finally:
            connection.close()

    def connect(self, instance):
        """Open the connection to an instance (plain http, from 127.0.0.1, as the proxy's would be)."""
        return http.client.HTTPConnection(instance.host, instance.port, timeout=TIMEOUT)

    def remember_cookies(self, set_cookie_headers):
        for header in set_cookie_headers:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def sign_in(self):
        """Sign in through the form; return whether it worked."""
        status, _, page = self.request("GET", "/accounts/login/")
        token = CSRF_FIELD.search(page)
        if status != 200 or token is None:
            self.tally.count(status)
            return False
        form = {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
        status, headers, _ = self.request("POST", "/accounts/login/", form)
        self.tally.count(status)
        return status == 302 and headers.get("Location") == "/"

    def visit_home(self):
        """Load the home page and judge it: own page, signed out, or someone else's."""
        status, _, page = self.request("GET", "/")
        shown = SIGNED_IN_AS.search(page)
        mixup = shown is not None and shown.group(1) != self.username
        self.tally.count(status, mixup=mixup, signed_out=status == 302)
        return status == 200 and not mixup


def create_visitors(instance, count):
    """Create the visitors' accounts in one go: one password hash shared by all."""
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.hashers import make_password\n"
        "User = get_user_model()\n"
        f"password = make_password({PASSWORD!r})\n"
        f"User.objects.bulk_create([User(username=f'visitor{{n:04d}}', password=password) for n in range({count})],"
        " ignore_conflicts=True)\n"
    )
    instance.manage("shell", "-c", code)


def all_at_once(actions, threads=None):
    """Run the actions in threads, at most `threads` (default: all) at a time, the first of them
    released together by a barrier; return their results in order."""
    threads = min(threads or len(actions), len(actions))
    barrier = threading.Barrier(threads)

    def run(numbered):
        number, action = numbered
        if number < threads:
            barrier.wait()
        return action()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(run, enumerate(actions)))


def in_parallel(visitors, action):
    """Run action(visitor) for every visitor at once; return the results in order."""
    with ThreadPoolExecutor(max_workers=len(visitors)) as pool:
        return list(pool.map(action, visitors))


def browse_until(visitors, deadline, pause=0.2):
    """Have every visitor browse until the deadline; return pages served per visitor."""

    def browse(visitor):
        pages = 0
        while time.monotonic() < deadline:
            pages += visitor.visit_home()
            time.sleep(pause)
        return pages

    return in_parallel(visitors, browse)
