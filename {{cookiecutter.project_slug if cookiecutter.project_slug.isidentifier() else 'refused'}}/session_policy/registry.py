"""Keep the index of signed-in sessions in step with the session store."""

from collections import defaultdict
from datetime import UTC, datetime
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from session_policy import audit, clock
from session_policy.client_ip import client_ip
from session_policy.conf import policy
from session_policy.models import UserSession

USER_AGENT_LENGTH = UserSession._meta.get_field("user_agent").max_length


def as_datetime(timestamp):
    return datetime.fromtimestamp(timestamp, tz=UTC)


def session_store():
    """Return the configured engine's SessionStore class."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def register(request, user):
    """Index the request's freshly authenticated session under its user."""
    now = as_datetime(clock.now())
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
            "signed_in_at": now,
            "last_activity": now,
        },
    )


def touch(session_key, timestamp):
    UserSession.objects.filter(session_key=session_key).update(last_activity=as_datetime(timestamp))


def rekey(old_key, new_key):
    UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def forget(session_key):
    """Drop a session that has ended from the index."""
    UserSession.objects.filter(session_key=session_key).delete()


def timed_out():
    """Return the condition of index entries whose session has timed out."""
    limits = policy()
    now = clock.now()
    idle = Q(last_activity__lte=as_datetime(now - limits.idle_timeout))
    too_old = Q(signed_in_at__lte=as_datetime(now - limits.absolute_timeout))
    return idle | too_old


def active_sessions(user):
    """Return the user's sessions that have not timed out, dropping the ones that have."""
    revoke(UserSession.objects.filter(user=user).filter(timed_out()).select_related("user"), reason="expired")
    return UserSession.objects.filter(user=user)


def prune():
    """Drop every timed-out session from the store and the index; return how many."""
    return revoke(UserSession.objects.filter(timed_out()).select_related("user"), reason="expired")


def revoke(user_sessions, *, reason, request=None):
    """End these sessions; return how many ended.

    Deleting from the store ends them in every process, whatever the engine.
    Marking them on their user first covers the one case deletion cannot: a
    cache out of reach at that moment, whose copy would come back with it.
    """
    user_sessions = list(user_sessions)
    mark_ended(user_sessions)
    store = session_store()
    with transaction.atomic():
        for user_session in user_sessions:
            store(user_session.session_key).delete()
            user_session.delete()
            audit.record(
                "revocation", request, user=user_session.user, session_key=user_session.session_key, reason=reason
            )
    return len(user_sessions)


def mark_ended(user_sessions):
    """Record the sessions' fingerprints on their users; forget marks older than any session."""
    now = clock.now()
    oldest_useful = now - policy().absolute_timeout
    fingerprints = defaultdict(list)
    for user_session in user_sessions:
        fingerprints[user_session.user_id].append(audit.session_fingerprint(user_session.session_key))
    User = get_user_model()
    with transaction.atomic():
        for user in User.objects.select_for_update().filter(pk__in=fingerprints).only("ended_sessions"):
            marks = {mark: at for mark, at in user.ended_sessions.items() if at > oldest_useful}
            marks.update(dict.fromkeys(fingerprints[user.pk], now))
            User.objects.filter(pk=user.pk).update(ended_sessions=marks)


def is_marked_ended(request):
    """Whether the request's session was revoked, whatever the store still holds."""
    marks = getattr(request.user, "ended_sessions", None)
    return bool(marks) and audit.session_fingerprint(request.session.session_key) in marks


def revoke_all(user, *, reason, keep=None, request=None):
    """End every session of the user except the one whose key is keep."""
    return revoke(
        UserSession.objects.filter(user=user).exclude(session_key=keep or "").select_related("user"),
        reason=reason,
        request=request,
    )
