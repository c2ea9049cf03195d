"""Error pages explain without leaking, and work under the strict CSP."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_a_csrf_failure_explains_what_happened_without_details(https_client):
    client = https_client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "alice", "password": "x"})

    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "CSRF" not in response.text
    assert "Referer" not in response.text
    assert settings.CSRF_COOKIE_NAME not in response.text


def test_a_missing_page_gets_the_plain_404_page(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "There is no page at this address." in response.text


def test_a_session_ended_during_the_request_gets_a_page_that_says_so(https_client, user, sign_in, settings):
    """A request whose session a parallel one ended answers 400 with a way on, not "Bad request"."""
    client = https_client()
    sign_in(client, user)
    settings.ROOT_URLCONF = "{{ cookiecutter.project_slug }}.tests.failing_urls"

    response = client.get("/ended-meanwhile/")

    assert response.status_code == 400
    assert "Your session changed while this page was loading" in response.text
    assert "kept" not in response.text


def test_other_bad_requests_get_the_plain_400_page(client):
    too_many_fields = {f"field{n}": "" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = client.post("/accounts/login/", too_many_fields)

    assert response.status_code == 400
    assert "The request could not be understood." in response.text


def test_a_server_error_gets_the_plain_500_page(client, settings):
    settings.ROOT_URLCONF = "{{ cookiecutter.project_slug }}.tests.failing_urls"
    client.raise_request_exception = False

    response = client.get("/")

    assert response.status_code == 500
    assert "Something went wrong on our side." in response.text
    assert "Traceback" not in response.text


def test_an_unreachable_database_gets_the_plain_503_page(client, settings):
    settings.ROOT_URLCONF = "{{ cookiecutter.project_slug }}.tests.failing_urls"
    client.raise_request_exception = False

    response = client.get("/outage/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Back in a moment" in response.text
