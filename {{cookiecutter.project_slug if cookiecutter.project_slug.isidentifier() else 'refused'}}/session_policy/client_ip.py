"""Resolve the client's IP address, trusting forwarded headers only as far as the proxies go."""

import ipaddress
from functools import lru_cache

from session_policy.conf import policy

# The network a subnet-bound session may move within.
SUBNET_PREFIX = {4: 24, 6: 64}


def client_ip(request):
    """Return the client's address, or None when it cannot be known.

    Each trusted proxy appends the address it received the request from to
    X-Forwarded-For, so the n-th entry from the right was written by the
    outermost of n proxies; everything to its left came from the client and
    is not believed.
    """
    proxies = policy().trusted_proxy_count
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        candidate = hops[-proxies] if len(hops) >= proxies else None
    else:
        candidate = request.META.get("REMOTE_ADDR")
    return parse_ip(candidate or "")


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
