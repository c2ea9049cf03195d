"""Hook the policy into Django's and allauth's authentication events, whichever view caused them."""

from allauth.account.signals import authentication_step_completed
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from axes.handlers.proxy import AxesProxyHandler
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model, user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from session_policy import audit, device_binding, factors, registry, rotation, state
from session_policy.backends import is_issued_key
from session_policy.reauthentication import record_reauthentication

User = get_user_model()


@receiver(user_logged_in)
def start_policy_on_sign_in(sender, request, user, **kwargs):
    """Give every sign-in a new key, then record and index the session.

    login() keeps the key when the same user signs in again, and leaves none
    at all after flushing another user's session: cycle it in both cases, so
    a planted or stolen key never survives a sign-in. The key the browser
    came with is dead either way, so its index entry goes too.
    """
    previous_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    previous_key = previous_key if is_issued_key(previous_key) else None
    if request.session.session_key in (None, previous_key):
        request.session.cycle_key()
    if previous_key:
        registry.forget(previous_key)
    state.start(request, index=registry.register(request, user).pk)
    device_binding.offer(request)
    audit.record("login", request, user=user)


@receiver(authentication_step_completed)
def start_window_on_reauthentication(sender, request, method, user, reauthenticated=False, **kwargs):
    """Rotate the key and open the sensitive window after every allauth re-authentication.

    allauth records a re-authentication by password, code, TOTP, recovery
    code or passkey, but never gives the session a new key.
    """
    if not reauthenticated or request.user.pk != user.pk:
        return
    # "password", or the second factor's type: totp, recovery_codes, webauthn.
    if not record_reauthentication(request, method=kwargs.get("type", method)):
        raise ImmediateHttpResponse(rotation.retry(request))


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    username = str(credentials.get(User.USERNAME_FIELD, ""))[:150]
    audit.record("login_failed", request, reason="bad_credentials", username=username)


@receiver(user_locked_out)
def record_lockout(sender, request, username, ip_address, **kwargs):
    audit.record("lockout", request, reason="too_many_failures", username=str(username)[:150])


@receiver(mfa_signals.authentication_failed)
def count_failed_code(sender, request, user, authenticator, reauthentication=False, **kwargs):
    """Count a wrong second-factor code toward django-axes' lockout, as a wrong password is."""
    audit.record("mfa_failed", request, user=user, factor=authenticator.type, reauthentication=reauthentication)
    AxesProxyHandler.user_login_failed(sender, {"username": user.get_username()}, request)


@receiver(mfa_signals.authenticator_used)
def record_recovery_code(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        audit.record("recovery_code_used", request, user=user)


@receiver(factors.factor_changed, dispatch_uid="session_policy.factor_changed")
def end_other_sessions_on_factor_change(sender, user, factor, event, **kwargs):
    """A factor added, moved, rewritten or removed ends every other session of its user (ASVS 5.0 7.4.3).

    factors.py sends it for every ORM path (allauth's views, the admin, a
    shell, bulk writes); renewing recovery codes is a removal and an add.
    The session that made the change is kept when it is the user's own.
    """
    request = context.request
    own = request is not None and getattr(request, "user", None) is not None and request.user.pk == user.pk
    keep = request.session.session_key if own else None
    audit.record(event, request, user=user, factor=factor)
    registry.revoke_all(user, keep=keep, reason=event, request=request)


@receiver(user_logged_out)
def record_sign_out(sender, request, user, **kwargs):
    """Drop the session from the index and mark it ended; logout() itself deletes it from the store."""
    registry.ended(getattr(user, "pk", None), request.session.session_key, index=state.index(request))
    audit.record("logout", request, user=user)


@receiver(post_save, sender=User)
def end_sessions_of_deactivated_user(sender, instance, **kwargs):
    if not instance.is_active:
        registry.revoke_all(instance, reason="user_deactivated")


@receiver(pre_delete, sender=User)
def end_sessions_of_deleted_user(sender, instance, **kwargs):
    registry.revoke_all(instance, reason="user_deleted")
