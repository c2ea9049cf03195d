"""Repeated failures lock an account from one client network, and from every network past a higher limit.

accounts/lockout.py: every spelling of an account counts against it, an IPv6
client counts by its /64, wrong passwords and wrong codes count together.
"""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.db.models.signals import pre_save
from django.urls import reverse

from session_policy.tests.test_second_factor import activate_totp, totp

pytestmark = pytest.mark.django_db


def attempt(client, username, password, ip):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        headers={"x-forwarded-for": ip},
        REMOTE_ADDR=ip,
    )


def fail_until_locked(client, user, ip):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = attempt(client, user.username, "wrong password", ip)
    return response


def test_repeated_failures_lock_the_account_from_that_address(client, user, password, audit_log):
    locked = fail_until_locked(client, user, "203.0.113.9")

    assert locked.status_code == 429
    assert "Too many attempts" in locked.text
    # Even the right password is refused while the lock holds.
    response = attempt(client, user.username, password, "203.0.113.9")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert audit_log.of("lockout")[0]["username"] == user.username


def test_the_lock_does_not_spread_to_other_addresses(client, https_client, user, password):
    fail_until_locked(client, user, "203.0.113.9")

    response = attempt(https_client(), user.username, password, "198.51.100.20")

    assert response.status_code == 302


def test_a_failure_whose_row_another_request_moves_is_counted_once(client, user):
    """No 500 when parallel failures and a sign-in create and delete the same row (accounts/lockout.py).

    The race, as gunicorn workers on PostgreSQL meet it, forced here: while the
    failure inserts its row, another request's row for the same account,
    network and browser appears, and is gone again when axes looks for it.
    """
    clashed = []

    def clash(sender, instance, **kwargs):
        if instance._state.adding and not clashed:
            clashed.append(instance.username)
            # Inside axes' savepoint: its rollback after the clash takes this row away again.
            AccessAttempt.objects.create(
                username=instance.username,
                ip_address=instance.ip_address,
                user_agent=instance.user_agent,
                failures_since_start=1,
            )

    pre_save.connect(clash, sender=AccessAttempt, weak=False)
    try:
        response = attempt(client, user.username, "wrong password", "203.0.113.9")
    finally:
        pre_save.disconnect(clash, sender=AccessAttempt)

    assert clashed == [user.username]
    assert response.status_code == 200
    assert AccessAttempt.objects.get().failures_since_start == 1


def test_the_admin_has_no_password_form_to_guess_at(client, user):
    """The admin signs in through the site's sign-in page, lockout and second factor included."""
    response = client.post("/admin/login/", {"username": user.username, "password": "wrong password"})

    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=%2Fadmin%2Flogin%2F"
    assert not AccessAttempt.objects.exists()


def test_the_lock_lifts_after_the_cool_off_or_when_an_administrator_resets_it(client, user, password):
    fail_until_locked(client, user, "203.0.113.9")

    AccessAttempt.objects.filter(username=user.username).delete()  # what the admin's "delete" does

    assert attempt(client, user.username, password, "203.0.113.9").status_code == 302


# Every spelling below finds alice (allauth compares usernames without case),
# or is alice's name in another Unicode form, or her email address.
SPELLINGS = ["alice", "ALICE", "Alice", "aLiCe", " alice\u00a0", "ａｌｉｃｅ", "ＡＬＩＣＥ", "alice@example.com"]


def test_every_spelling_of_an_account_counts_against_it(client, user, password):
    for attempt_number in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, SPELLINGS[attempt_number % len(SPELLINGS)], "wrong password", "203.0.113.9")

    # The right password, under any spelling, is refused while the lock holds.
    for spelling in SPELLINGS:
        assert attempt(client, spelling, password, "203.0.113.9").status_code == 429, spelling
    assert AccessAttempt.objects.get().username == user.username


def test_an_unknown_name_is_counted_under_one_spelling_as_a_known_one_is(client, user):
    for attempt_number in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, ["nobody", "NOBODY", " Nobody"][attempt_number % 3], "wrong password", "203.0.113.9")

    assert attempt(client, "nobody", "wrong password", "203.0.113.9").status_code == 429


def test_an_ipv6_client_is_counted_by_its_64(client, https_client, user, password):
    # A fresh address of the same /64 for every try, as any IPv6 client can take.
    for number in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, user.username, "wrong password", f"2001:db8:1:2::{number + 1:x}")

    assert attempt(https_client(), user.username, password, "2001:db8:1:2:ffff::9").status_code == 429
    assert attempt(https_client(), user.username, password, "2001:db8:1:3::1").status_code == 302


def test_an_ipv4_client_is_one_client_whether_or_not_mapped_into_ipv6(client, https_client, user, password):
    for number in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, user.username, "wrong password", "::ffff:203.0.113.9" if number % 2 else "203.0.113.9")

    assert attempt(https_client(), user.username, password, "203.0.113.9").status_code == 429


def networks_just_under_the_limit():
    """As many networks as it takes to reach the account's limit, each one failure short of its own."""
    per_network = settings.AXES_FAILURE_LIMIT - 1
    needed = -(-settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT // per_network)
    return [f"198.51.{number // 250}.{number % 250 + 1}" for number in range(needed)], per_network


def test_failures_from_many_networks_lock_the_account_everywhere(client, https_client, user, password):
    networks, per_network = networks_just_under_the_limit()
    for network in networks:
        for _ in range(per_network):
            attempt(client, user.username, "wrong password", network)

    # A network that never failed is refused too: the account as a whole is locked.
    assert attempt(https_client(), user.username, password, "192.0.2.77").status_code == 429


def test_the_account_lock_lifts_after_the_cool_off(client, https_client, user, password):
    networks, per_network = networks_just_under_the_limit()
    for network in networks:
        for _ in range(per_network):
            attempt(client, user.username, "wrong password", network)

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)

    assert attempt(https_client(), user.username, password, "192.0.2.77").status_code == 302


def test_one_failure_short_of_the_account_limit_still_signs_in(client, https_client, user, password):
    networks, per_network = networks_just_under_the_limit()
    failures = 0
    for network in networks:
        for _ in range(per_network):
            if failures < settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT - 1:
                attempt(client, user.username, "wrong password", network)
                failures += 1

    assert attempt(https_client(), user.username, password, "192.0.2.77").status_code == 302


def test_a_pending_sign_in_cannot_guess_codes_from_address_after_address(https_client, user, password):
    """Wrong second-factor codes count per account across addresses, as wrong passwords do."""
    laptop = https_client(HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="203.0.113.9")
    sign_in_with_password(laptop, user, password, "203.0.113.9")
    secret = activate_totp(laptop)
    laptop.post(reverse("logout"))

    thief = https_client()
    sign_in_with_password(thief, user, password, "203.0.113.9")
    networks, per_network = networks_just_under_the_limit()
    for network in networks:
        for _ in range(per_network):
            # Forwarded and as the peer: whatever the proxy count, the network is the client's.
            thief.post(
                reverse("mfa_authenticate"),
                {"code": "000000"},
                headers={"x-forwarded-for": network},
                REMOTE_ADDR=network,
            )

    last = "192.0.2.77"
    right = thief.post(
        reverse("mfa_authenticate"), {"code": totp(secret)}, headers={"x-forwarded-for": last}, REMOTE_ADDR=last
    )
    assert "_auth_user_id" not in thief.session
    assert "Too many failed attempts" in right.text


def sign_in_with_password(client, user, password, ip):
    response = attempt(client, user.username, password, ip)
    assert response.status_code == 302
    return response
