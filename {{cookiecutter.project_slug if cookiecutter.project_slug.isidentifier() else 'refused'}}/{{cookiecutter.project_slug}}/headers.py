"""The browser protections Django's SecurityMiddleware does not send, built once."""

from django.conf import settings
from django.utils.csp import CSP, LazyNonce, build_policy
from django_permissions_policy import PermissionsPolicyMiddleware

# Stands for the nonce in a policy built ahead of the response: no CSP source can contain it.
NONCE_PLACEHOLDER = "\0nonce\0"


class ContentSecurityPolicy:
    """One CSP header, built from its setting once rather than for every response.

    Renders exactly what django.utils.csp.build_policy() would: with the
    response's nonce where the policy has CSP.NONCE and the nonce was used,
    without those sources where it was not.
    """

    def __init__(self, header, override_attribute, config):
        # A plain str: WSGI servers such as runserver's refuse a str subclass (CSP's names are an enum).
        self.header = str(header)
        # Where django.views.decorators.csp puts a view's own policy.
        self.override_attribute = override_attribute
        self.without_nonce = build_policy(config) if config else ""
        self.with_nonce = build_policy(config, NONCE_PLACEHOLDER) if config else ""

    def apply(self, response, nonce):
        # A header the view set itself wins, as with Django's middleware.
        if self.header in response:
            return
        override = getattr(response, self.override_attribute, None)
        if override is not None:
            value = build_policy(override, nonce) if override else ""
        elif nonce:
            value = self.with_nonce.replace(NONCE_PLACEHOLDER, str(nonce))
        else:
            value = self.without_nonce
        if value:
            response.headers[self.header] = value


class SecurityHeadersMiddleware:
    """Send Content-Security-Policy, Permissions-Policy and Cross-Origin-Resource-Policy.

    One middleware in place of django.middleware.csp.ContentSecurityPolicyMiddleware,
    django_permissions_policy.PermissionsPolicyMiddleware and a third for
    Cross-Origin-Resource-Policy, with the same header values: each is built
    from its setting once, when the middleware is created, not per response.
    Like Django's CSP middleware it gives every request a lazy nonce
    (request._csp_nonce, which the csp context processor reads) and honours the
    csp_override and csp_report_only_override decorators; a view that needs
    another Permissions-Policy or Cross-Origin-Resource-Policy sets the
    header itself. Goes before
    WhiteNoise, so that static files get the headers too.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        headers = {
            # Other sites may not embed these responses.
            # https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cross-Origin-Resource-Policy
            "Cross-Origin-Resource-Policy": settings.SECURE_CROSS_ORIGIN_RESOURCE_POLICY,
            # Built, and every feature name checked, by django-permissions-policy.
            "Permissions-Policy": PermissionsPolicyMiddleware.compute_header_value(
                settings.PERMISSIONS_POLICY, name="PERMISSIONS_POLICY"
            ),
        }
        # An empty setting sends no header, as with the middleware this replaces.
        self.fixed_headers = {name: value for name, value in headers.items() if value}
        self.policies = [
            ContentSecurityPolicy(CSP.HEADER_ENFORCE, "_csp_config", settings.SECURE_CSP),
            ContentSecurityPolicy(CSP.HEADER_REPORT_ONLY, "_csp_ro_config", settings.SECURE_CSP_REPORT_ONLY),
        ]

    def __call__(self, request):
        request._csp_nonce = nonce = LazyNonce()
        response = self.get_response(request)
        for name, value in self.fixed_headers.items():
            response.headers.setdefault(name, value)
        for policy in self.policies:
            policy.apply(response, nonce)
        return response
