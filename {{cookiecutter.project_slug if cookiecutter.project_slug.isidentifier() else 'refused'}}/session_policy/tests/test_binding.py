"""A session used from another network or browser is ended, and the event audited."""

import ipaddress

import pytest

from session_policy.tests.conftest import is_signed_in, session_key, stored

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0 Safari/537.36"


@pytest.fixture
def binding(policy, settings):
    """Choose the binding, behind one proxy that appends the client's address."""

    def choose(ip="off", user_agent=False):
        settings.TRUSTED_PROXY_COUNT = 1
        settings.TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1"),)  # the test client's address
        policy(IP_BINDING=ip, USER_AGENT_BINDING=user_agent)

    return choose


def via(ip, user_agent=FIREFOX):
    """Request headers as the proxy passes them on for a client at ip."""
    return {"headers": {"x-forwarded-for": ip, "user-agent": user_agent}}


@pytest.mark.parametrize(
    ("mode", "signed_in_from", "stolen_from", "accepted"),
    [
        ("strict", "203.0.113.10", "203.0.113.10", True),
        ("strict", "203.0.113.10", "203.0.113.11", False),
        ("subnet", "203.0.113.10", "203.0.113.250", True),
        ("subnet", "203.0.113.10", "198.51.100.10", False),
        ("subnet", "2001:db8:1:2::10", "2001:db8:1:2:ffff::1", True),
        ("subnet", "2001:db8:1:2::10", "2001:db8:1:3::10", False),
        ("subnet", "203.0.113.10", "2001:db8:1:2::10", False),
        ("off", "203.0.113.10", "198.51.100.10", True),
    ],
)
def test_a_key_used_from_another_network_is_refused(
    https_client, user, sign_in, binding, replay, mode, signed_in_from, stolen_from, accepted
):
    binding(ip=mode)
    owner = https_client()
    sign_in(owner, user, **via(signed_in_from))

    response = replay(session_key(owner), **via(stolen_from))

    assert is_signed_in(response) is accepted


def test_a_network_mismatch_ends_the_session_for_everyone_and_is_audited(
    https_client, user, sign_in, binding, replay, audit_log
):
    binding(ip="strict")
    owner = https_client()
    sign_in(owner, user, **via("203.0.113.10"))
    key = session_key(owner)

    assert not is_signed_in(replay(key, **via("198.51.100.66")))

    assert not stored(key)
    assert not is_signed_in(owner.get("/", **via("203.0.113.10")))
    ended = audit_log.of("session_ended")
    assert ended[0]["reason"] == "ip_mismatch"
    assert ended[0]["user_id"] == user.pk
    assert ended[0]["ip"] == "198.51.100.66"


def test_a_spoofed_forwarded_address_is_not_believed(https_client, user, sign_in, binding, replay):
    binding(ip="strict")
    owner = https_client()
    sign_in(owner, user, **via("203.0.113.10"))

    # The thief claims the owner's address; the proxy appends the thief's real one.
    response = replay(session_key(owner), **via("203.0.113.10, 198.51.100.66"))

    assert not is_signed_in(response)


def test_a_key_used_from_another_browser_is_refused(https_client, user, sign_in, binding, replay):
    binding(user_agent=True)
    owner = https_client()
    sign_in(owner, user, **via("203.0.113.10", FIREFOX))

    assert not is_signed_in(replay(session_key(owner), **via("203.0.113.10", CHROME)))


def test_the_same_browser_keeps_its_session(https_client, user, sign_in, binding):
    binding(ip="strict", user_agent=True)
    owner = https_client()
    sign_in(owner, user, **via("203.0.113.10", FIREFOX))

    assert is_signed_in(owner.get("/", **via("203.0.113.10", FIREFOX)))


def test_user_agent_binding_can_be_switched_off(https_client, user, sign_in, binding, replay):
    binding(user_agent=False)
    owner = https_client()
    sign_in(owner, user, **via("203.0.113.10", FIREFOX))

    assert is_signed_in(replay(session_key(owner), **via("203.0.113.10", CHROME)))
