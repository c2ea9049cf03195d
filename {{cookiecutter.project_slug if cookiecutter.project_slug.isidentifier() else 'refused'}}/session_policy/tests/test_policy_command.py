"""``manage.py session_policy`` shows the system checks' verdict on each practice, and the docs keep up."""

import io
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import views as auth_views
from django.core.checks.security import base, csrf
from django.core.management import call_command
from django.urls import path

from session_policy.practices import PRACTICES

# The system checks ask the database what it supports (JSONField), and run on a shared cache.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_cache")]

PROJECT_DIR = Path(__file__).resolve().parents[2]
DOC = PROJECT_DIR / "docs" / "session-policy.md"
CHECKS = PROJECT_DIR / "session_policy" / "checks.py"
POLICY_MIDDLEWARE = "session_policy.middleware.SessionPolicyMiddleware"
# Every ASVS 4.0.3 V3 and 5.0 V7 requirement the project claims to answer.
CLAIMED_ASVS_4 = {"3.2.1", "3.2.3", "3.3.1", "3.3.2", "3.3.3", "3.3.4"} | {f"3.4.{n}" for n in range(1, 6)} | {"3.7.1"}
CLAIMED_ASVS_5 = {"7.1.1", "7.1.2", "7.2.4", "7.3.1", "7.3.2"} | {f"7.4.{n}" for n in range(1, 6)} | {"7.5.1", "7.5.2"}
POLICY_PAGES = [
    "Logout ends the session, Clear-Site-Data",
    "Session list and revocation",
    "Re-authentication before sensitive actions",
    "Password change or reset ends other sessions",
]

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


def failing(name):
    """Return the ids of the checks the checklist says fail for a practice."""
    requirements = entry(name)[2]
    return requirements.partition("failing: ")[2].split(", ") if "failing: " in requirements else []


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


def test_every_check_a_practice_names_exists():
    # A misspelt id would never fail, and mark its practice in force for ever.
    ours = set(re.findall(r'"(session_policy\.[EW]\d{3})"', CHECKS.read_text()))
    djangos = {message.id for module in (base, csrf) for message in vars(module).values() if hasattr(message, "id")}

    named = {check_id for practice in PRACTICES for check_id in practice.checks}

    assert sorted(named - ours - djangos) == []


def test_the_project_settings_put_every_practice_in_force_but_the_bindings_switched_off(settings):
    switched_off = {
        "IP binding": settings.SESSION_POLICY["IP_BINDING"] == "off",
        "User-Agent binding": not settings.SESSION_POLICY["USER_AGENT_BINDING"],
        "Device-bound sessions": not settings.SESSION_POLICY["DEVICE_BINDING"],
    }

    marks = {name: mark for name, (mark, _, _) in checklist().items() if mark != "✓"}

    assert marks == {name: "–" for name, off in switched_off.items() if off}


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
    ("setting", "value", "practice"),
    [
        ("IP_BINDING", "off", "IP binding"),
        ("USER_AGENT_BINDING", False, "User-Agent binding"),
        ("DEVICE_BINDING", False, "Device-bound sessions"),
    ],
)
def test_a_binding_switched_off_is_marked(settings, setting, value, practice):
    settings.SESSION_POLICY = {**settings.SESSION_POLICY, setting: value}

    assert entry(practice)[:2] == ("–", "off")
    assert failing(practice) == []


@pytest.mark.parametrize(
    ("setting", "practice", "shown", "check_id"),
    [
        ("ROTATION_INTERVAL", "Rotation", "every 30 d", "session_policy.E006"),
        ("IDLE_TIMEOUT", "Idle timeout", "30 d (activity recorded every 1 min)", "session_policy.E005"),
    ],
)
def test_a_timeout_the_absolute_one_always_reaches_first_is_marked(settings, setting, practice, shown, check_id):
    settings.SESSION_POLICY = {**settings.SESSION_POLICY, setting: timedelta(days=30)}

    assert entry(practice)[:2] == ("✗", shown)
    assert failing(practice) == [check_id]


def test_a_missing_proxy_count_is_marked_not_fatal(settings):
    settings.SESSION_POLICY = {**settings.SESSION_POLICY, "IP_BINDING": "subnet"}
    del settings.TRUSTED_PROXY_COUNT

    mark, value, _ = entry("IP binding")

    assert mark == "✗"
    assert value.endswith("TRUSTED_PROXY_COUNT is not set")
    assert failing("IP binding") == ["session_policy.E008"]


@pytest.mark.parametrize(
    ("seconds", "shown", "check_id"),
    [(0, "http redirected to https; no HSTS", "security.W004"), (3600, "HSTS 1 h", "session_policy.W004")],
)
def test_hsts_off_or_short_is_marked(settings, seconds, shown, check_id):
    settings.SECURE_HSTS_SECONDS = seconds

    mark, value, _ = entry("HTTPS and HSTS")
    assert (mark, shown in value) == ("✗", True)
    assert failing("HTTPS and HSTS") == [check_id]


