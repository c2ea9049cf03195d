"""Keep the index of signed-in sessions in step with the session store.

Invariants, under any number of parallel requests and workers:

- every signed-in session key has exactly one index row; a key changes only
  by rekey(), a compare-and-swap on that row, so of several requests that
  rotate the same key at once exactly one succeeds (rotation.py);
- revocation locks the rows it ends and deletes the key each row holds at
  that moment, so a rotation in flight either lands first and is revoked, or
  finds its row gone and gives its new key up;
- an ended session stays ended whatever a cache kept: single ends are marked
  on the user (mark_ended), ends of all of a user's sessions raise the
  user's session epoch (epoch.py). Both are read from the user row that
  authentication loads anyway. A mark is kept for as long as a copy of its
  session could pass the timeouts, never dropped for room: a user who ends
  more sessions than the row holds has the epoch raised instead.
"""

import hashlib
from collections import defaultdict
from datetime import UTC, datetime
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q

from session_policy import audit, clock, epoch, farewell
from session_policy.client_ip import client_ip
from session_policy.conf import policy
from session_policy.engines import CACHE_ENGINES
from session_policy.models import UserSession

USER_AGENT_LENGTH = UserSession._meta.get_field("user_agent").max_length
# About 5 KB of marks at most, read with the user on every request. A user
# who ends more sessions than this within one mark lifetime (mark_lifetime())
# has every session ended at once instead: no mark is dropped while it counts.
MAX_MARKS = 100
# Seconds after a session's end during which a request that loaded it before
# the end may still record activity in a copy: far more than a request lives
# (gunicorn kills a worker after GUNICORN_TIMEOUT, 30 s by default).
IN_FLIGHT = 300


def as_datetime(timestamp):
    return datetime.fromtimestamp(timestamp, tz=UTC)


def session_store():
    """Return the configured engine's SessionStore class."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def register(request, user):
    """Index the request's freshly authenticated session under its user."""
    now = as_datetime(clock.now())
    user_session, _ = UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
            "signed_in_at": now,
            "last_activity": now,
        },
    )
    return user_session


def touch(session_key, timestamp):
    UserSession.objects.filter(session_key=session_key).update(last_activity=as_datetime(timestamp))


def rekey(old_key, new_key):
    """Move the index entry of old_key to new_key; return False if none holds old_key any more.

    One UPDATE, atomic in the database: when requests race to re-key the
    same session, the first wins and the others match no row.
    """
    return UserSession.objects.filter(session_key=old_key).update(session_key=new_key) == 1


def is_indexed(session_key):
    return UserSession.objects.filter(session_key=session_key).exists()


def is_listed(index):
    """Whether the index entry with primary key index still exists: its session has not ended."""
    return index is not None and UserSession.objects.filter(pk=index).exists()


def forget(session_key):
    """Drop a session that has ended from the index."""
    UserSession.objects.filter(session_key=session_key).delete()


def ended(user_id, session_key, *, index=None):
    """Record that the user's session ended: out of the index, and refused if a copy survives anywhere.

    index names the session's index entry: if a racing request has just
    rotated the key, the entry holds the successor, which ends too.
    """
    with transaction.atomic():
        lock_users([user_id])
        keys = [session_key] if session_key else []
        entries = UserSession.objects.select_for_update(of=("self",)).filter(
            Q(session_key=session_key or "") | Q(pk=index)
        )
        for user_session in entries:
            if user_session.session_key not in keys:
                session_store()(user_session.session_key).delete()
                keys.append(user_session.session_key)
            user_session.delete()
        if user_id is not None and keys:
            mark_ended({user_id: keys})


def lock_users(user_ids):
    """Lock these users' rows. Every path that changes both a user and its index entries
    locks the user first, as saving a user does: no two of them can deadlock."""
    User = get_user_model()
    list(User.objects.select_for_update().filter(pk__in=[pk for pk in user_ids if pk is not None]).values_list("pk"))


def timed_out():
    """Return the condition of index entries whose session has timed out."""
    limits = policy()
    now = clock.now()
    idle = Q(last_activity__lte=as_datetime(now - limits.idle_timeout))
    too_old = Q(signed_in_at__lte=as_datetime(now - limits.absolute_timeout))
    return idle | too_old


