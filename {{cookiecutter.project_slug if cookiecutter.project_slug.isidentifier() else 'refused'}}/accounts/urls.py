"""Sign-in, sign-out and password pages, under /accounts/ beside session_policy.urls and allauth.urls.

The paths are allauth's: these views answer them before allauth's own would.
"""

from allauth.account import views as allauth_views
from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import email, password_reset, second_factor
from session_policy import views as policy_views

urlpatterns = [
    path("login/", allauth_views.LoginView.as_view(), name="login"),
    path("2fa/authenticate/", second_factor.authenticate, name="mfa_authenticate"),
    path("email/", email.EmailView.as_view(), name="account_email"),
    path("logout/", policy_views.LogoutView.as_view(), name="logout"),
    path("signed-out/", allauth_views.LoginView.as_view(extra_context={"signed_out": True}), name="signed_out"),
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
