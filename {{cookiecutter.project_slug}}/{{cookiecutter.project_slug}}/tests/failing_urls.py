"""A URL configuration whose only view fails, for testing the 500 page."""

from django.urls import path


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [path("", broken)]
