"""Values every template needs."""

from django.conf import settings


def site_name(request):
    """Expose the site's name to templates."""
    return {"site_name": settings.SITE_NAME}
