"""Past one machine: app hosts behind a load balancer, sessions on Redis Sentinel.

All of 127.0.0.0/8 is loopback, so distinct addresses stand for distinct
hosts: Caddy, the load balancer, on 127.0.0.20; two app hosts (gunicorn with
production settings) on 127.0.0.21 and 127.0.0.22; an outsider on 127.0.0.9.
The app hosts share one PostgreSQL and a Redis primary with one replica,
watched by three sentinels (quorum 2, a primary is down after 1 s of silence).

The app hosts trust forwarded headers from 127.0.0.1 only: a connection to
any loopback address leaves from 127.0.0.1 unless it binds another, so that
is where Caddy's connections come from, and the visitors', which send
X-Forwarded-For as Caddy would. The figures are printed (pytest -s shows
them) and summarised in docs/reliability.md.
"""

import contextlib
import http.client
import itertools
import os
import re
import secrets
import signal
import statistics
import threading
import time
from types import SimpleNamespace

import pytest

from tests.support.services import (
    PostgresServer,
    RedisReplica,
    RedisServer,
    SentinelServer,
    find_free_port,
    redis_client,
)
from tests.support.stack import CaddyProxy, GunicornInstance, LocalCertificateAuthority, create_database
from tests.support.visitors import TIMEOUT, Tally, Visitor, browse_until, create_visitors, in_parallel

MASTER = "sessions"
PROXY_HOST = "127.0.0.20"
APP_HOSTS = ("127.0.0.21", "127.0.0.22")
# An app host that serves TLS itself, so that a client can reach its pages without the proxy.
TLS_HOST = "127.0.0.23"
# One-worker app hosts on Sentinel and on the plain Redis URL, to compare what a request costs.
SENTINEL_HOST = "127.0.0.24"
PLAIN_HOST = "127.0.0.25"
TRUSTED_PROXY = "127.0.0.1"
OUTSIDER = "127.0.0.9"
FORGED = "198.51.100.66"
LOAD_VISITORS = 200
SESSION_CACHE_PREFIX = ":1:django.contrib.sessions.cached_db"
SESSION_COOKIE = "__Host-sessionid"
# What the sentinels, the replica and this test's own client (hello, info) send the primary: not the app's.
HOUSEKEEPING = {"hello", "info", "ping", "publish", "subscribe", "replconf", "psync", "client|setname", "config"}


@pytest.fixture(scope="module")
def servers():
    """PostgreSQL, a Redis primary and replica, three sentinels: this module's own, as it kills the primary."""
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(PostgresServer())
        primary = stack.enter_context(RedisServer())
        replica = stack.enter_context(RedisReplica(primary))
        sentinels = [stack.enter_context(SentinelServer(primary, MASTER)) for _ in range(3)]
        yield SimpleNamespace(postgres=postgres, primary=primary, replica=replica, sentinels=sentinels)


@pytest.fixture(scope="module")
def deployment(bake_project, project_python, servers):
    """A baked project deployed on the app hosts, Caddy in front; start() adds an instance on another host."""
    project = bake_project()
    common = {
        "database_url": create_database(servers.postgres, "multihost"),
        # The hosts of one deployment share their secret key, as they share everything else.
        "secret_key": secrets.token_urlsafe(50),
        "trusted_proxy_count": 1,
        "allowed_hosts": (PROXY_HOST,),
    }
    sentinel = {
        "REDIS_SENTINELS": ",".join(sentinel.address for sentinel in servers.sentinels),
        "REDIS_SENTINEL_MASTER": MASTER,
        "DJANGO_TRUSTED_PROXIES": TRUSTED_PROXY,
    }
    apps = [
        GunicornInstance(project, project_python, host=host, redis_url="", environment=sentinel, **common)
        for host in APP_HOSTS
    ]
    apps[0].manage("collectstatic", "--noinput", "-v", "0")
    apps[0].manage("migrate", "--noinput")
    create_visitors(apps[0], LOAD_VISITORS + 10)
    with contextlib.ExitStack() as stack:
        for app in apps:
            stack.enter_context(app)
        proxy = stack.enter_context(
            CaddyProxy(
                project / "Caddyfile", apps, host=PROXY_HOST, https_port=find_free_port(), http_port=find_free_port()
            )
        )

        def start(instance_class, host, *, redis_url="", environment=sentinel, workers=2):
            instance = instance_class(
                project,
                project_python,
                host=host,
                redis_url=redis_url,
                environment=environment,
                workers=workers,
                **common,
            )
            return stack.enter_context(instance)

        yield SimpleNamespace(apps=apps, proxy=proxy, start=start)


class TLSVisitor(Visitor):
    """A visitor whose browser connects over TLS from an address of its own, to an app host or to Caddy."""

    def __init__(self, number, instances, tally, *, source, context):
        super().__init__(number, instances, tally)
        self.source = source
        self.context = context

    def connect(self, instance):
        return http.client.HTTPSConnection(
            instance.host, instance.port, timeout=TIMEOUT, source_address=(self.source, 0), context=self.context
        )

    def shown_addresses(self):
        """The addresses the "Your sessions" page lists for this visitor's sessions."""
        status, _, page = self.request("GET", "/accounts/sessions/")
        assert status == 200, page
        return set(re.findall(r'<td data-label="IP address">(\d+\.\d+\.\d+\.\d+|unknown)</td>', page))


