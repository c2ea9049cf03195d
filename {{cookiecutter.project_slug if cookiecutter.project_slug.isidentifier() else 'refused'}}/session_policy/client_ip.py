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
    """Return text as a normalised IP address, or None if it is not one."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


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
