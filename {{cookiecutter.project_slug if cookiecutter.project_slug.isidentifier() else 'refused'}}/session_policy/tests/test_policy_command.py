"""``manage.py session_policy`` shows the policy in force, and docs/session-policy.md keeps up with it."""

import io
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import views as auth_views
from django.core.management import call_command
from django.urls import path

from session_policy.management.commands.session_policy import PRACTICES

# The system checks ask the database what it supports (JSONField).
pytestmark = pytest.mark.django_db

PROJECT_DIR = Path(__file__).resolve().parents[2]
DOC = PROJECT_DIR / "docs" / "session-policy.md"
CHECKS = PROJECT_DIR / "session_policy" / "checks.py"
POLICY_MIDDLEWARE = "session_policy.middleware.SessionPolicyMiddleware"
# Every ASVS 4.0.3 V3 and 5.0 V7 requirement the project claims to answer.
CLAIMED_ASVS_4 = {"3.2.1", "3.2.3", "3.3.1", "3.3.2", "3.3.3", "3.3.4"} | {f"3.4.{n}" for n in range(1, 6)} | {"3.7.1"}
CLAIMED_ASVS_5 = {"7.1.1", "7.1.2", "7.2.4", "7.3.1", "7.3.2"} | {f"7.4.{n}" for n in range(1, 6)} | {"7.5.1", "7.5.2"}

# A project that swapped the policy's sign-out for Django's stock one (ROOT_URLCONF=__name__).
urlpatterns = [path("logout/", auth_views.LogoutView.as_view(), name="logout")]


def run_command(*args):
    output = io.StringIO()
    call_command("session_policy", *args, stdout=output)
    return output.getvalue()


def checklist():
    """Return each practice's mark, value and requirements line, by practice name."""
    lines = run_command().splitlines()
    entries = {}
    for line, requirements in zip(lines, lines[1:], strict=False):
        for practice in PRACTICES:
            if line[2:].startswith(practice.name + ": "):
                entries[practice.name] = (line[0], line[len(practice.name) + 4 :], requirements.strip())
    return entries


def entry(name):
    return checklist()[name]


def doc_practices():
    """Return the first column of the documentation's practice table."""
    rows = re.search(r"^\| practice \|.*\n\|[-|]+\|\n((?:\|.*\n)+)", DOC.read_text(), re.MULTILINE).group(1)
    return [row.split("|")[1].strip() for row in rows.splitlines()]


def test_every_practice_is_listed_with_the_requirements_it_answers():
    entries = checklist()

    assert list(entries) == [practice.name for practice in PRACTICES]
    for practice in PRACTICES:
        requirements = entries[practice.name][2]
        for version, ids in (("4.0.3", practice.asvs_4), ("5.0", practice.asvs_5)):
            for requirement in ids:
                assert re.search(rf"ASVS {version}: [^|]*\b{re.escape(requirement)}\b", requirements), (
                    practice.name,
                    requirement,
                )
        assert practice.asvs_4 or practice.asvs_5 or practice.source in requirements


def test_the_practices_answer_every_claimed_requirement():
    assert {requirement for practice in PRACTICES for requirement in practice.asvs_4} >= CLAIMED_ASVS_4
    assert {requirement for practice in PRACTICES for requirement in practice.asvs_5} >= CLAIMED_ASVS_5


def test_the_project_settings_put_every_practice_in_force_but_the_bindings_switched_off(settings):
    switched_off = {
        "IP binding": settings.SESSION_POLICY["IP_BINDING"] == "off",
        "User-Agent binding": not settings.SESSION_POLICY["USER_AGENT_BINDING"],
        "Device-bound sessions": not settings.SESSION_POLICY["DEVICE_BINDING"],
    }

    marked_off = [name for name, (mark, _, _) in checklist().items() if mark != "✓"]

    assert marked_off == [name for name, off in switched_off.items() if off]


def test_the_values_follow_the_settings(settings):
    settings.SESSION_POLICY = {
        **settings.SESSION_POLICY,
        "IDLE_TIMEOUT": timedelta(minutes=45),
        "ABSOLUTE_TIMEOUT": timedelta(hours=8),
        "ROTATION_INTERVAL": timedelta(minutes=90),
        "IP_BINDING": "strict",
        "REAUTHENTICATION_TIMEOUT": timedelta(minutes=2),
    }
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = False
    settings.SESSION_COOKIE_SAMESITE = "Strict"

    entries = checklist()

    assert entries["Idle timeout"][:2] == ("✓", "45 min (activity recorded every 1 min)")
    assert entries["Absolute timeout"][:2] == ("✓", "8 h after sign-in")
    assert entries["Rotation"][:2] == ("✓", "every 1 h 30 min")
    assert entries["IP binding"][1].startswith("strict: same address")
    session_cookie = entries["Secure, HttpOnly, SameSite, prefixed cookies"][1].split(" | ")[0]
    assert session_cookie.startswith(settings.SESSION_COOKIE_NAME + ";")
    assert session_cookie.endswith("; Secure; HttpOnly; SameSite=Strict")
    assert "valid 2 min" in entries["Re-authentication before sensitive actions"][1]


