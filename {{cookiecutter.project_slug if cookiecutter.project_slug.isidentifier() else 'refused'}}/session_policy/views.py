"""Pages the policy adds: sign-out, re-authentication, sessions, password changes."""

import re

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import Http404, JsonResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from session_policy import audit, clock, device_binding, registry, rotation, state, timeouts
from session_policy.devices import describe_device
from session_policy.models import UserSession
from session_policy.reauthentication import SensitiveViewMixin, record_reauthentication, sensitive

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'
# What models.new_public_id() makes: anything else names no session.
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{22}")


class LogoutView(auth_views.LogoutView):
    """Sign out, and have the browser drop everything the site left behind."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response


class PasswordForm(AuthenticationForm):
    """The sign-in form with the username fixed to the signed-in user's."""

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        del self.fields["username"]

    def clean(self):
        self.cleaned_data["username"] = self.request.user.get_username()
        return super().clean()


class ReauthenticateView(LoginRequiredMixin, FormView):
    """Check the password again, or send a user with a second factor to allauth's page for it.

    Either rotates the key and opens the sensitive window: here, or through
    session_policy.receivers after allauth's page.
    """

    form_class = PasswordForm
    template_name = "session_policy/reauthenticate.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            methods = get_adapter(request).get_reauthentication_methods(request.user)
            if methods and methods[0]["id"] != "reauthenticate":
                return redirect(f"{methods[0]['url']}?{urlencode({'next': self.get_success_url()})}")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        if not record_reauthentication(self.request, method="password"):
            return rotation.retry(self.request)
        return redirect(self.get_success_url())

    def get_success_url(self):
        target = self.request.POST.get("next") or self.request.GET.get("next", "")
        safe = url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        )
        return target if safe else "/"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "next": self.request.GET.get("next", "")}


class SessionListView(SensitiveViewMixin, TemplateView):
    """List the user's signed-in sessions, with a way to end each."""

    template_name = "session_policy/sessions.html"

    def get_context_data(self, **kwargs):
        current = self.request.session.session_key
        sessions = [
            {
                "public_id": user_session.public_id,
                "device": describe_device(user_session.user_agent),
                "ip": user_session.ip,
                "signed_in_at": user_session.signed_in_at,
                "last_activity": user_session.last_activity,
                "is_current": user_session.session_key == current,
            }
            for user_session in registry.active_sessions(self.request.user)
        ]
        return {**super().get_context_data(**kwargs), "sessions": sessions}


@require_POST
def stay_signed_in(request):
    """Answer the idle-timeout warning's "Stay signed in" button with the time now left.

    The request itself is the activity: the middleware has recorded it, at
    most once per activity window, as it does for every request.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    return JsonResponse({"signed_in": True, "seconds_left": timeouts.seconds_left(state.get(request), clock.now())})


@require_POST
@sensitive
def revoke_session(request):
    """End one of the user's other sessions, named by its public id."""
    public_id = request.POST.get("session", "")
    if not PUBLIC_ID.fullmatch(public_id):
        raise Http404("No such session.")
    user_session = get_object_or_404(UserSession, public_id=public_id, user=request.user)
    if user_session.session_key == request.session.session_key:
        messages.error(request, "To end this session, sign out.")
    else:
        registry.revoke([user_session], reason="revoked_by_user", request=request)
        messages.success(request, "The session was ended.")
    return redirect("sessions")


@require_POST
@sensitive
def revoke_other_sessions(request):
    ended = registry.revoke_all(
        request.user, keep=request.session.session_key, reason="revoked_by_user", request=request
    )
    messages.success(request, f"Signed out everywhere else ({ended} session{'s' if ended != 1 else ''}).")
    return redirect("sessions")


class PasswordChangeView(SensitiveViewMixin, auth_views.PasswordChangeView):
    """Change the password: the current session gets a new key, every other one ends."""

    @transaction.atomic  # the new password and the ended sessions land together
    def form_valid(self, form):
        old_key = self.request.session.session_key
        response = super().form_valid(form)  # update_session_auth_hash() gives the session a new key
        if rotation.adopt_new_key(self.request, old_key):
            state.update(self.request, rotated=clock.now())
            rotate_token(self.request)
        registry.revoke_all(
            self.request.user, keep=self.request.session.session_key, reason="password_changed", request=self.request
        )
        audit.record("password_change", self.request)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from a reset link: every session of the account ends."""

    @transaction.atomic  # the new password and the ended sessions land together
    def form_valid(self, form):
        response = super().form_valid(form)
        registry.revoke_all(form.user, reason="password_reset", request=self.request)
        audit.record("password_reset", self.request, user=form.user)
        return response


# The browser posts these by itself, with no form and so no CSRF token: the
# signed challenge is the proof, and SameSite keeps other sites' posts anonymous.
@csrf_exempt
@require_POST
def register_device(request):
    """Bind the session to the browser's device key (device_binding.py)."""
    return device_binding.register(request)


@csrf_exempt
@require_POST
def refresh_device_binding(request):
    """Renew the bound cookie for a proof of the device key (device_binding.py)."""
    return device_binding.refresh(request)
