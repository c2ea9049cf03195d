"""Work that waits until the answer has gone out.

Some mail would tell, by the time it takes, what the answer must not: a reset
mail only for an address that has an account, a sign-up confirmation only for
an address that has none. Such work is queued here and done once the server
closes the response (Django's request_finished), so nothing of it can delay
the answer or compete with it.

Contract: later() runs nothing itself; run_waiting() runs, in order, what the
request this thread serves has queued, once. Outside a request nothing would
run the queue: callers queue only while serving one.
"""

import threading

from django.core.signals import request_finished
from django.dispatch import receiver

# Work waiting for the answer of the request this thread is serving.
_waiting = threading.local()


def later(function, *args, **kwargs):
    """Queue function(*args, **kwargs) to run once the current answer has gone out."""
    vars(_waiting).setdefault("work", []).append((function, args, kwargs))


@receiver(request_finished, dispatch_uid="accounts.after_response.run_waiting")
def run_waiting(sender, **kwargs):
    """Run what the request whose answer has just gone out queued; each function reports its own failures."""
    for function, args, kwargs in vars(_waiting).pop("work", []):
        function(*args, **kwargs)
