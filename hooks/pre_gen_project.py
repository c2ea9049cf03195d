"""Refuse to generate a project from unsafe or inconsistent answers.

Cookiecutter checks choices and booleans typed at its prompt, but replay files
and contexts built by code reach this hook unchecked, so every answer is
checked again here. Each problem is printed on its own line to stderr and the
hook exits with status 1, which makes cookiecutter delete the project
directory it created. Cookiecutter then logs its own traceback, which no hook
can silence; so that nobody types every answer again, the hook also prints, to
stdout, a cookiecutter command that asks the questions again with every other
answer as its default.
"""

import ipaddress
import json
import keyword
import os
import re
import shlex
import sys
import zoneinfo
from collections.abc import Callable

# jsonify gives JSON text; tojson turns it into an ASCII-only JSON string
# literal that is also a valid Python string literal, whatever the answers are.
CONTEXT = json.loads({{ cookiecutter | jsonify | tojson }})  # fmt: skip

SLUG_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
SLUG_MAX_LENGTH = 50
THIRD_PARTY_MODULES = frozenset(
    {
        "allauth",
        "argon2",
        "axes",
        "django",
        "environ",
        "fido2",
        "gunicorn",
        "psycopg",
        "pytest",
        "pytest_django",
        "qrcode",
        "redis",
        "whitenoise",
    }
)
PROJECT_MODULES = frozenset(
    {
        "accounts",
        "config",
        "conftest",
        "docs",
        "manage",
        "session_policy",
        "static",
        "templates",
        "tests",
    }
)

HOSTNAME_MAX_LENGTH = 253
LABEL_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
EMAIL_LOCAL_PATTERN = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*")
EMAIL_LOCAL_MAX_LENGTH = 64
EMAIL_MAX_LENGTH = 254

# Letters, digits, '_', '+', '-' in '/'-separated parts: no dots, so no '..',
# and no leading '/', so a time zone can never name an arbitrary file.
TIME_ZONE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9][A-Za-z0-9_+-]*)*")
MACHINE_TIME_ZONES = frozenset({"localtime", "posixrules"})
# Copies of the whole database under other rules, which available_timezones() leaves out.
ALIAS_TREES = frozenset({"posix", "right"})

SESSION_ENGINES = ("cached_db", "cache", "db")
SAMESITE_VALUES = ("Lax", "Strict")
IP_BINDINGS = ("off", "subnet", "strict")
MFA_POLICIES = ("required_for_staff", "optional", "required")
SIGNUP_POLICIES = ("closed", "open")
INTEGER_PATTERN = re.compile(r"-?[0-9]+")
# Longer strings are out of every range, and int() refuses very long ones.
INTEGER_MAX_DIGITS = 6


def check_text(value: object, *, max_length: int, required: bool) -> str | None:
    """Return why value is not one line of printable text, or None."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if required and not value.strip():
        return "must not be empty"
    if "".join(value.splitlines()) != value:
        return "must fit on one line"
    if not value.isprintable():
        return "must contain only printable characters (no tabs or control characters)"
    if value != value.strip():
        return "must not start or end with spaces"
    if len(value) > max_length:
        return f"is {len(value)} characters long; use at most {max_length}"
    return None


def check_project_name(value: object) -> str | None:
    """Return why value is not a usable project name, or None."""
    return check_text(value, max_length=100, required=True)


def check_description(value: object) -> str | None:
    """Return why value is not a usable one-line description, or None."""
    return check_text(value, max_length=200, required=False)


def check_author_name(value: object) -> str | None:
    """Return why value is not a usable author name, or None."""
    return check_text(value, max_length=200, required=True)


def check_project_slug(value: object) -> str | None:
    """Return why value cannot name the project's Python package, or None."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if not SLUG_PATTERN.fullmatch(value):
        return "must start with a lowercase letter and contain only lowercase letters, digits and underscores"
    if len(value) > SLUG_MAX_LENGTH:
        return f"is {len(value)} characters long; use at most {SLUG_MAX_LENGTH}"
    if keyword.iskeyword(value):
        return "is a Python keyword; choose another lowercase identifier"
    if value in sys.stdlib_module_names:
        return f"shadows the standard library module {value!r}; choose another lowercase identifier"
    if value in THIRD_PARTY_MODULES:
        return f"shadows the Python module {value!r}; choose another lowercase identifier"
    if value in PROJECT_MODULES:
        return f"clashes with the generated project's own {value!r}; choose another lowercase identifier"
    return None


