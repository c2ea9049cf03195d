"""Pages that belong to no app."""

import sys

from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults

RETRY_AFTER_SECONDS = 30


@login_required
def home(request):
    """Show who is signed in."""
    return render(request, "home.html")


def is_outage(exception):
    """Whether the database or the cache could not be reached: down for a moment, not broken."""
    outages = (OperationalError, InterfaceError)
    # Only a process that uses Redis has imported it; importing it here would cost every worker ~20 MiB.
    if redis := sys.modules.get("redis"):
        outages += (redis.ConnectionError, redis.TimeoutError)
    return isinstance(exception, outages)


def server_error(request):
    """Answer an outage with 503 and a plain page, any other failure with Django's 500."""
    if not is_outage(sys.exception()):
        return defaults.server_error(request)
    # Rendered without the request: no context processor may touch what is down.
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
