"""Password reset requests that reveal nothing and cannot be turned into a mail cannon.

Two things could tell whether an address has an account: the answer and the
time it takes. The answer is the same page either way. So is the time: the
mail is built and sent off the request, by one thread of this process, and
the request does the same work whatever the address.

Requests are limited per client address, with a 429 page that says nothing
about any account, and per target address, silently: the page is the same and
no further mail leaves, so nobody can flood an inbox through this form.
"""

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth import forms, views
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import render

from session_policy.client_ip import client_ip

logger = logging.getLogger(__name__)

# (requests, per seconds)
PER_CLIENT = (10, 3600)
PER_ADDRESS = (3, 3600)

# One thread per process sends, in order: a slow mail server delays mail, never a page.
_outbox = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-reset-mail")


def wait_for_mail():
    """Return once every reset mail queued so far has been handled."""
    _outbox.submit(lambda: None).result()


class PasswordResetForm(forms.PasswordResetForm):
    def send_mail(self, *args, **kwargs):
        _outbox.submit(super().send_mail, *args, **kwargs)


def within_limit(name, limit):
    """Count one more request under name; return whether it stays within limit."""
    count, seconds = limit
    try:
        cache.add(name, 0, seconds)
        return cache.incr(name) <= count
    except Exception:
        logger.exception("Password reset rate limit unavailable; letting the request through.")
        return True


class PasswordResetView(views.PasswordResetView):
    form_class = PasswordResetForm

    def form_valid(self, form):
        client = client_ip(self.request) or "unknown"
        if not within_limit(f"password-reset:client:{client}", PER_CLIENT):
            return render(self.request, "429.html", status=429)
        address = hashlib.sha256(form.cleaned_data["email"].casefold().encode()).hexdigest()
        if not within_limit(f"password-reset:address:{address}", PER_ADDRESS):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
