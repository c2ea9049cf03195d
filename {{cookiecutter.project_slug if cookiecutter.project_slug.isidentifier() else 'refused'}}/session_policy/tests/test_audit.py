"""Every session event reaches the audit trail, with a hash of the key and never the key."""

import json
import logging
from datetime import timedelta

import pytest

from session_policy.audit import JsonFormatter, session_fingerprint
from session_policy.tests.conftest import session_key

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 42"
CLIENT_IP = "203.0.113.5"


def test_a_sessions_life_is_audited_without_its_keys(https_client, user, password, sign_in, clock, policy, audit_log):
    policy(ROTATION_INTERVAL=timedelta(minutes=15), IDLE_TIMEOUT=timedelta(minutes=30))
    client = https_client(headers={"x-forwarded-for": CLIENT_IP}, REMOTE_ADDR=CLIENT_IP)
    keys = []

    client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    sign_in(client, user)
    keys.append(session_key(client))
    clock.advance(minutes=16)
    client.get("/")
    keys.append(session_key(client))
    client.post("/accounts/reauthenticate/", {"password": password})
    keys.append(session_key(client))
    client.post(
        "/accounts/password/change/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    keys.append(session_key(client))
    client.post("/accounts/logout/")

    events = [entry["event"] for entry in audit_log.events]
    expected = ["login_failed", "login", "rotation", "rotation", "reauthentication", "password_change", "logout"]
    assert events == expected
    login = audit_log.of("login")[0]
    assert (login["user_id"], login["ip"], login["session"]) == (user.pk, CLIENT_IP, session_fingerprint(keys[0]))
    failed = audit_log.of("login_failed")[0]
    assert (failed["username"], failed["reason"], failed["user_id"]) == (user.username, "bad_credentials", None)
    assert [entry["reason"] for entry in audit_log.of("rotation")] == ["interval", "reauthentication"]
    assert len(set(keys)) == 4
    written = json.dumps(audit_log.events)
    assert not any(key in written for key in keys)


@pytest.mark.parametrize(
    ("idle", "steps", "reason"), [(30, [31], "idle_timeout"), (30, [20] * 40, "absolute_timeout")]
)
def test_timeouts_are_audited_with_their_reason(client, user, sign_in, clock, policy, audit_log, idle, steps, reason):
    policy(IDLE_TIMEOUT=timedelta(minutes=idle), ABSOLUTE_TIMEOUT=timedelta(hours=12))
    sign_in(client, user)

    for minutes in steps:
        clock.advance(minutes=minutes)
        client.get("/")

    assert [entry["reason"] for entry in audit_log.of("session_ended")] == [reason]


def test_revocations_are_audited_per_session(https_client, user, sign_in, audit_log):
    laptop, phone = https_client(), https_client()
    sign_in(laptop, user)
    sign_in(phone, user)

    laptop.post("/accounts/sessions/revoke-others/")

    revoked = audit_log.of("revocation")
    assert [entry["session"] for entry in revoked] == [session_fingerprint(session_key(phone))]
    assert revoked[0]["reason"] == "revoked_by_user"


def test_the_fingerprint_is_keyed_and_stable():
    assert session_fingerprint("abc") == session_fingerprint("abc")
    assert session_fingerprint("abc") != session_fingerprint("abd")
    assert "abc" not in session_fingerprint("abc")
    assert session_fingerprint(None) is None


def test_the_formatter_writes_one_json_object_per_line():
    record = logging.LogRecord("audit", logging.INFO, __file__, 1, "login", None, None)
    record.audit = {"event": "login", "reason": 'a "quoted"\nline'}

    line = JsonFormatter().format(record)

    assert "\n" not in line
    assert json.loads(line) == record.audit
