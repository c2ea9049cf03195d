"""A URL configuration whose views fail, for testing the 400, 500 and 503 pages."""

from django.db import OperationalError
from django.http import HttpResponse
from django.urls import path

from {{ cookiecutter.project_slug }}.urls import handler400, handler500  # noqa: F401  (the project's own handlers)


def broken(request):
    raise RuntimeError("a bug")


def database_down(request):
    raise OperationalError("connection refused")


def ended_meanwhile(request):
    """Change the session after another request has ended it, as a parallel sign-out or sign-in does."""
    type(request.session)(request.session.session_key).delete()
    request.session["seen"] = True
    return HttpResponse("kept")


urlpatterns = [path("", broken), path("outage/", database_down), path("ended-meanwhile/", ended_meanwhile)]
