"""Pages that belong to no app."""

import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.exceptions import SessionInterrupted
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


def bad_request(request, exception):
    """Answer 400 in the site's style, and say what happened when the session changed under the request.

    SessionInterrupted: a request that finished first (the other click of a
    button pressed twice, a sign-in or sign-out in another tab) ended this
    request's session or gave it a new key, so its answer could not be kept.
    """
    template = "session_changed.html" if isinstance(exception, SessionInterrupted) else "400.html"
    return HttpResponse(loader.get_template(template).render({"site_title": settings.SITE_NAME}), status=400)


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
