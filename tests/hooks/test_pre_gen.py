"""The pre-generation hook refuses unsafe or inconsistent answers, and bakes every good one."""

import json
import shlex
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.generate import generate_files

from tests.support.commands import run, tool
from tests.support.template import DEFAULTS, TEMPLATE_DIR, default_answers, load_rendered_hook

MISSING = object()
HOSTILE_NAME = 'O\'Brien "Co" \'\'\'x\'\'\' """y""" back\\slash \\n é 中文 😀'


def template_variables() -> set[str]:
    """Return the names of the variables a user answers."""
    return {name for name in DEFAULTS if not name.startswith("_")}


def generate(output_dir: Path, answers: dict) -> Path:
    """Generate the project from a context built by code, as a replay would."""
    context = {"cookiecutter": answers}
    return Path(generate_files(str(TEMPLATE_DIR), context, output_dir=str(output_dir)))


def edited_replay(bake, tmp_path: Path, **answers) -> Path:
    """Bake the defaults, then return a copy of cookiecutter's replay file with answers changed."""
    bake(tmp_path / "first")
    [replay] = (tmp_path / "replay").glob("*.json")
    context = json.loads(replay.read_text())
    context["cookiecutter"].update(answers)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(context))
    return edited


def test_replay_with_integer_answers_bakes(bake, tmp_path):
    replay = edited_replay(bake, tmp_path, session_idle_timeout_minutes=30, trusted_proxy_count=0)

    project = bake(tmp_path / "second", replay=str(replay))

    assert (project / ".env").is_file()


def test_hook_refuses_replayed_signed_cookies(bake, tmp_path, capfd):
    replay = edited_replay(bake, tmp_path, session_engine="signed_cookies")
    output_dir = tmp_path / "second"
    output_dir.mkdir()
    capfd.readouterr()

    with pytest.raises(FailedHookException):
        bake(output_dir, replay=str(replay))

    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("session_engine='signed_cookies': ")
    assert "cannot be revoked server-side" in lines[0]
    assert "outlives logout" in lines[0]
    assert list(output_dir.iterdir()) == []


def test_cookiecutter_refuses_signed_cookies_choice(bake, output_dir, tmp_path):
    with pytest.raises(ValueError, match="signed_cookies"):
        bake(output_dir, extra_context={"session_engine": "signed_cookies"})

    assert list(output_dir.iterdir()) == []
    assert not (tmp_path / "replay").exists()


def test_hostile_valid_answers_bake(bake, output_dir, capfd):
    extra_context = {
        "project_name": HOSTILE_NAME,
        "project_slug": "hostile",
        "description": "Say \"hi\" & <b>'bye'</b> \\ C:\\path ''' \"\"\" ✓",
        "author_name": 'Zoë "Z" O\'Neil \\ 😀',
    }

    project = bake(output_dir, extra_context=extra_context)

    assert project == output_dir / "hostile"
    assert capfd.readouterr().err == ""


def test_the_rendered_hook_reads_the_exact_context(tmp_path):
    answers = default_answers() | {
        "project_name": HOSTILE_NAME,
        "description": "{{ cookiecutter.email }} {% raw %} </script> \x00 \n\r\t",
        "author_name": "\ud83d lone surrogate, \u2028 and \U0001f600",
        "trusted_proxy_count": 3,
        "cookie_domain": None,
    }

    module = load_rendered_hook("pre_gen_project.py", answers, tmp_path)

    assert (tmp_path / "pre_gen_project.py").read_text(encoding="utf-8").isascii()
    assert module["CONTEXT"] == answers


def test_every_variable_is_checked(tmp_path):
    module = load_rendered_hook("pre_gen_project.py", default_answers(), tmp_path)

    assert set(module["CHECKS"]) == template_variables()


def bad(name, value, case_id, *, says="", **other_answers):
    """Return a case: the answer, what its report line says, other answers."""
    return pytest.param(name, value, says, other_answers, id=case_id)


