"""Jinja filters the template renders with (registered in cookiecutter.json)."""

import json

from jinja2.ext import Extension


def quoted(value, language="json"):
    """Return value as a string literal, double-quoted and valid in Python, TOML and JSON alike.

    Jinja's own tojson escapes every non-ASCII character, an emoji as a pair
    of surrogates, which TOML rejects and Python decodes into a broken string.
    The hooks have refused control characters already. quoted("python") picks
    the quotes as ruff format does, single ones for text with more double
    quotes than single, so that the project's own format check passes.
    """
    text = str(value)
    if language == "python" and text.count('"') > text.count("'"):
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return json.dumps(text, ensure_ascii=False)


def counted(value, unit):
    """Return a count with its unit, singular for one: counted(1, "minute") is "1 minute"."""
    count = int(value)
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


class QuotedExtension(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["quoted"] = quoted
        environment.filters["counted"] = counted
