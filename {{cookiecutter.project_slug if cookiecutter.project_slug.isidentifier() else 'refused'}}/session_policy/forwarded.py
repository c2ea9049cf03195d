"""Believe X-Forwarded-Proto only from a trusted proxy.

Django's SECURE_PROXY_SSL_HEADER trusts the header from whoever sends it.
Anyone who reaches an app port directly could then pass a plain-http request
off as https: past SECURE_SSL_REDIRECT, and as the secure origin CSRF checks
compare with. This middleware, first in MIDDLEWARE, removes the header from
every connection that client_ip does not believe either, so both forwarded
headers are trusted by the one rule of settings.TRUSTED_PROXIES. gunicorn's
forwarded_allow_ips (gunicorn.conf.py) follows the same setting, so the
scheme Django falls back to without the header agrees too.
"""

from django.conf import settings

from session_policy.client_ip import forwarded_by_trusted_proxy


class ForwardedProtoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        header = settings.SECURE_PROXY_SSL_HEADER
        self.header = header[0] if header else None

    def __call__(self, request):
        if self.header and not forwarded_by_trusted_proxy(request.META):
            request.META.pop(self.header, None)
        return self.get_response(request)
