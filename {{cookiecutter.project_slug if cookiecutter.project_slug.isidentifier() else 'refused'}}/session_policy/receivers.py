"""Hook the policy into Django's authentication events, whichever view caused them."""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model, user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from session_policy import audit, device_binding, registry, state
from session_policy.backends import is_issued_key

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


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    username = str(credentials.get(User.USERNAME_FIELD, ""))[:150]
    audit.record("login_failed", request, reason="bad_credentials", username=username)


@receiver(user_locked_out)
def record_lockout(sender, request, username, ip_address, **kwargs):
    audit.record("lockout", request, reason="too_many_failures", username=str(username)[:150])


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
