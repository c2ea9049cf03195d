"""The session pages, re-authentication and device binding; the project serves them under /accounts/."""

from django.urls import path

from session_policy import views

urlpatterns = [
    path("reauthenticate/", views.ReauthenticateView.as_view(), name="reauthenticate"),
    path("sessions/", views.SessionListView.as_view(), name="sessions"),
    path("sessions/revoke/", views.revoke_session, name="revoke_session"),
    path("sessions/revoke-others/", views.revoke_other_sessions, name="revoke_other_sessions"),
    path("sessions/stay-signed-in/", views.stay_signed_in, name="stay_signed_in"),
    path("device-binding/register/", views.register_device, name="device_binding_register"),
    path("device-binding/refresh/", views.refresh_device_binding, name="device_binding_refresh"),
]
