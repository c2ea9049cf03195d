"""One signal for every change to a user's factors, whichever ORM path made it.

allauth's Authenticator rows are the user's second factors. A row added,
moved to another user, rewritten (a new secret, seed or credential) or
removed changes how the account signs in, and factor_changed is sent for
each user it touches, with the event "mfa_added", "mfa_removed" or
"mfa_changed". Its receivers end the user's other sessions and record it
(session_policy.receivers) and tell the user (accounts.notifications).

The paths, and what sends it:
- save() and create(): post_save of a new row; a save of an existing row is
  compared with the row it replaces (one query, only when the save can
  touch user, type or data), so a use of the factor, a passkey renamed or
  recovery codes shown change nothing.
- delete(), QuerySet.delete(): post_delete, row by row.
- bulk_create(), QuerySet.update() and bulk_update() (which runs update()):
  FactorQuerySet, which allauth's manager is given at start-up (install());
  update() reads the rows it touches before and after (two queries), unless
  it writes none of user, type and data (a use writes last_used_at alone).
- Raw SQL sends nothing: see docs/session-policy.md.
"""

from allauth.mfa.models import Authenticator, AuthenticatorManager
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal, receiver

# Sent with user (the account whose factors changed), factor (the row's type) and event.
factor_changed = Signal()

# What the factor is, as opposed to what its use writes down: a change to anything else is a change of factor.
USAGE_KEYS = {
    Authenticator.Type.RECOVERY_CODES: {"used_mask", "viewed_at", "migrated_codes"},
    Authenticator.Type.WEBAUTHN: {"name"},
}
# The fields whose change can make a row another factor.
IDENTITY_FIELDS = {"user", "user_id", "type", "data"}


def identity(user_id, type, data):
    """What makes a row the factor it is: its user, type and data without usage bookkeeping."""
    usage = USAGE_KEYS.get(type, set())
    if not isinstance(data, dict):
        return user_id, type, data
    kept = {key: value for key, value in data.items() if key not in usage}
    # Migrated recovery codes are used up by removing them; any code added is a new factor.
    codes = data.get("migrated_codes") if type == Authenticator.Type.RECOVERY_CODES else None
    return user_id, type, kept, frozenset(codes) if isinstance(codes, list) else None


def changes(before, after):
    """The (user_id, type, event) of each row that is another factor after than before.

    before and after map a row's pk to (user_id, type, data); a row in one
    only was added or removed.
    """
    found = set()
    for pk, (user_id, type, data) in before.items():
        if pk not in after:
            found.add((user_id, type, "mfa_removed"))
            continue
        new_user_id, new_type, new_data = after[pk]
        if new_user_id != user_id:
            found.add((user_id, type, "mfa_removed"))
            found.add((new_user_id, new_type, "mfa_added"))
        elif identity(user_id, type, data) != identity(new_user_id, new_type, new_data):
            found.add((user_id, new_type, "mfa_changed"))
    for pk, (user_id, type, _) in after.items():
        if pk not in before:
            found.add((user_id, type, "mfa_added"))
    return found


def send(found):
    """Send factor_changed for each (user_id, type, event), one query for the users."""
    if not found:
        return
    users = get_user_model()._default_manager.in_bulk({user_id for user_id, _, _ in found})
    for user_id, type, event in sorted(found, key=lambda change: (change[0], change[2], change[1])):
        if user_id in users:
            factor_changed.send(sender=Authenticator, user=users[user_id], factor=type, event=event)


def snapshot(queryset):
    """Map each row's pk to (user_id, type, data), as changes() compares them."""
    rows = queryset.values_list("pk", "user_id", "type", "data")
    return {pk: (user_id, type, data) for pk, user_id, type, data in rows}


class FactorQuerySet(QuerySet):
    """Authenticator's QuerySet: bulk writes send factor_changed as a save or delete does."""

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        send({(row.user_id, row.type, "mfa_added") for row in created})
        return created

    bulk_create.alters_data = True

    def update(self, **kwargs):
        """Update, then send factor_changed for each row that became another factor.

        The rows are read under a lock and only they are updated, so a row
        that another process adds or changes meanwhile is never written
        unseen.
        """
        if not IDENTITY_FIELDS & set(kwargs):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            before = snapshot(self.select_for_update())
            rows = self.model._base_manager.using(self.db).filter(pk__in=list(before))
            count = QuerySet.update(rows, **kwargs)
            after = snapshot(rows.all())
        send(changes(before, after))
        return count

    update.alters_data = True


def install():
    """Give allauth's AuthenticatorManager the FactorQuerySet (called once, at start-up).

    AuthenticatorManager is allauth's own class, used by Authenticator only,
    and every manager of the model (Authenticator.objects, the related
    user.authenticator_set) is it or a subclass of it: its queryset class is
    the one place every ORM path goes through. checks.py refuses to start if
    it is not in place.
    """
    AuthenticatorManager._queryset_class = FactorQuerySet


@receiver(pre_save, sender=Authenticator, dispatch_uid="session_policy.factors.before_save")
def remember_row_before_save(sender, instance, update_fields=None, raw=False, **kwargs):
    """Read the row an existing Authenticator's save() will overwrite, when the save can change the factor."""
    instance._factor_before = None
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not IDENTITY_FIELDS & set(update_fields):
        return
    rows = sender._base_manager.using(instance._state.db or "default").filter(pk=instance.pk)
    instance._factor_before = snapshot(rows)


@receiver(post_save, sender=Authenticator, dispatch_uid="session_policy.factors.saved")
def send_on_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    after = {instance.pk: (instance.user_id, instance.type, instance.data)}
    before = {} if created else getattr(instance, "_factor_before", None)
    if before is not None:
        send(changes(before, after))


@receiver(post_delete, sender=Authenticator, dispatch_uid="session_policy.factors.deleted")
def send_on_delete(sender, instance, **kwargs):
    send({(instance.user_id, instance.type, "mfa_removed")})