BAD_ANSWERS = [
    bad("project_name", "", "name-empty", says="must not be empty"),
    bad("project_name", "   ", "name-blank", says="must not be empty"),
    bad("project_name", "Two\nlines", "name-newline", says="one line"),
    bad("project_name", HOSTILE_NAME + "\n", "name-hostile-multiline", says="one line"),
    bad("project_name", "x" * 101, "name-too-long", says="at most 100"),
    bad("project_name", "Tea Shop ", "name-trailing-space", says="spaces"),
    bad("description", " A shop", "description-leading-space", says="spaces"),
    bad("author_name", "Tea Team ", "author-trailing-space", says="spaces"),
    bad("project_name", "Bell\x07", "name-control-char", says="printable"),
    bad("project_name", "Zero\u200bwidth", "name-unprintable", says="printable"),
    bad("project_name", 42, "name-not-string"),
    bad("project_slug", "django", "slug-django", says="shadows the Python module 'django'"),
    bad("project_slug", "whitenoise", "slug-third-party", says="shadows the Python module"),
    bad("project_slug", "accounts", "slug-project-app", says="clashes with"),
    bad("project_slug", "config", "slug-project-config", says="clashes with"),
    bad("project_slug", "json", "slug-stdlib", says="standard library"),
    bad("project_slug", "class", "slug-keyword", says="keyword"),
    bad("project_slug", "Django", "slug-uppercase"),
    bad("project_slug", "my-project", "slug-hyphen"),
    bad("project_slug", "1project", "slug-leading-digit"),
    bad("project_slug", "_private", "slug-leading-underscore"),
    bad("project_slug", "my project", "slug-space"),
    bad("project_slug", "café", "slug-non-ascii"),
    bad("project_slug", "a" * 51, "slug-too-long", says="at most 50"),
    bad("description", "One\ntwo", "description-newline"),
    bad("description", "Tab\there", "description-tab"),
    bad("description", "d" * 201, "description-too-long", says="at most 200"),
    bad("author_name", "", "author-empty", says="must not be empty"),
    bad("author_name", "Name\r", "author-carriage-return"),
    bad("author_name", "a" * 201, "author-too-long"),
    bad("email", "not-an-email", "email-no-at"),
    bad("email", "a b@example.com", "email-space"),
    bad("email", '"quoted"@example.com', "email-quotes"),
    bad("email", "<you@example.com>", "email-angle-brackets"),
    bad("email", "you@@example.com", "email-two-ats"),
    bad("email", ".you@example.com", "email-leading-dot"),
    bad("email", "you@localhost", "email-single-label-domain", says="single label"),
    bad("email", "you@example..com", "email-empty-label"),
    bad("email", "you@-example.com", "email-hyphen-label"),
    bad("domain_name", "", "domain-empty"),
    bad("domain_name", "Example.com", "domain-uppercase", says="lowercase"),
    bad("domain_name", "example.com.", "domain-trailing-dot", says="trailing dot"),
    bad("domain_name", "192.168.0.1", "domain-ipv4", says="IP address"),
    bad("domain_name", "[::1]", "domain-ipv6", says="IP address"),
    bad("domain_name", "example.com:8000", "domain-port", says="port"),
    bad("domain_name", "https://example.com", "domain-scheme", says="scheme"),
    bad("domain_name", "example.com/app", "domain-path", says="path"),
    bad("domain_name", "com", "domain-single-label", says="single label"),
    bad("domain_name", "-bad.example.com", "domain-leading-hyphen"),
    bad("domain_name", "bad-.example.com", "domain-trailing-hyphen"),
    bad("domain_name", "exa_mple.com", "domain-underscore"),
    bad("domain_name", "*.example.com", "domain-wildcard"),
    bad("domain_name", "a" * 64 + ".com", "domain-label-too-long"),
    bad("domain_name", ("a" * 63 + ".") * 4 + "com", "domain-too-long", says="at most 253"),
    bad("domain_name", "example.123", "domain-numeric-tld"),
    bad("domain_name", "LOCALHOST", "domain-localhost-uppercase"),
    bad("time_zone", "Mars/Olympus_Mons", "tz-unknown", says="unknown to zoneinfo"),
    bad("time_zone", "Europe", "tz-directory", says="unknown to zoneinfo"),
    bad("time_zone", "posix/Europe/Paris", "tz-alias-tree", says="unknown to zoneinfo"),
    bad("time_zone", "leapseconds", "tz-not-zone-data", says="unknown to zoneinfo"),
    bad("time_zone", "utc", "tz-wrong-case"),
    bad("time_zone", "../../../etc/passwd", "tz-relative-path", says="not a time zone name"),
    bad(
        "time_zone",
        "/usr/share/zoneinfo/UTC",
        "tz-absolute-path",
        says="not a time zone name",
    ),
    bad("time_zone", "Europe/../UTC", "tz-dot-dot", says="not a time zone name"),
    bad("time_zone", "localtime", "tz-machine-local"),
    bad("time_zone", "", "tz-empty"),
    bad("time_zone", MISSING, "tz-missing"),
    bad(
        "session_engine",
        "signed_cookies",
        "engine-signed-cookies",
        says="cannot be revoked server-side",
    ),
    bad("session_engine", "file", "engine-file"),
    bad("session_engine", None, "engine-none"),
    bad("session_engine", MISSING, "engine-missing"),
    bad("session_idle_timeout_minutes", "0", "idle-zero"),
    bad("session_idle_timeout_minutes", "1441", "idle-too-high"),
    bad("session_idle_timeout_minutes", 1441, "idle-int-too-high"),
    bad("session_idle_timeout_minutes", "-1", "idle-negative", says="negative"),
    bad("session_idle_timeout_minutes", " 30", "idle-leading-space"),
    bad("session_idle_timeout_minutes", "1e3", "idle-exponent"),
    bad("session_idle_timeout_minutes", "30.0", "idle-decimal-string"),
    bad("session_idle_timeout_minutes", 30.0, "idle-float"),
    bad("session_idle_timeout_minutes", True, "idle-bool", says="boolean"),
    bad("session_idle_timeout_minutes", "٣٠", "idle-non-ascii-digits"),
    bad("session_idle_timeout_minutes", "", "idle-empty"),
    bad(
        "session_idle_timeout_minutes",
        "720",
        "idle-not-shorter-than-absolute",
        says="session_absolute_timeout_hours='12'",
    ),
    bad("session_absolute_timeout_hours", "0", "absolute-zero"),
    bad("session_absolute_timeout_hours", "721", "absolute-too-high"),
    bad("session_absolute_timeout_hours", "1" * 5000, "absolute-huge", says="out of range"),
    bad("session_rotation_minutes", "0", "rotation-zero"),
    bad("session_rotation_minutes", "1441", "rotation-too-high"),
    bad(
        "session_rotation_minutes",
        "720",
        "rotation-not-shorter-than-absolute",
        says="session_absolute_timeout_hours='12'",
    ),
    bad(
        "session_rotation_minutes",
        60,
        "rotation-not-shorter-than-one-hour",
        says="session_absolute_timeout_hours=1 ",
        session_absolute_timeout_hours=1,
        session_idle_timeout_minutes=30,
    ),
    bad("trusted_proxy_count", -1, "proxies-negative-int", says="negative"),
    bad("trusted_proxy_count", "-1", "proxies-negative-string", says="negative"),
    bad("trusted_proxy_count", "11", "proxies-too-many"),
    bad("trusted_proxy_count", False, "proxies-bool", says="boolean"),
    bad("session_expire_at_browser_close", "yes", "expire-string"),
    bad("session_expire_at_browser_close", 1, "expire-int"),
    bad("session_expire_at_browser_close", None, "expire-none"),
    bad("session_user_agent_binding", "false", "user-agent-string"),
    bad("device_bound_sessions", "true", "device-bound-string"),
    bad("device_bound_sessions", 0, "device-bound-int"),
    bad("session_cookie_samesite", "None", "samesite-none", says="cross-site requests"),
    bad("session_cookie_samesite", "lax", "samesite-lowercase"),
    bad("session_cookie_samesite", "Strict ", "samesite-trailing-space"),
    bad("session_ip_binding", "loose", "ip-binding-unknown"),
    bad("session_ip_binding", "Subnet", "ip-binding-case"),
    bad("session_ip_binding", False, "ip-binding-bool"),
    bad("mfa", "always", "mfa-unknown", says="choose one of required_for_staff, optional, required"),
    bad("mfa", "Required", "mfa-case"),
    bad("mfa", True, "mfa-bool"),
    bad("signup", "invite", "signup-unknown", says="choose one of closed, open"),
    bad("signup", "Open", "signup-case"),
    bad("signup", None, "signup-none"),
    bad("cookie_domain", ".example.com", "cookie-domain-leading-dot", says="without the dot"),
    bad("cookie_domain", "com", "cookie-domain-single-label", says="single label"),
    bad("cookie_domain", "other.com", "cookie-domain-unrelated", says="parent"),
    bad("cookie_domain", "www.example.com", "cookie-domain-child"),
    bad("cookie_domain", "Example.com", "cookie-domain-uppercase"),
    bad("cookie_domain", "ample.com", "cookie-domain-suffix-not-parent"),
    bad(
        "cookie_domain",
        "other.example.com",
        "cookie-domain-sibling",
        says="domain_name='app.example.com'",
        domain_name="app.example.com",
    ),
    bad("cookie_domain", "localhost", "cookie-domain-localhost", domain_name="localhost"),
    bad("cookie_domain", None, "cookie-domain-none"),
]


