"""Tell users by email of a sign-in from somewhere new and of every change to how they sign in.

ASVS 5.0 6.3.4 and 6.3.6: a sign-in from a device (browser) or network not
seen before for the user, a second factor added or removed (by the user, an
administrator or the ORM), the password changed or reset (by any path that
calls set_password()). Each mail links to the sessions page, where the user
ends what they do not recognise.

Nothing of it touches the steady signed-in request: the receivers run on
sign-in, on a saved password and on a changed factor only. A mail goes out
once the response is complete (accounts.after_response, as the password
reset mail does), so it adds no time to any answer; outside a request (a
shell, a data migration), once the transaction commits. All changes of one
request make one mail per user.

Devices are remembered as a keyed hash of the client network (its /24 or
/64, as subnet binding uses) and the User-Agent: the table holds no address.
"""

import ipaddress
import logging
import threading

from allauth.core import context
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model, user_logged_in
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import salted_hmac

from accounts.after_response import later
from accounts.models import KnownDevice
from session_policy.client_ip import SUBNET_PREFIX, client_ip
from session_policy.factors import factor_changed

logger = logging.getLogger(__name__)
User = get_user_model()

# Each factor's name, as the subject of "... added to / removed from your account".
FACTOR_NAMES = {
    Authenticator.Type.TOTP: "An authenticator app was",
    Authenticator.Type.WEBAUTHN: "A passkey or security key was",
    Authenticator.Type.RECOVERY_CODES: "Recovery codes were",
}

# factor_changed's event -> how the notice says it.
CHANGES = {"mfa_added": "added to", "mfa_removed": "removed from", "mfa_changed": "changed on"}

# Changes waiting for the answer of the request this thread is serving: {user pk: (user, [change, ...])}.
_waiting = threading.local()


def device_digest(request):
    """A keyed hash of the client's network and browser: what "seen before" compares."""
    address = client_ip(request)
    network = ""
    if address is not None:
        parsed = ipaddress.ip_address(address)
        network = str(ipaddress.ip_network(f"{parsed}/{SUBNET_PREFIX[parsed.version]}", strict=False))
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    return salted_hmac("accounts.notifications.device", f"{network}\n{user_agent}", algorithm="sha256").hexdigest()


@receiver(user_logged_in, dispatch_uid="accounts.notifications.new_device")
def notice_new_device(sender, request, user, **kwargs):
    """Remember the device; tell the user when it is new (one query, one insert when new)."""
    if not user.email:
        return
    _, created = KnownDevice.objects.get_or_create(user=user, digest=device_digest(request))
    if created:
        browser = request.META.get("HTTP_USER_AGENT", "") or "an unnamed browser"
        notify(user, f"A sign-in from a device or network not seen before: {browser[:200]} at {client_ip(request)}.")


@receiver(factor_changed, dispatch_uid="accounts.notifications.factor_changed")
def notice_factor_change(sender, user, factor, event, **kwargs):
    """A factor added, moved, rewritten or removed, by any ORM path (see session_policy.factors)."""
    notify(user, f"{FACTOR_NAMES.get(factor, 'A second factor was')} {CHANGES[event]} your account.")


@receiver(post_save, sender=User, dispatch_uid="accounts.notifications.password_changed")
def notice_password_change(sender, instance, created, **kwargs):
    """set_password() then save(): a change, a reset, the admin's form, the shell's changepassword."""
    if not created and getattr(instance, "_password", None) is not None:
        notify(instance, "The password of your account was changed.")


def notify(user, change):
    """Queue a line for the user's notice: sent after the response, or at commit outside a request."""
    if not user.email:
        return
    if context.request is None:
        transaction.on_commit(lambda: send_notice(user, [change], None))
        return
    request = context.request
    transaction.on_commit(lambda: _queue(request, user, change))


def _queue(request, user, change):
    waiting = vars(_waiting)
    if "notices" not in waiting:
        # The request's first change: its notices leave, one mail per user, once the answer has gone out.
        waiting["notices"] = {}
        later(send_waiting)
    waiting["notices"].setdefault(user.pk, (user, request, []))[2].append(change)


def send_waiting():
    """Send the notices of the request whose answer has just gone out."""
    for user, request, changes in vars(_waiting).pop("notices", {}).values():
        send_notice(user, changes, request)


def send_notice(user, changes, request):
    """One mail listing the changes, with the link to the user's sessions."""
    path = reverse("sessions")
    link = request.build_absolute_uri(path) if request is not None else f"https://{settings.ALLOWED_HOSTS[0]}{path}"
    context_data = {"user": user, "changes": changes, "sessions_url": link, "site_name": settings.SITE_NAME}
    try:
        send_mail(
            render_to_string("accounts/email/security_notice_subject.txt", context_data).strip(),
            render_to_string("accounts/email/security_notice.txt", context_data),
            None,
            [user.email],
        )
    except Exception:
        logger.exception("Security notice to user %s not sent.", user.pk)