def check_hostname(value: str) -> str | None:
    """Return why value is not a lowercase DNS name of two labels or more, or None."""
    if not value:
        return "must not be empty; use a host name such as example.com"
    if "://" in value:
        return "contains a scheme; write the bare host name, e.g. example.com"
    if "/" in value:
        return "contains a path; write the bare host name, e.g. example.com"
    try:
        ipaddress.ip_address(value.removeprefix("[").removesuffix("]"))
    except ValueError:
        pass
    else:
        return "is an IP address; use a DNS host name such as example.com"
    if ":" in value:
        return "contains a port; write the host name without ':port'"
    if value.endswith("."):
        return "ends with a dot; write it without the trailing dot"
    if value != value.lower():
        return "contains uppercase letters; write it in lowercase"
    if len(value) > HOSTNAME_MAX_LENGTH:
        return f"is {len(value)} characters long; use at most {HOSTNAME_MAX_LENGTH}"
    labels = value.split(".")
    if len(labels) < 2:
        return "has a single label; use at least two, e.g. example.com"
    for label in labels:
        if not LABEL_PATTERN.fullmatch(label):
            return (
                f"has the invalid label {label!r}; labels are 1 to 63 characters "
                "of a-z, 0-9 and '-', not starting or ending with '-'"
            )
    if labels[-1].isdigit():
        return "ends with an all-digit label; use a real top-level domain"
    return None


def check_domain_name(value: object) -> str | None:
    """Return why value is not the site's host name, or None."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if value == "localhost":
        return None
    return check_hostname(value)


def check_email(value: object) -> str | None:
    """Return why value is not a plain email address, or None."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if len(value) > EMAIL_MAX_LENGTH:
        return f"is {len(value)} characters long; use at most {EMAIL_MAX_LENGTH}"
    local_part, at, domain = value.partition("@")
    if not at or "@" in domain:
        return "must be a single address of the form name@example.com"
    if len(local_part) > EMAIL_LOCAL_MAX_LENGTH or not EMAIL_LOCAL_PATTERN.fullmatch(local_part):
        return (
            "the part before '@' must be 1 to 64 letters, digits and . _ % + - "
            "(no spaces, quotes or angle brackets, no leading, trailing or double dot)"
        )
    problem = check_hostname(domain.lower())
    if problem:
        return f"the domain after '@' {problem}"
    return None


def check_time_zone(value: object) -> str | None:
    """Return why value is not an IANA time zone known to zoneinfo, or None."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if not TIME_ZONE_PATTERN.fullmatch(value):
        return "is not a time zone name; use an IANA name such as Europe/Paris"
    if value in MACHINE_TIME_ZONES:
        return "follows this machine's settings; name a zone, e.g. Europe/Paris"
    # Loading the one zone accepts exactly the names of zoneinfo.available_timezones()
    # (a file of TZif data, outside the alias trees) without reading the whole database.
    try:
        if value.partition("/")[0] in ALIAS_TREES:
            raise zoneinfo.ZoneInfoNotFoundError(value)
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory of zones
        if not zoneinfo.available_timezones():
            return "cannot be checked: no time zone database found; install tzdata"
        return "is unknown to zoneinfo; use an IANA name such as Europe/Paris"
    return None


def check_session_engine(value: object) -> str | None:
    """Return why value is not a revocable session store, or None."""
    if value == "signed_cookies":
        return (
            "signed-cookie sessions cannot be revoked server-side (a copied "
            "cookie outlives logout), so this template refuses them; "
            f"choose one of {', '.join(SESSION_ENGINES)}"
        )
    if value not in SESSION_ENGINES:
        return f"choose one of {', '.join(SESSION_ENGINES)}"
    return None


def check_integer(value: object, low: int, high: int) -> str | None:
    """Return why value is not a whole number from low to high, or None."""
    allowed = f"use a whole number from {low} to {high}"
    if isinstance(value, bool):
        return f"is a boolean; {allowed}"
    if isinstance(value, str) and INTEGER_PATTERN.fullmatch(value):
        if len(value) > INTEGER_MAX_DIGITS:
            return f"is out of range; {allowed}"
        value = int(value)
    if not isinstance(value, int):
        return f"is not a whole number written with the digits 0-9; {allowed}"
    if value < 0:
        return f"is negative; {allowed}"
    if not low <= value <= high:
        return f"is out of range; {allowed}"
    return None


def integer_check(low: int, high: int) -> Callable[[object], str | None]:
    """Return a check that value is a whole number from low to high."""

    def check(value: object) -> str | None:
        return check_integer(value, low, high)

    return check


def check_boolean(value: object) -> str | None:
    """Return why value is not a real boolean, or None."""
    if not isinstance(value, bool):
        return "must be a boolean (true or false)"
    return None


def check_samesite(value: object) -> str | None:
    """Return why value is not a safe SameSite attribute, or None."""
    if isinstance(value, str) and value.lower() == "none":
        return (
            "SameSite=None sends the cookie on cross-site requests, which "
            "cross-site request forgery relies on; choose Lax or Strict"
        )
    if value not in SAMESITE_VALUES:
        return "choose exactly Lax or Strict"
    return None


def choice_check(choices: tuple[str, ...]) -> Callable[[object], str | None]:
    """Return a check that value is exactly one of choices."""

    def check(value: object) -> str | None:
        if value not in choices:
            return f"choose one of {', '.join(choices)}"
        return None

    return check


def check_cookie_domain_syntax(value: object) -> str | None:
    """Return why value is not empty or a host name cookies can be scoped to."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if not value:
        return None
    if value.startswith("."):
        return "starts with a dot; write it without the dot, e.g. example.com"
    return check_hostname(value)


