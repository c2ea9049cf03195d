"""Jinja filters the template renders with (registered in cookiecutter.json)."""

import json

from jinja2.ext import Extension


def quoted(value):
    """Return value as a double-quoted string literal, valid in Python, TOML and JSON alike.

    Jinja's own tojson escapes every non-ASCII character, an emoji as a pair
    of surrogates, which TOML rejects and Python decodes into a broken string.
    The hooks have refused control characters already.
    """
    return json.dumps(str(value), ensure_ascii=False)


class QuotedExtension(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["quoted"] = quoted
