"""The session policy, read once from ``settings.SESSION_POLICY``."""

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache, lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


@dataclass(frozen=True)
class Policy:
    """Every limit of the policy, in seconds where it is a duration."""

    idle_timeout: float
    absolute_timeout: float
    rotation_interval: float
    activity_granularity: float
    reauthentication_timeout: float
    ip_binding: str
    user_agent_binding: bool
    trusted_proxy_count: int
    device_binding: bool
    device_binding_cookie_age: float
    device_binding_cookie_name: str
    # Whether a REMOTE_ADDR is one of settings.TRUSTED_PROXIES.
    is_trusted_proxy: Callable[[str], bool] = field(compare=False)


def membership(networks):
    """Return a test of whether an address string is in one of networks.

    It runs on every request with the peer's address, which takes few values
    (the proxies'), so each answer is remembered per address.
    """

    @lru_cache(maxsize=1024)
    def is_member(address):
        try:
            address = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(address in network for network in networks)

    return is_member


@cache
def policy():
    """Return the policy in force."""
    values = settings.SESSION_POLICY

    def seconds(name):
        return timedelta.total_seconds(values[name])

    idle_timeout = seconds("IDLE_TIMEOUT")
    return Policy(
        idle_timeout=idle_timeout,
        absolute_timeout=seconds("ABSOLUTE_TIMEOUT"),
        rotation_interval=seconds("ROTATION_INTERVAL"),
        # No coarser than a quarter of the idle timeout, so that any request
        # in the idle warning's last minute records activity.
        activity_granularity=min(seconds("ACTIVITY_GRANULARITY"), idle_timeout / 4),
        reauthentication_timeout=seconds("REAUTHENTICATION_TIMEOUT"),
        ip_binding=values["IP_BINDING"],
        user_agent_binding=values["USER_AGENT_BINDING"],
        trusted_proxy_count=settings.TRUSTED_PROXY_COUNT,
        device_binding=values["DEVICE_BINDING"],
        device_binding_cookie_age=seconds("DEVICE_BINDING_COOKIE_AGE"),
        device_binding_cookie_name=values["DEVICE_BINDING_COOKIE_NAME"],
        is_trusted_proxy=membership(tuple(settings.TRUSTED_PROXIES)),
    )


@receiver(setting_changed)
def reload_policy(*, setting, **kwargs):
    """Forget the cached policy when a test overrides its settings."""
    if setting in ("SESSION_POLICY", "TRUSTED_PROXY_COUNT", "TRUSTED_PROXIES"):
        policy.cache_clear()