class TLSGunicornInstance(GunicornInstance):
    """An app host that terminates TLS itself, with a certificate from a CA made for the test."""

    def initialize(self):
        self.authority = LocalCertificateAuthority(self.directory, self.host)
        self.settings["GUNICORN_CMD_ARGS"] = (
            f"--certfile={self.authority.certificate_path} --keyfile={self.authority.key_path}"
        )

    def connect(self):
        return http.client.HTTPSConnection(
            self.host, self.port, timeout=TIMEOUT, context=self.authority.client_context()
        )


def raw_request(host, port, path, *, source, headers):
    """Send one plain-http request from the source address; return (status, headers)."""
    connection = http.client.HTTPConnection(host, port, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


def test_forwarded_headers_count_only_from_the_trusted_proxy(deployment):
    app = deployment.apps[0]
    forged = {"Host": PROXY_HOST, "X-Forwarded-For": FORGED, "X-Forwarded-Proto": "https"}

    # Plain http straight to an app host, claiming https: believed from the proxy's address only.
    from_proxy = raw_request(app.host, app.port, "/accounts/login/", source=TRUSTED_PROXY, headers=forged)
    from_outsider = raw_request(app.host, app.port, "/accounts/login/", source=OUTSIDER, headers=forged)

    # An app host reachable over TLS: the outsider gets its pages, but not its forged address.
    tls_app = deployment.start(TLSGunicornInstance, TLS_HOST)
    outsider = TLSVisitor(
        LOAD_VISITORS + 1, [tls_app], Tally(), source=OUTSIDER, context=tls_app.authority.client_context()
    )
    outsider.address = FORGED
    assert outsider.sign_in()
    direct = outsider.shown_addresses()

    # Through Caddy, which replaces the X-Forwarded-For it gets from a client with the client's address.
    proxy = deployment.proxy
    through = SimpleNamespace(
        host=proxy.host, port=proxy.https_port, allowed_hosts=[f"{proxy.host}:{proxy.https_port}"]
    )
    proxied = TLSVisitor(
        LOAD_VISITORS + 2, [through], Tally(), source=OUTSIDER, context=proxy.authority.client_context()
    )
    proxied.address = FORGED
    assert proxied.sign_in()
    via_caddy = proxied.shown_addresses()

    print(
        f"\n[multi-host] forged X-Forwarded-Proto over plain http: from the proxy {from_proxy[0]}, "
        f"from {OUTSIDER} {from_outsider[0]} -> {from_outsider[1].get('Location')}; "
        f"sessions page, direct over TLS with X-Forwarded-For {FORGED}: {sorted(direct)}; "
        f"through Caddy: {sorted(via_caddy)}"
    )
    assert from_proxy[0] == 200
    assert from_outsider[0] == 301
    assert from_outsider[1]["Location"].startswith("https://")
    assert direct == {OUTSIDER}
    assert via_caddy == {OUTSIDER}


def redis_commands(port):
    """Commands the Redis on port has run, by name, housekeeping left out."""
    stats = redis_client(port).info("commandstats")
    return {
        name.removeprefix("cmdstat_"): entry["calls"]
        for name, entry in stats.items()
        if name.removeprefix("cmdstat_") not in HOUSEKEEPING
    }


def sentinel_lookups(servers):
    """SENTINEL commands the sentinels have answered: the clients' questions for the primary's address."""
    return sum(
        redis_client(sentinel.port).info("commandstats").get("cmdstat_sentinel", {}).get("calls", 0)
        for sentinel in servers.sentinels
    )


def commands_per_request(visitor, servers, requests):
    """Redis commands on the primary, and sentinel lookups, while the visitor loads its home page."""
    before, lookups = redis_commands(servers.primary.port), sentinel_lookups(servers)
    assert all(visitor.visit_home() for _ in range(requests))
    after = redis_commands(servers.primary.port)
    spent = {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}
    return spent, sentinel_lookups(servers) - lookups


def test_a_steady_request_costs_one_redis_read_with_sentinel_as_with_a_url(deployment, servers):
    # One worker each: every request after the first reuses its connection.
    on_sentinel_host = deployment.start(GunicornInstance, SENTINEL_HOST, workers=1)
    plain = deployment.start(
        GunicornInstance,
        PLAIN_HOST,
        redis_url=servers.primary.url,
        environment={"DJANGO_TRUSTED_PROXIES": TRUSTED_PROXY},
        workers=1,
    )
    tally = Tally()
    on_sentinel = Visitor(LOAD_VISITORS + 3, [on_sentinel_host], tally)
    on_url = Visitor(LOAD_VISITORS + 4, [plain], tally)
    assert on_sentinel.sign_in()
    assert on_url.sign_in()
    # The first pages after signing in may still write (the activity stamp): let them pass.
    for visitor in (on_sentinel, on_url):
        assert all(visitor.visit_home() for _ in range(3))

    requests = 50
    sentinel_commands, sentinel_queries = commands_per_request(on_sentinel, servers, requests)
    url_commands, url_queries = commands_per_request(on_url, servers, requests)

    timings = {"sentinel": [], "url": []}
    for _ in range(200):
        for name, visitor in (("sentinel", on_sentinel), ("url", on_url)):
            started = time.perf_counter()
            visitor.visit_home()
            timings[name].append((time.perf_counter() - started) * 1000)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    print(
        f"\n[multi-host] per steady signed-in request, {requests} requests: Sentinel {sentinel_commands} "
        f"(+{sentinel_queries} sentinel lookups), Redis URL {url_commands} (+{url_queries}); "
        f"median over 200 alternating requests: Sentinel {medians['sentinel']:.2f} ms, URL {medians['url']:.2f} ms, "
        f"ratio {medians['sentinel'] / medians['url']:.2f}"
    )
    assert sentinel_commands == {"get": requests}
    assert url_commands == {"get": requests}
    assert sentinel_queries == 0
    assert tally.server_errors == 0


def wait_for(condition, *, seconds, step=0.02):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if condition():
                return True
        time.sleep(step)
    return False


def reads_served(port):
    return redis_client(port).info("commandstats").get("cmdstat_get", {}).get("calls", 0)


def test_a_redis_failover_under_load_signs_nobody_out_and_keeps_revocations(deployment, servers):
    primary, replica = servers.primary, servers.replica
    # Each sentinel knows the other two and the replica: a failover can be agreed.
    assert wait_for(
        lambda: all(
            len(redis_client(s.port).sentinel_sentinels(MASTER)) == 2
            and len(redis_client(s.port).sentinel_slaves(MASTER)) == 1
            for s in servers.sentinels
        ),
        seconds=30,
        step=0.2,
    )
    tally = Tally()
    visitors = [Visitor(number, deployment.apps, tally) for number in range(LOAD_VISITORS)]
    # In groups: 200 password hashes at once outlast a request's timeout on a busy 2-core machine.
    assert all(all(in_parallel(group, Visitor.sign_in)) for group in itertools.batched(visitors, 25)), tally.summary()
    victim = Visitor(LOAD_VISITORS + 5, deployment.apps, Tally())
    assert victim.sign_in()
    assert victim.visit_home()
    stolen_key = victim.cookies[SESSION_COOKIE]
    replica_reads_before = reads_served(replica.port)
    timeline = {}

    def failover():
        time.sleep(8)
        # The replica falls behind, as one cut off from the primary does: it
        # misses the revocation (frozen, and its link dropped, so that no byte
        # of it waits in the replica's socket).
        os.kill(replica.pid, signal.SIGSTOP)
        try:
            redis_client(primary.port).client_kill_filter(_type="replica")
            deployment.apps[1].manage(
                "shell",
                "-c",
                "from django.contrib.auth import get_user_model\n"
                "from session_policy import registry\n"
                f"registry.revoke_all(get_user_model().objects.get(username={victim.username!r}), reason='test')",
            )
            timeline["killed"] = time.monotonic()
            primary.stop(signal.SIGKILL)
        finally:
            os.kill(replica.pid, signal.SIGCONT)
        for event, condition in [
            ("promoted", lambda: redis_client(replica.port).info("replication")["role"] == "master"),
            ("announced", lambda: all(s.master_port() == replica.port for s in servers.sentinels)),
            ("served", lambda: reads_served(replica.port) > replica_reads_before),
        ]:
            if wait_for(condition, seconds=60):
                timeline[event] = time.monotonic()

    scenario = threading.Thread(target=failover)
    scenario.start()
    pages = browse_until(visitors, time.monotonic() + 45, pause=0.5)
    scenario.join()

    # The new primary kept its copy of the revoked session: the danger is real.
    resurrectable = redis_client(replica.port).exists(SESSION_CACHE_PREFIX + stolen_key)
    victim_back = victim.visit_home()
    seconds = {event: round(at - timeline["killed"], 2) for event, at in timeline.items() if event != "killed"}
    print(
        f"\n[multi-host] redis failover, cached_db, {len(visitors)} visitors on {len(deployment.apps)} hosts: "
        f"{tally.summary()}; replica reads before the kill {replica_reads_before}; seconds after the kill: {seconds}; "
        f"revoked session in the new primary {bool(resurrectable)}, signed in again {victim_back}"
    )
    assert replica_reads_before == 0
    assert set(seconds) == {"promoted", "announced", "served"}
    assert tally.mixups == 0
    assert tally.server_errors == 0
    assert tally.statuses[503] == 0
    assert tally.signed_out == 0
    assert all(pages)
    assert resurrectable
    assert not victim_back
