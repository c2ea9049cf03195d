"""Password reset requests that reveal nothing and cannot be turned into a mail cannon.

Two things could tell whether an address has an account: the answer and the
time it takes. The answer is the same page either way. So is the time: the
mail is built and sent only once the answer is complete
(accounts.after_response), so nothing of it can delay the answer or compete
with it.

Requests are limited per client network (the address, or its /64 for IPv6),
with a 429 page that says nothing about any account, and per target address,
silently: the page is the same and no further mail leaves, so nobody can
flood an inbox through this form.
"""

import hashlib
import logging

from django.contrib.auth import forms, views
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import render

from accounts.after_response import later
from session_policy.client_ip import client_network

logger = logging.getLogger(__name__)

# (requests, per seconds)
PER_CLIENT = (10, 3600)
PER_ADDRESS = (3, 3600)


class PasswordResetForm(forms.PasswordResetForm):
    def send_mail(self, *args, **kwargs):
        # Sent once the answer has gone out; PasswordResetForm.send_mail logs a failure itself.
        later(super().send_mail, *args, **kwargs)


def within_limit(name, limit):
    """Take one of limit's slots under name; return whether one was free.

    A slot is a key that cache.add() takes only when it is absent, atomically
    on Redis and in the database cache alike (there an INSERT on the primary
    key), and that frees itself the limit's seconds after it was taken. A
    counter would cost one round trip, but the database cache's incr() is a
    read then a write: parallel requests in several workers would read the
    same count and all pass. One read finds the free slots, usually the first
    add() takes one.
    """
    count, seconds = limit
    slots = [f"{name}:{slot}" for slot in range(count)]
    try:
        taken = cache.get_many(slots)
        return any(cache.add(slot, 1, seconds) for slot in slots if slot not in taken)
    except Exception:
        logger.exception("Password reset rate limit unavailable; letting the request through.")
        return True


class PasswordResetView(views.PasswordResetView):
    form_class = PasswordResetForm

    def form_valid(self, form):
        if not within_limit(f"password-reset:client:{client_network(self.request) or 'unknown'}", PER_CLIENT):
            return render(self.request, "429.html", status=429)
        address = hashlib.sha256(form.cleaned_data["email"].casefold().encode()).hexdigest()
        if not within_limit(f"password-reset:address:{address}", PER_ADDRESS):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
