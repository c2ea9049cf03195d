"""The client's address comes from X-Forwarded-For only through trusted proxies, and only as deep as they go."""

import ipaddress
import logging

import pytest
from django.test import RequestFactory

from session_policy.client_ip import client_ip, client_network, same_client_network
from session_policy.forwarded import ForwardedProtoMiddleware

PROXY_RANGES = ("10.0.0.0/8", "2001:db8:ffff::/48")


@pytest.fixture
def proxies(settings):
    def count(number, trusted=PROXY_RANGES):
        settings.TRUSTED_PROXY_COUNT = number
        settings.TRUSTED_PROXIES = tuple(ipaddress.ip_network(network) for network in trusted)

    return count


def request_from(remote_addr, forwarded_for=None, **headers):
    if forwarded_for is not None:
        headers["x-forwarded-for"] = forwarded_for
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, headers=headers)


@pytest.mark.parametrize(
    ("count", "remote_addr", "forwarded_for", "expected"),
    [
        (0, "198.51.100.7", None, "198.51.100.7"),
        (0, "198.51.100.7", "203.0.113.1", "198.51.100.7"),
        (1, "10.0.0.2", "203.0.113.1", "203.0.113.1"),
        (1, "10.0.0.2", "6.6.6.6, 203.0.113.1", "203.0.113.1"),
        (2, "10.0.0.2", "6.6.6.6, 203.0.113.1, 10.0.0.9", "203.0.113.1"),
        (1, "2001:db8:ffff:1::2", "203.0.113.1", "203.0.113.1"),
        (1, "10.0.0.2", "not-an-address", None),
        (1, "10.0.0.2", "203.0.113.1 , ", None),
        (1, "10.0.0.2", " 2001:DB8::0:1 ", "2001:db8::1"),
        # One client, one spelling: a dual-stack socket's IPv4-mapped address, a zone id of any length.
        (0, "::ffff:198.51.100.7", None, "198.51.100.7"),
        (1, "10.0.0.2", "::ffff:203.0.113.1", "203.0.113.1"),
        (1, "10.0.0.2", "fe80::1ff:fe23:4567:890a%enx00e04c1234ab" + "x" * 200, "fe80::1ff:fe23:4567:890a"),
        (0, "", None, None),
    ],
)
def test_the_address_is_read_from_the_right_place(proxies, count, remote_addr, forwarded_for, expected):
    proxies(count)

    assert client_ip(request_from(remote_addr, forwarded_for)) == expected


@pytest.mark.parametrize(
    ("remote_addr", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("11.0.0.2", "11.0.0.2"),
        ("2001:db8:fffe::2", "2001:db8:fffe::2"),
        ("not-an-address", None),
    ],
)
def test_a_forged_header_from_outside_the_trusted_proxies_is_ignored(proxies, remote_addr, expected):
    proxies(1)

    assert client_ip(request_from(remote_addr, "203.0.113.1")) == expected


@pytest.mark.parametrize(
    ("count", "forwarded_for"), [(1, None), (1, " "), (2, "203.0.113.1"), (3, "6.6.6.6, 203.0.113.1")]
)
def test_a_header_shorter_than_the_proxy_chain_is_logged_and_the_proxy_address_used(
    proxies, caplog, count, forwarded_for
):
    proxies(count)
    request = request_from("10.0.0.2", forwarded_for)

    with caplog.at_level(logging.WARNING, logger="session_policy.client_ip"):
        answers = {client_ip(request) for _ in range(3)}

    assert answers == {"10.0.0.2"}
    [record] = caplog.records
    assert record.getMessage().startswith("X-Forwarded-For from the proxy 10.0.0.2 has ")
    assert "203.0.113.1" not in record.getMessage()


def test_with_no_trusted_proxy_every_client_is_its_connection(proxies):
    proxies(1, trusted=())

    assert client_ip(request_from("10.0.0.2", "203.0.113.1")) == "10.0.0.2"


@pytest.mark.parametrize(
    ("count", "remote_addr", "secure"),
    [(1, "10.0.0.2", True), (1, "2001:db8:ffff::9", True), (1, "198.51.100.7", False), (0, "10.0.0.2", False)],
)
def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(proxies, settings, count, remote_addr, secure):
    proxies(count)
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if count else None
    request = request_from(remote_addr, **{"x-forwarded-proto": "https"})

    ForwardedProtoMiddleware(lambda request: None)(request)

    assert request.is_secure() is secure


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


@pytest.mark.parametrize(
    ("remote_addr", "network"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::"),
        ("fe80::1%eth0", "fe80::"),
        ("not-an-address", None),
    ],
)
def test_the_client_network_is_the_ipv4_address_or_the_ipv6_64(proxies, remote_addr, network):
    proxies(0)

    assert client_network(request_from(remote_addr)) == network
