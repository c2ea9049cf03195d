"""Pages that belong to no app."""

import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader

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
    """Answer an outage with 503, any other failure with 500: plain pages in the site's style.

    Rendered without the request, as Django renders its 500 page: no context
    processor may touch what is down. The site's name is a setting.
    """
    context = {"site_title": settings.SITE_NAME}
    if not is_outage(sys.exception()):
        return HttpResponse(loader.get_template("500.html").render(context), status=500)
    response = HttpResponse(loader.get_template("503.html").render(context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
