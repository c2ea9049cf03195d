"""Resolve the client's IP address, trusting forwarded headers only as far as the proxies go."""

import ipaddress
import logging
from functools import lru_cache

from session_policy.conf import policy

logger = logging.getLogger(__name__)
# The network a subnet-bound session may move within.
SUBNET_PREFIX = {4: 24, 6: 64}
# Where client_ip() keeps its answer on the request: it is asked several times per request.
RESOLVED = "_session_policy_client_ip"


def client_ip(request):
    """Return the client's address, or None when it cannot be known.

    Forwarded headers count only on a connection from one of
    settings.TRUSTED_PROXIES; from anyone else the peer's own address is the
    client's. Each trusted proxy appends the address it received the request
    from to X-Forwarded-For, so the n-th entry from the right was written by
    the outermost of n proxies; everything to its left came from the client
    and is not believed. A header shorter than that, which no proxy chain as
    configured would send, is logged and the peer's address is used.
    """
    if RESOLVED not in request.__dict__:
        request.__dict__[RESOLVED] = resolve(request.META)
    return request.__dict__[RESOLVED]


def forwarded_by_trusted_proxy(meta):
    """Whether the request's forwarded headers may be believed: they came through a trusted proxy."""
    limits = policy()
    return bool(limits.trusted_proxy_count) and limits.is_trusted_proxy(meta.get("REMOTE_ADDR"))


def resolve(meta):
    """Return the client's address as client_ip() does, from the request's META."""
    peer = parse_ip(meta.get("REMOTE_ADDR") or "")
    if not forwarded_by_trusted_proxy(meta):
        return peer
    proxies = policy().trusted_proxy_count
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    hops = forwarded.split(",") if forwarded.strip() else []
    if len(hops) < proxies:
        logger.warning(
            "X-Forwarded-For from the proxy %s has %d of the %d entries expected: using the proxy's address.",
            peer,
            len(hops),
            proxies,
        )
        return peer
    return parse_ip(hops[-proxies])


# Both functions take and return strings, and run on every signed-in request:
# a small cache spares re-parsing the same few addresses.
@lru_cache(maxsize=1024)
def parse_ip(text):
    """Return text as a normalised IP address, or None if it is not one.

    One client, one spelling: an IPv4 address that a dual-stack socket reports
    as IPv6 (::ffff:a.b.c.d) is the IPv4 address, and an IPv6 zone id
    (fe80::1%eth0), which names an interface of the host that saw the address
    and nothing of the client, is dropped. Otherwise binding would compare a
    mapped IPv4 address by the /64 that holds every IPv4 address, and a zone id
    of any length would reach the database's address columns.
    """
    try:
        address = ipaddress.ip_address(text.strip().partition("%")[0])
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def client_network(request):
    """Return the client's network as an address: its own for IPv4, the first of its /64 for IPv6.

    An IPv6 client holds a whole /64 (one household, one phone): counting
    its addresses one by one would let it take a fresh one for every try. The
    lockout and the rate limits count per this value; None when the address is
    unknown.
    """
    address = client_ip(request)
    if address is None or ":" not in address:
        return address
    return str(ipaddress.ip_network(f"{address}/{SUBNET_PREFIX[6]}", strict=False).network_address)


@lru_cache(maxsize=1024)
def same_client_network(bound, current, binding):
    """Whether current is acceptable for a session bound to the address bound."""
    if binding == "off":
        return True
    if bound is None or current is None:
        # An unknown address only matches an unknown address.
        return bound == current
    if binding == "strict":
        return bound == current
    bound_address = ipaddress.ip_address(bound)
    current_address = ipaddress.ip_address(current)
    if bound_address.version != current_address.version:
        return False
    prefix = SUBNET_PREFIX[bound_address.version]
    return current_address in ipaddress.ip_network(f"{bound}/{prefix}", strict=False)