@pytest.mark.parametrize(("name", "value", "says", "other_answers"), BAD_ANSWERS)
def test_bad_answer_is_refused(name, value, says, other_answers, output_dir, capfd):
    answers = default_answers() | other_answers
    if value is MISSING:
        del answers[name]
        expected = f"{name}: missing"
    else:
        answers[name] = value
        expected = f"{name}={value!r}: "

    with pytest.raises(FailedHookException):
        generate(output_dir, answers)

    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(expected)
    assert says in lines[0]
    assert list(output_dir.iterdir()) == []


@pytest.mark.parametrize("slug", ["../escape", "a/b", "..", ".", "ABSOLUTE"])
def test_a_slug_that_is_a_path_writes_nothing_anywhere(slug, tmp_path, bake):
    # Cookiecutter creates the project directory before the hook can refuse:
    # the template directory renders any non-identifier slug as "refused".
    outside = tmp_path / "outside"
    output_dir = outside / "output"
    output_dir.mkdir(parents=True)
    slug = str(outside / "absolute") if slug == "ABSOLUTE" else slug

    with pytest.raises(FailedHookException):
        bake(output_dir, extra_context={"project_slug": slug})

    assert [path.relative_to(outside) for path in outside.rglob("*")] == [Path("output")]


def test_every_variable_has_a_bad_answer():
    tested = {case.values[0] for case in BAD_ANSWERS}

    assert tested == template_variables()