# Each variable of cookiecutter.json, with the check its value must pass.
CHECKS: dict[str, Callable[[object], str | None]] = {
    "project_name": check_project_name,
    "project_slug": check_project_slug,
    "description": check_description,
    "author_name": check_author_name,
    "email": check_email,
    "domain_name": check_domain_name,
    "time_zone": check_time_zone,
    "session_engine": check_session_engine,
    "session_idle_timeout_minutes": integer_check(1, 1440),
    "session_absolute_timeout_hours": integer_check(1, 720),
    "session_rotation_minutes": integer_check(1, 1440),
    "session_expire_at_browser_close": check_boolean,
    "session_cookie_samesite": check_samesite,
    "session_ip_binding": choice_check(IP_BINDINGS),
    "session_user_agent_binding": check_boolean,
    "device_bound_sessions": check_boolean,
    "trusted_proxy_count": integer_check(0, 10),
    "cookie_domain": check_cookie_domain_syntax,
    "mfa": choice_check(MFA_POLICIES),
    "signup": choice_check(SIGNUP_POLICIES),
}


def describe(name: str, value: object, problem: str) -> str:
    """Return the one-line report of a problem with a variable's value."""
    return f"{name}={value!r}: {problem}."


def variable_problems(context: dict[str, object]) -> dict[str, str]:
    """Return the report line of each missing or invalid variable, by name."""
    lines = {}
    for name, check in CHECKS.items():
        if name not in context:
            lines[name] = f"{name}: missing from the context; give it a value."
        elif problem := check(context[name]):
            lines[name] = describe(name, context[name], problem)
    return lines


def timeout_order_problem(context: dict[str, object], name: str) -> str | None:
    """Return a line if the timeout in minutes called name is not the shorter."""
    hours = context["session_absolute_timeout_hours"]
    if int(context[name]) < int(hours) * 60:
        return None
    return describe(
        name,
        context[name],
        f"must be shorter than session_absolute_timeout_hours={hours!r} "
        f"({int(hours) * 60} minutes); lower it or raise the absolute timeout",
    )


def cookie_domain_scope_problem(context: dict[str, object]) -> str | None:
    """Return a line if cookie_domain is neither domain_name nor a parent of it."""
    cookie_domain, domain_name = context["cookie_domain"], context["domain_name"]
    if not cookie_domain or cookie_domain == domain_name:
        return None
    if domain_name.endswith("." + cookie_domain):
        return None
    return describe(
        "cookie_domain",
        cookie_domain,
        f"is neither domain_name={domain_name!r} nor a parent domain of it; leave it empty or use one of those",
    )


def combination_problems(context: dict[str, object], valid: set[str]) -> dict[str, str]:
    """Return the line of each inconsistency between variables that are valid, by the variable to change."""
    lines = {}
    if "session_absolute_timeout_hours" in valid:
        for name in ("session_idle_timeout_minutes", "session_rotation_minutes"):
            if name in valid:
                lines[name] = timeout_order_problem(context, name)
    if {"cookie_domain", "domain_name"} <= valid:
        lines["cookie_domain"] = cookie_domain_scope_problem(context)
    return {name: line for name, line in lines.items() if line}


def find_problems(context: dict[str, object]) -> dict[str, str]:
    """Return one line per problem with the answers, by the variable to change, in a stable order."""
    invalid = variable_problems(context)
    valid = set(CHECKS) - set(invalid)
    return invalid | combination_problems(context, valid)


def command_line_value(value: object) -> str:
    """Return an answer as cookiecutter reads it back from its command line."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def regenerate_command(context: dict[str, object], problems: dict[str, str]) -> str | None:
    """Return a cookiecutter command asking the questions again, each good answer as its default.

    The answers with a problem are left out, so their questions offer the
    template's defaults again. None when the context does not say which
    template it came from (a context built by code rather than by cookiecutter).
    """
    template = context.get("_template")
    if not isinstance(template, str) or not template:
        return None
    words = ["cookiecutter", template]
    output_dir = context.get("_output_dir")
    # cookiecutter runs the hook in the project directory, but keeps the caller's PWD.
    if isinstance(output_dir, str) and os.path.realpath(os.environ.get("PWD", "")) != os.path.realpath(output_dir):
        words += ["--output-dir", output_dir]
    words += [
        f"{name}={command_line_value(context[name])}" for name in CHECKS if name in context and name not in problems
    ]
    return shlex.join(words)


def main() -> int:
    """Report every problem to stderr, and the command to try again to stdout; return the exit status."""
    problems = find_problems(CONTEXT)
    for problem in problems.values():
        print(problem, file=sys.stderr, flush=True)
    if not problems:
        return 0
    command = regenerate_command(CONTEXT, problems)
    if command:
        print("Nothing was generated. To try again, with your other answers as the defaults:", flush=True)
        print(f"  {command}", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
