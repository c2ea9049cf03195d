"""Response headers Django has no setting for."""

from django.conf import settings


class CrossOriginResourcePolicyMiddleware:
    """Send Cross-Origin-Resource-Policy, so other sites cannot embed responses.

    https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cross-Origin-Resource-Policy
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.SECURE_CROSS_ORIGIN_RESOURCE_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Cross-Origin-Resource-Policy", self.policy)
        return response