def active_sessions(user):
    """Return the user's sessions that have not timed out, dropping the ones that have."""
    revoke(UserSession.objects.filter(user=user).filter(timed_out()), reason="expired")
    return UserSession.objects.filter(user=user)


def prune():
    """Drop every timed-out session from the store and the index; return how many."""
    return revoke(UserSession.objects.filter(timed_out()), reason="expired")


def revoke(user_sessions, *, reason, request=None):
    """End these sessions; return how many ended.

    Their rows are locked first and each session is ended under the key its
    row holds then, which a rotation in flight may have just changed.
    Deleting from the store ends them in every process, whatever the engine;
    the marks cover a cache out of reach at that moment.
    """
    pks = [user_session.pk for user_session in user_sessions]
    with transaction.atomic():
        lock_users(UserSession.objects.filter(pk__in=pks).values_list("user_id", flat=True).distinct())
        ended = list(UserSession.objects.select_for_update(of=("self",)).filter(pk__in=pks).select_related("user"))
        keys_by_user = defaultdict(list)
        for user_session in ended:
            keys_by_user[user_session.user_id].append(user_session.session_key)
        mark_ended(keys_by_user)
        store = session_store()
        for user_session in ended:
            store(user_session.session_key).delete()
            user_session.delete()
            audit.record(
                "revocation", request, user=user_session.user, session_key=user_session.session_key, reason=reason
            )
        # Read only for a key that names no session: harmless if this rolls back.
        farewell.leave([user_session.session_key for user_session in ended], reason)
    return len(ended)


def end_mark(session_key):
    """Return the digest that marks session_key as ended.

    Unkeyed, so that rotating SECRET_KEY keeps every mark valid; a session key
    has 165 random bits, so its digest gives nothing away.
    """
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def mark_lifetime():
    """Return how long after its end a copy of a session could still be served, in seconds.

    A copy holds the activity recorded up to the end, or a moment later by a
    request already under way (IN_FLIGHT): once that is an idle timeout old
    the copy is refused anyway, and the absolute timeout refuses it in any
    case. The cache drops a copy no sooner, whatever TTL it was given.
    """
    limits = policy()
    return min(limits.idle_timeout + IN_FLIGHT, limits.absolute_timeout)


def mark_ended(keys_by_user):
    """Record ended session keys ({user id: [keys]}) on their users, until no copy of them could be served.

    Only engines that keep a copy in a cache need the marks: a database
    session, once deleted, is gone. A mark goes once mark_lifetime() has
    passed, never earlier: when a user would hold more than MAX_MARKS, the
    user's session epoch rises instead, which refuses every session of the
    user signed in so far, marked or not, and the marks start again empty.
    """
    if settings.SESSION_ENGINE not in CACHE_ENGINES:
        return
    now = clock.now()
    oldest_useful = now - mark_lifetime()
    User = get_user_model()
    # Sessions store the user's id as text.
    keys_by_user = {User._meta.pk.to_python(user_id): keys for user_id, keys in keys_by_user.items()}
    with transaction.atomic():
        for user in User.objects.select_for_update().filter(pk__in=keys_by_user).only("ended_sessions"):
            marks = {mark: at for mark, at in user.ended_sessions.items() if at > oldest_useful}
            marks.update(dict.fromkeys(map(end_mark, keys_by_user[user.pk]), now))
            if len(marks) <= MAX_MARKS:
                User.objects.filter(pk=user.pk).update(ended_sessions=marks)
                continue
            # More ends than the row holds: end them all rather than forget one.
            User.objects.filter(pk=user.pk).update(ended_sessions={}, session_epoch=F("session_epoch") + 1)
            UserSession.objects.filter(user_id=user.pk).delete()
            audit.record("revocation", user=user, reason="too_many_ends")


def is_marked_ended(user, session_key):
    """Whether session_key was ended, whatever the store still holds."""
    marks = user.ended_sessions
    return bool(marks) and end_mark(session_key) in marks


def revoke_all(user, *, reason, keep=None, request=None):
    """End every session of the user except the one whose key is keep; return how many were listed.

    Without a session to keep, the user's session epoch rises as well: that
    ends even a session the index never saw.
    """
    if keep is None:
        epoch.end_all_sessions(user)
    return revoke(
        UserSession.objects.filter(user=user).exclude(session_key=keep or ""),
        reason=reason,
        request=request,
    )