def test_a_cookie_sent_over_plain_http_is_marked(settings):
    settings.SESSION_COOKIE_SECURE = False

    mark, value, _ = entry("Secure, HttpOnly, SameSite, prefixed cookies")
    session_cookie, csrf_cookie = value.split(" | ")
    assert mark == "✗"
    assert "; Secure;" not in session_cookie
    assert "; Secure;" in csrf_cookie
    # The __Host- prefix promises Secure too.
    assert failing("Secure, HttpOnly, SameSite, prefixed cookies") == ["session_policy.E003", "session_policy.E009"]


def test_without_the_policy_middleware_nothing_it_enforces_is_in_force(settings):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != POLICY_MIDDLEWARE]

    entries = checklist()

    for practice in ["Idle timeout", "Absolute timeout", "Rotation", "IP binding", "User-Agent binding"]:
        assert entries[practice][0] == "✗", practice
        assert entries[practice][2].endswith("failing: session_policy.E007"), practice
    assert entries["No-store on authenticated pages"][0] == "✗"


def test_csrf_middleware_missing_is_marked(settings):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if "csrf" not in name]

    assert entry("CSRF protection")[0] == "✗"
    assert failing("CSRF protection") == ["security.W003"]


def test_views_not_served_by_the_policy_are_marked(settings):
    settings.ROOT_URLCONF = __name__

    entries = checklist()

    assert {practice: entries[practice][0] for practice in POLICY_PAGES} == dict.fromkeys(POLICY_PAGES, "✗")
    assert entries["Session list and revocation"][1].startswith("unlimited concurrent sessions, listed at (no URL)")


def test_a_silenced_audit_logger_is_marked(monkeypatch):
    monkeypatch.setattr(logging.getLogger("audit"), "disabled", True)

    assert entry("Audit trail")[0] == "✗"
    assert failing("Audit trail") == ["session_policy.W003"]


def test_json_output_parses_and_carries_the_same_rows(settings):
    settings.SESSION_POLICY = {**settings.SESSION_POLICY, "IP_BINDING": "off", "ROTATION_INTERVAL": timedelta(days=30)}

    rows = json.loads(run_command("--format", "json"))

    assert [row["practice"] for row in rows] == [practice.name for practice in PRACTICES]
    by_name = {row["practice"]: row for row in rows}
    assert (by_name["IP binding"]["state"], by_name["IP binding"]["on"]) == ("switched off", False)
    assert (by_name["Rotation"]["state"], by_name["Rotation"]["failing_checks"]) == (
        "failing",
        ["session_policy.E006"],
    )
    assert by_name["Idle timeout"]["on"] is True
    assert by_name["Idle timeout"]["checks"] == ["session_policy.E005", "session_policy.E007"]
    assert by_name["Idle timeout"]["asvs_4_0_3"] == ["3.3.2"]
    assert by_name["Idle timeout"]["asvs_5_0"] == ["7.1.1", "7.3.1"]


def doc_practices():
    """Return the documentation's practice table as (practice, system checks, ASVS 4.0.3, ASVS 5.0) rows."""
    table = re.search(r"^(\| practice \|.*)\n\|[-|]+\|\n((?:\|.*\n)+)", DOC.read_text(), re.MULTILINE)
    header = [cell.strip() for cell in table.group(1).split("|")[1:-1]]
    columns = [header.index(name) for name in ("practice", "system checks", "ASVS 4.0.3", "ASVS 5.0")]
    rows = [[cell.strip() for cell in row.split("|")[1:-1]] for row in table.group(2).splitlines()]
    return [tuple(row[column] for column in columns) for row in rows]


def test_the_documentation_shows_the_practice_table():
    expected = [
        (
            practice.name,
            ", ".join(f"`{check_id}`" for check_id in practice.checks) or "— (nothing to configure)",
            ", ".join(practice.asvs_4) or (f"— ({practice.source})" if practice.source else "—"),
            ", ".join(practice.asvs_5) or "—",
        )
        for practice in PRACTICES
    ]

    assert doc_practices() == expected


def test_every_file_the_documentation_names_exists():
    named = set(re.findall(r"`([\w./-]+\.py)`", DOC.read_text()))

    assert len(named) > 20
    assert sorted(name for name in named if not (PROJECT_DIR / name).is_file()) == []


def test_the_documentation_lists_every_system_check():
    ids = set(re.findall(r'"(session_policy\.[EW]\d{3})"', CHECKS.read_text()))

    assert len(ids) >= 19
    assert sorted(check_id for check_id in ids if f"`{check_id}`" not in DOC.read_text()) == []
