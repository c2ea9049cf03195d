"""A URL configuration whose views fail, for testing the 500 and 503 pages."""

from django.db import OperationalError
from django.urls import path

from {{ cookiecutter.project_slug }}.urls import handler500  # noqa: F401  (the project's own error handler)


def broken(request):
    raise RuntimeError("a bug")


def database_down(request):
    raise OperationalError("connection refused")


urlpatterns = [path("", broken), path("outage/", database_down)]
