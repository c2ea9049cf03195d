"""URL configuration."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from {{ cookiecutter.project_slug }} import views

admin.site.site_header = admin.site.site_title = settings.SITE_NAME
# The admin signs in through the site's sign-in, second factor included.
admin.site.login = secure_admin_login(admin.site.login)

# A session ended by a parallel request gets its own 400 page.
handler400 = "{{ cookiecutter.project_slug }}.views.bad_request"
# An outage of the database or cache gets a 503 page rather than a 500.
handler500 = "{{ cookiecutter.project_slug }}.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("session_policy.urls")),
    # allauth's pages the two above do not serve themselves: second factors, sign-up, e-mail.
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("health/", include("{{ cookiecutter.project_slug }}.health")),
]