def test_several_problems_are_reported_together(output_dir, capfd):
    answers = default_answers() | {
        "project_slug": "django",
        "email": "nobody",
        "session_cookie_samesite": "None",
        "trusted_proxy_count": "-1",
        "session_rotation_minutes": "720",
    }

    with pytest.raises(FailedHookException):
        generate(output_dir, answers)

    lines = capfd.readouterr().err.splitlines()
    assert [line.partition("=")[0] for line in lines] == [
        "project_slug",
        "email",
        "session_cookie_samesite",
        "trusted_proxy_count",
        "session_rotation_minutes",
    ]
    assert list(output_dir.iterdir()) == []


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({"project_name": "x" * 100, "author_name": "a" * 200}, id="max-text"),
        pytest.param({"description": ""}, id="empty-description"),
        pytest.param({"project_slug": "a" * 50}, id="max-slug"),
        pytest.param({"project_slug": "shop_2"}, id="slug-digit-underscore"),
        pytest.param({"email": "first.last+tag@mail.example.co.uk"}, id="email"),
        pytest.param({"email": "Ops@Example.COM"}, id="email-domain-case"),
        pytest.param({"domain_name": "localhost"}, id="localhost"),
        pytest.param({"domain_name": "xn--bcher-kva.example"}, id="punycode"),
        pytest.param({"domain_name": "a" * 63 + ".example.com"}, id="max-label"),
        pytest.param({"time_zone": "America/Argentina/Buenos_Aires"}, id="tz-deep"),
        pytest.param({"time_zone": "Etc/GMT+5"}, id="tz-plus"),
        pytest.param(
            {"domain_name": "app.example.com", "cookie_domain": "example.com"},
            id="cookie-domain-parent",
        ),
        pytest.param(
            {"domain_name": "app.example.com", "cookie_domain": "app.example.com"},
            id="cookie-domain-same",
        ),
        pytest.param(
            {
                "session_idle_timeout_minutes": "1",
                "session_absolute_timeout_hours": "720",
                "session_rotation_minutes": "1440",
                "trusted_proxy_count": "10",
            },
            id="max-and-min-numbers",
        ),
        pytest.param(
            {
                "session_idle_timeout_minutes": 59,
                "session_absolute_timeout_hours": 1,
                "session_rotation_minutes": 1,
                "trusted_proxy_count": 0,
            },
            id="integer-numbers",
        ),
        pytest.param(
            {
                "session_engine": "db",
                "session_cookie_samesite": "Strict",
                "session_ip_binding": "strict",
                "session_expire_at_browser_close": False,
                "session_user_agent_binding": False,
                "device_bound_sessions": False,
            },
            id="other-choices",
        ),
        pytest.param({"project_name": "{{ cookiecutter.email }}"}, id="jinja-is-data"),
    ],
)
def test_good_answers_bake(answers, output_dir, capfd):
    project = generate(output_dir, default_answers() | answers)

    assert (project / ".env").is_file()
    assert capfd.readouterr().err == ""


