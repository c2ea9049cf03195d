"""Sign-in, sign-out, password and session pages, all under /accounts/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import password_reset
from session_policy import views as policy_views

urlpatterns = [
    path("login/", policy_views.LoginView.as_view(), name="login"),
    path("logout/", policy_views.LogoutView.as_view(), name="logout"),
    path("reauthenticate/", policy_views.ReauthenticateView.as_view(), name="reauthenticate"),
    path("sessions/", policy_views.SessionListView.as_view(), name="sessions"),
    path("sessions/revoke/", policy_views.revoke_session, name="revoke_session"),
    path("sessions/revoke-others/", policy_views.revoke_other_sessions, name="revoke_other_sessions"),
    path("sessions/stay-signed-in/", policy_views.stay_signed_in, name="stay_signed_in"),
    path("device-binding/register/", policy_views.register_device, name="device_binding_register"),
    path("device-binding/refresh/", policy_views.refresh_device_binding, name="device_binding_refresh"),
    path("password/change/", policy_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", password_reset.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        policy_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
