"""Every response carries the browser protections, each header exactly once."""

import re

import pytest
from django.http import HttpResponse
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override, csp_report_only_override

from {{ cookiecutter.project_slug }}.headers import SecurityHeadersMiddleware

pytestmark = pytest.mark.django_db

EXPECTED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# Django adds the nonce only to responses whose templates used it.
NONCE = re.compile(r" 'nonce-[^']+'")
ONCE = [
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Cross-Origin-Resource-Policy",
    "Permissions-Policy",
]


@pytest.fixture
def pages(client, user, sign_in):
    """The sign-in page, and a page only a signed-in user sees."""
    login = client.get("/accounts/login/")
    sign_in(client, user)
    return {"sign-in page": login, "home page": client.get("/")}


def test_each_protection_is_sent_exactly_once(pages):
    for response in pages.values():
        for header in ONCE:
            assert len(response.headers.get(header, "").split("\n")) == 1
            assert response.has_header(header), header


def test_every_header_name_is_a_plain_string_as_wsgi_servers_require(pages):
    # wsgiref (runserver) refuses a str subclass, such as the CSP enum's names.
    for response in pages.values():
        assert {type(name) for name, _ in response.items()} == {str}


def test_the_content_security_policy_allows_nothing_inline(pages):
    for response in pages.values():
        policy = response["Content-Security-Policy"]
        assert NONCE.sub("", policy) == EXPECTED_CSP
        assert "unsafe" not in policy


def test_a_nonce_is_never_sent_twice(client, user, sign_in):
    sign_in(client, user)

    nonces = [NONCE.findall(client.get("/")["Content-Security-Policy"]) for _ in range(2)]

    assert all(nonces), "the signed-in pages use a nonce"
    assert nonces[0] != nonces[1]


def test_the_other_headers_say_what_they_should(pages):
    response = pages["home page"]

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_only_passkeys_are_allowed_and_only_for_this_site(pages):
    features = dict(entry.split("=") for entry in pages["home page"]["Permissions-Policy"].split(", "))

    allowed = {feature: origins for feature, origins in features.items() if origins != "()"}
    assert allowed == {"publickey-credentials-create": "(self)", "publickey-credentials-get": "(self)"}


def test_no_page_needs_inline_code(pages, client):
    error_page = client.get("/no/such/page/")
    for response in [*pages.values(), error_page]:
        html = response.text
        assert "<script>" not in html
        assert "<style" not in html
        assert " style=" not in html
        assert " onclick=" not in html


def test_static_files_carry_the_headers_too(client, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True

    response = client.get(settings.STATIC_URL + "css/site.css")
    response.close()  # a streamed file: closing it releases the file

    assert response.status_code == 200
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_view_may_send_its_own_content_security_policy(rf):
    """The csp_override decorators still work with the middleware that builds the policies once."""
    own = {"default-src": [CSP.SELF], "script-src": [CSP.SELF, CSP.NONCE]}

    @csp_report_only_override(own)
    @csp_override(own)
    def view(request):
        return HttpResponse(f"<script nonce='{request._csp_nonce}'></script>")

    request = rf.get("/")
    response = SecurityHeadersMiddleware(view)(request)

    nonce = f"'nonce-{request._csp_nonce}'"
    assert response["Content-Security-Policy"] == f"default-src 'self'; script-src 'self' {nonce}"
    assert response["Content-Security-Policy-Report-Only"] == response["Content-Security-Policy"]
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_a_response_without_a_nonce_names_none(rf):
    response = SecurityHeadersMiddleware(lambda request: HttpResponse())(rf.get("/"))

    assert response["Content-Security-Policy"] == EXPECTED_CSP
