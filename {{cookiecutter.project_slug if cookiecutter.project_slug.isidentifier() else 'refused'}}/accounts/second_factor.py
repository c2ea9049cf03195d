"""What counts as a second factor, and the sign-in step that asks for one.

A second factor is an authenticator app (TOTP) or a passkey. Recovery codes
stand in for one when it is lost, so they never count as a factor of their
own: a user who must have a factor (accounts.middleware) and has only
recovery codes is sent to set one up. But whoever holds any authenticator,
recovery codes alone included, is asked for it at every sign-in: allauth asks
only users with a TOTP or a passkey, so a user whose last real factor an
administrator deleted would otherwise sign in with the password alone.
"""

from allauth.account.internal.decorators import login_stage_required
from allauth.mfa.base import views as mfa_views
from allauth.mfa.models import Authenticator
from allauth.mfa.stages import AuthenticateStage as AllauthAuthenticateStage
from allauth.mfa.utils import is_mfa_enabled
from allauth.mfa.webauthn.internal.flows import did_use_passwordless_login
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator

# The factors that count on their own.
REAL_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def has_second_factor(user):
    """Whether the user has a real second factor (one query)."""
    return is_mfa_enabled(user, REAL_FACTORS)


def has_any_authenticator(user):
    """Whether the user has any authenticator, recovery codes included (one query)."""
    return is_mfa_enabled(user)


class AuthenticateStage(AllauthAuthenticateStage):
    """allauth's second-factor step of sign-in, for every user with any authenticator.

    Trusted browsers stay off (MFA_TRUST_ENABLED is False): every sign-in asks.
    """

    def _should_handle(self, request):
        user = self.login.user
        return user is not None and has_any_authenticator(user) and not did_use_passwordless_login(request, user)


@method_decorator(
    login_stage_required(stage=AuthenticateStage.key, redirect_urlname="account_login"),
    name="dispatch",
)
class AuthenticateView(mfa_views.AuthenticateView):
    """allauth's second-factor page, which a recovery code alone can pass too."""

    def dispatch(self, request, *args, **kwargs):
        self.stage = request._login_stage
        if not has_any_authenticator(self.stage.login.user):
            return HttpResponseRedirect(reverse("account_login"))
        self.form = self._build_forms()
        # Past allauth's own dispatch, which sends users without TOTP or passkey back to sign-in.
        return super(mfa_views.AuthenticateView, self).dispatch(request, *args, **kwargs)


authenticate = AuthenticateView.as_view()