def test_a_refusal_prints_a_command_that_keeps_the_other_answers(tmp_path, config_file):
    cookiecutter_cli = [tool("cookiecutter"), "--no-input", "--config-file", str(config_file)]
    answers = ["project_name=Tea Room", "session_expire_at_browser_close=no", "email=nobody", "trusted_proxy_count=11"]

    refused = run([*cookiecutter_cli, str(TEMPLATE_DIR), *answers], cwd=tmp_path, check=False)

    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "email='nobody': must be a single address of the form name@example.com.\n"
        "trusted_proxy_count='11': is out of range; use a whole number from 0 to 10.\n"
    )
    # Cookiecutter's own report of the failed hook follows.
    lines = refused.stdout.splitlines()
    assert lines[0].startswith("Nothing was generated.")
    command = lines[1]
    words = shlex.split(command)
    assert words[:2] == ["cookiecutter", str(TEMPLATE_DIR)]
    assert "project_name=Tea Room" in words
    assert not [word for word in words if word.startswith(("email=", "trusted_proxy_count="))]

    run([*cookiecutter_cli, *words[1:]], cwd=tmp_path)

    env_example = (tmp_path / "tea_room" / ".env.example").read_text()
    assert "# DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE=false" in env_example
    assert "# DJANGO_TRUSTED_PROXY_COUNT=1" in env_example
