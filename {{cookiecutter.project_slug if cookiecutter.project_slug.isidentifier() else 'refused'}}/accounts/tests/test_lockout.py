"""Repeated failures lock a username from one address, and only from that address."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

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
