"""One lockout per account, whatever spelling finds it, counted per client network and across all of them.

django-axes records each failure (a wrong password, a wrong second-factor
code: session_policy.receivers) under the account and the client network,
and refuses the next try when either count reaches its limit:

- per account and network: settings.AXES_FAILURE_LIMIT failures from one
  address (IPv4) or one /64 (IPv6), session_policy.client_ip.client_network;
- per account, from every network together: settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT,
  higher, so that one network meets its own limit first, and an attacker
  spread over many networks still meets this one.

Both count failures no older than AXES_COOLOFF_TIME: a lock lifts that long
after the last failure, so an attacker who stops can keep nobody out for
longer (docs/session-policy.md, "Sign-in lockout", says what this costs).

The account is what axes calls the username: account_key() turns any
spelling that finds an account (case, Unicode compatibility forms,
surrounding space, its email address) into the account's own username, and
any other login into one normalised spelling, so an unknown name is counted,
and answered, exactly as a known one.
"""

import unicodedata

from axes.attempts import get_cool_off_threshold
from axes.conf import settings as axes_settings
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.db.models import Q, Sum

# Where account_key() keeps the accounts it has resolved on the request: axes asks several times per sign-in.
RESOLVED = "_accounts_lockout_keys"
# What axes' username column holds.
KEY_LENGTH = 150
# Tries to record one failure while parallel requests create and delete its row (LockoutHandler).
RECORD_TRIES = 3


def normalise(login):
    """Return the spelling every variant of login shares: stripped, NFKC-normalised, case-folded, without NUL."""
    return unicodedata.normalize("NFKC", str(login)).strip().casefold().replace("\0", "")[:KEY_LENGTH]


def account_key(request, credentials):
    """Return the name the lockout counts this login under (AXES_USERNAME_CALLABLE).

    The username of the one account whose username or email address the
    login spells, in any case or compatibility form; otherwise the login's
    normalised spelling. One query per distinct login and request.
    """
    credentials = credentials or {}
    login = credentials.get("username") or credentials.get("email") or credentials.get("login")
    if login is None:
        return None
    resolved = request.__dict__.setdefault(RESOLVED, {}) if request is not None else {}
    if login not in resolved:
        key = resolve(login)
        # The canonical name resolves to itself: axes asks again with it after a sign-in.
        resolved[login] = resolved[key] = key
    return resolved[login]


def resolve(login):
    spelling = normalise(login)
    if not spelling:
        return spelling
    User = get_user_model()
    username_field, email_field = User.USERNAME_FIELD, User.get_email_field_name()
    matches = list(
        User._default_manager.filter(
            Q(**{f"{username_field}__iexact": spelling}) | Q(**{f"{email_field}__iexact": spelling})
        ).values_list(username_field, email_field)[:2]
    )
    by_username = [username for username, _ in matches if normalise(username) == spelling]
    if by_username:
        return by_username[0]
    if len(matches) == 1:
        return matches[0][0]
    return spelling


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler, counting per account and network and per account alone.

    Both counts come from one query, the one axes makes for its own count.
    """

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        """Record a failure as axes does, again if parallel requests moved its row away mid-way.

        axes finds or creates the (account, network, browser) row with
        get_or_create. When two failures create it at once while a sign-in that
        succeeds (AXES_RESET_ON_SUCCESS) or the clean-up of old rows deletes it,
        the later insert clashes with a row that is gone by the time it looks
        again, and get_or_create raises IntegrityError: a wrong code or password
        would answer 500. The try that clashed recorded nothing (its transaction
        rolled back), so trying again counts the failure once.
        """
        for tries_left in reversed(range(RECORD_TRIES)):
            try:
                return super().user_login_failed(sender, credentials, request, **kwargs)
            except IntegrityError:
                if not tries_left:
                    raise

    def get_failures(self, request, credentials=None):
        """Return the failures to hold against AXES_FAILURE_LIMIT.

        The count of this account from this network, or the account's count
        from every network scaled to that limit, whichever is further along:
        it reaches AXES_FAILURE_LIMIT exactly when the account's count reaches
        LOCKOUT_ACCOUNT_FAILURE_LIMIT.
        """
        username = get_client_username(request, credentials)
        if username is None:
            return 0
        attempts = AccessAttempt.objects.filter(username=username)
        if axes_settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        totals = attempts.aggregate(
            account=Sum("failures_since_start"),
            network=Sum("failures_since_start", filter=Q(ip_address=request.axes_ip_address)),
        )
        network_limit = get_failure_limit(request, credentials)
        account_limit = settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT
        return max(totals["network"] or 0, (totals["account"] or 0) * network_limit // account_limit)
