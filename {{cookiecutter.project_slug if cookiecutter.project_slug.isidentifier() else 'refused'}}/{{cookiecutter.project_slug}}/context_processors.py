"""Values every template needs."""

from django.conf import settings


def site_title(request):
    """Expose the site's name, and who must have a second factor, to templates.

    Not as site_name: Django's sign-in and password views set that to the host.
    """
    return {"site_title": settings.SITE_NAME, "second_factor_policy": settings.SECOND_FACTOR}
