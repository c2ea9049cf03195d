"""Pages that belong to no app."""

import sys

import redis
from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults

# A database or cache that cannot be reached: the site is down for a moment,
# not broken, and says so.
OUTAGES = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError)
RETRY_AFTER_SECONDS = 30


@login_required
def home(request):
    """Show who is signed in."""
    return render(request, "home.html")


def server_error(request):
    """Answer an outage with 503 and a plain page, any other failure with Django's 500."""
    if not isinstance(sys.exception(), OUTAGES):
        return defaults.server_error(request)
    # Rendered without the request: no context processor may touch what is down.
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
