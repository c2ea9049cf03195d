"""The client's address comes from X-Forwarded-For only as deep as the trusted proxies."""

import pytest
from django.test import RequestFactory

from session_policy.client_ip import client_ip, same_client_network


@pytest.fixture
def proxies(settings):
    def count(number):
        settings.TRUSTED_PROXY_COUNT = number

    return count


def request_from(remote_addr, forwarded_for=None):
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, headers=headers)


@pytest.mark.parametrize(
    ("count", "remote_addr", "forwarded_for", "expected"),
    [
        (0, "198.51.100.7", None, "198.51.100.7"),
        (0, "198.51.100.7", "203.0.113.1", "198.51.100.7"),
        (1, "10.0.0.2", "203.0.113.1", "203.0.113.1"),
        (1, "10.0.0.2", "6.6.6.6, 203.0.113.1", "203.0.113.1"),
        (2, "10.0.0.2", "6.6.6.6, 203.0.113.1, 10.0.0.9", "203.0.113.1"),
        (2, "10.0.0.2", "203.0.113.1", None),
        (1, "10.0.0.2", None, None),
        (1, "10.0.0.2", "not-an-address", None),
        (1, "10.0.0.2", "203.0.113.1 , ", None),
        (1, "10.0.0.2", " 2001:DB8::0:1 ", "2001:db8::1"),
        (0, "", None, None),
    ],
)
def test_the_address_is_read_from_the_right_place(proxies, count, remote_addr, forwarded_for, expected):
    proxies(count)

    assert client_ip(request_from(remote_addr, forwarded_for)) == expected


@pytest.mark.parametrize(
    ("binding", "bound", "current", "same"),
    [
        ("off", "203.0.113.1", "198.51.100.1", True),
        ("strict", "203.0.113.1", "203.0.113.1", True),
        ("strict", "203.0.113.1", "203.0.113.2", False),
        ("subnet", "203.0.113.1", "203.0.113.254", True),
        ("subnet", "203.0.113.1", "203.0.114.1", False),
        ("subnet", "2001:db8::1", "2001:db8::ffff:1", True),
        ("subnet", "2001:db8::1", "2001:db8:0:1::1", False),
        ("subnet", "203.0.113.1", None, False),
        ("strict", None, "203.0.113.1", False),
        ("strict", None, None, True),
    ],
)
def test_networks_compare_as_the_binding_says(binding, bound, current, same):
    assert same_client_network(bound, current, binding) is same