@pytest.mark.parametrize(
    ("setting", "value", "practice", "shown"),
    [
        ("IP_BINDING", "off", "IP binding", "off"),
        ("USER_AGENT_BINDING", False, "User-Agent binding", "off"),
        ("DEVICE_BINDING", False, "Device-bound sessions", "off"),
        ("ROTATION_INTERVAL", timedelta(days=30), "Rotation", "every 30 d"),
        ("IDLE_TIMEOUT", timedelta(days=30), "Idle timeout", "30 d (activity recorded every 1 min)"),
    ],
)
def test_a_policy_switched_off_is_marked(settings, setting, value, practice, shown):
    settings.SESSION_POLICY = {**settings.SESSION_POLICY, setting: value}

    assert entry(practice)[:2] == ("✗", shown)


def test_hsts_off_is_marked(settings):
    settings.SECURE_HSTS_SECONDS = 0

    assert entry("HTTPS and HSTS")[:2] == ("✗", "http redirected to https; no HSTS")


def test_a_cookie_sent_over_plain_http_is_marked(settings):
    settings.SESSION_COOKIE_SECURE = False

    mark, value, _ = entry("Secure, HttpOnly, SameSite, prefixed cookies")
    session_cookie, csrf_cookie = value.split(" | ")
    assert mark == "✗"
    assert "; Secure;" not in session_cookie
    assert "; Secure;" in csrf_cookie


def test_without_the_policy_middleware_nothing_it_enforces_is_in_force(settings):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != POLICY_MIDDLEWARE]

    entries = checklist()

    for practice in ["Idle timeout", "Absolute timeout", "Rotation", "IP binding", "User-Agent binding"]:
        assert entries[practice][0] == "✗", practice
        assert entries[practice][1].endswith(f"not enforced: {POLICY_MIDDLEWARE} is not installed")
    assert entries["No-store on authenticated pages"][0] == "✗"


def test_csrf_middleware_missing_is_marked(settings):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if "csrf" not in name]

    assert entry("CSRF protection")[0] == "✗"


def test_views_not_served_by_the_policy_are_marked(settings):
    settings.ROOT_URLCONF = __name__

    entries = checklist()

    for practice in [
        "Logout ends the session, Clear-Site-Data",
        "Session list and revocation",
        "Re-authentication before sensitive actions",
        "Password change or reset ends other sessions",
    ]:
        assert entries[practice][0] == "✗", practice


def test_a_silenced_audit_logger_is_marked(monkeypatch):
    monkeypatch.setattr(logging.getLogger("audit"), "disabled", True)

    assert entry("Audit trail")[0] == "✗"


def test_json_output_parses_and_carries_the_same_rows(settings):
    settings.SESSION_POLICY = {**settings.SESSION_POLICY, "IP_BINDING": "off"}

    rows = json.loads(run_command("--format", "json"))

    assert [row["practice"] for row in rows] == [practice.name for practice in PRACTICES]
    by_name = {row["practice"]: row for row in rows}
    assert by_name["IP binding"]["on"] is False
    assert by_name["Idle timeout"]["on"] is True
    assert by_name["Idle timeout"]["asvs_4_0_3"] == ["3.3.2"]
    assert by_name["Idle timeout"]["asvs_5_0"] == ["7.1.1", "7.3.1"]


def test_the_documentation_lists_the_same_practices():
    assert doc_practices() == [practice.name for practice in PRACTICES]


def test_every_file_the_documentation_names_exists():
    named = set(re.findall(r"`([\w./-]+\.py)`", DOC.read_text()))

    assert len(named) > 20
    assert sorted(name for name in named if not (PROJECT_DIR / name).is_file()) == []


def test_the_documentation_lists_every_system_check():
    ids = set(re.findall(r'id="(session_policy\.[EW]\d{3})"', CHECKS.read_text()))

    assert len(ids) >= 12
    assert sorted(check_id for check_id in ids if f"`{check_id}`" not in DOC.read_text()) == []
