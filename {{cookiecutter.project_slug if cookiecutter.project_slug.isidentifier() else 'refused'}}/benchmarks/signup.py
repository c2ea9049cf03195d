"""Measure whether open sign-up tells, by its timing, if an address has an account.

Run from the project directory:

    python benchmarks/signup.py [--rounds N]

Posts the sign-up form with an address that has an account and with new
ones, in alternating order, first as allauth does it alone (its sign-up form,
mail sent inside the request), then as the project does (accounts.forms.
SignupForm, mail sent once the answer is complete), and prints the median
time of each and their ratio. The deployed password hasher runs, as in
production; requests go through the project's WSGI application as a server
sends them, mail over SMTP to a server on 127.0.0.1 that this script runs,
on an in-memory SQLite database (benchmarks/password_reset.py has the parts).
"""

import argparse
import os
import statistics
import sys
from urllib.parse import urlencode

from password_reset import CSRF_FIELD, WSGIClient, prepare_environment, start_mail_server

TAKEN = "alice@example.com"
TYPED = "a long and unusual passphrase 42"  # in both password fields


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="requests per address and form (default: 10)")
    rounds = parser.parse_args().rounds
    prepare_environment(start_mail_server())
    os.environ["DJANGO_SIGNUP"] = "open"

    import django

    django.setup()
    from allauth.account.adapter import DefaultAccountAdapter
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test import override_settings

    from accounts.adapter import AccountAdapter

    class InlineMailAdapter(AccountAdapter):
        """The project's adapter, sending mail inside the request as allauth does."""

        send_mail = DefaultAccountAdapter.send_mail

    # allauth imports its adapter by dotted path: this script is __main__.
    globals()["InlineMailAdapter"] = InlineMailAdapter
    call_command("migrate", verbosity=0)
    get_user_model().objects.create_user("alice", TAKEN, "a password nobody types")
    ways = {
        "allauth alone": {
            "ACCOUNT_FORMS": {**settings.ACCOUNT_FORMS, "signup": "allauth.account.forms.SignupForm"},
            "ACCOUNT_ADAPTER": "__main__.InlineMailAdapter",
        },
        "the project's": {},
    }
    times = {(way, kind): [] for way in ways for kind in ("taken", "new")}
    storages = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    application = WSGIHandler()
    request_number = 0
    for way, overrides in ways.items():
        with override_settings(STORAGES=storages, **overrides):
            for number in range(rounds + 2):
                order = ("taken", "new") if number % 2 else ("new", "taken")
                for kind in order:
                    request_number += 1
                    # A new client address each time: allauth limits sign-ups per address.
                    ip = f"10.{request_number // 250 % 250}.{request_number % 250}.1"
                    client = WSGIClient(application, forwarded_for=ip)
                    _, form, _ = client.request("GET", "/accounts/signup/")
                    email = TAKEN if kind == "taken" else f"new{request_number}@example.com"
                    body = urlencode(
                        {
                            "email": email,
                            "password1": TYPED,
                            "password2": TYPED,
                            "csrfmiddlewaretoken": CSRF_FIELD.search(form).group(1),
                        }
                    ).encode()
                    status, _, elapsed = client.request("POST", "/accounts/signup/", body)
                    if status != 302:
                        sys.exit(f"sign-up answered {status}")
                    if number >= 2:  # the first rounds warm up
                        times[way, kind].append(elapsed * 1000)

    print(f"Open sign-up timing, {rounds} requests per address kind and form, deployed hasher, SMTP on 127.0.0.1")
    print(f"  {'ms per request (median)':<28}{'taken':>10}{'new':>10}{'ratio':>8}")
    for way in ways:
        taken, new = (statistics.median(times[way, kind]) for kind in ("taken", "new"))
        print(f"  {way:<28}{taken:>10.1f}{new:>10.1f}{taken / new:>8.2f}")


if __name__ == "__main__":
    main()
