"""Second factors: TOTP codes computed from the secret the page shows, recovery codes, step-up, enrolment."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from session_policy.tests.conftest import is_signed_in, past_the_reauthentication_window, session_key, stored

# allauth reports added and removed factors once the transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)

SECRET_ON_PAGE = re.compile(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"')
RECOVERY_CODES = re.compile(r'<ul[^>]*id="recovery_codes"[^>]*>(.*?)</ul>', re.DOTALL)
PROXY = {"headers": {"x-forwarded-for": "203.0.113.9"}}


# Seconds a code must still have to live when a test takes it, so that no step ends between the
# requests of one test (allauth accepts a code only in its own step).
MARGIN = 3


def totp(secret):
    """The RFC 6238 code (HMAC-SHA1, 6 digits, MFA_TOTP_PERIOD steps) of a base32 secret, now.

    Waits for the next step when the current one has less than MARGIN seconds left.
    """
    step = mfa_settings.TOTP_PERIOD
    if (left := step - time.time() % step) < MARGIN:
        time.sleep(left + 0.05)
    counter = int(time.time() // step)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def activate_totp(client):
    """Set up an authenticator app from the activation page, as a person would; return the secret."""
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = SECRET_ON_PAGE.search(page.text).group(1)
    response = client.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert response.status_code == 302
    return secret


def recovery_codes(client):
    listed = RECOVERY_CODES.search(client.get(reverse("mfa_view_recovery_codes")).text).group(1)
    return re.findall(r"<li>(\d+)</li>", listed)


def password_step(client, user, password, **extra):
    response = client.post(reverse("login"), {"username": user.username, "password": password}, **extra)
    assert response["Location"] == reverse("mfa_authenticate")
    return response


@pytest.fixture
def secret(client, user, sign_in):
    """A user who set up TOTP in the client's session; the client is signed out again."""
    sign_in(client, user)
    value = activate_totp(client)
    client.post(reverse("logout"))
    return value


def test_a_fresh_sign_in_sets_up_the_first_factor_without_another_password(client, user, sign_in, audit_log):
    sign_in(client, user)

    activate_totp(client)

    assert [entry["factor"] for entry in audit_log.of("mfa_added")] == ["totp", "recovery_codes"]
    assert len(recovery_codes(client)) == mfa_settings.RECOVERY_CODE_COUNT


def test_adding_a_factor_ends_every_other_session(https_client, user, sign_in):
    laptop, thief = https_client(), https_client()
    sign_in(thief, user)
    sign_in(laptop, user)

    activate_totp(laptop)

    assert not stored(session_key(thief))
    assert is_signed_in(laptop.get("/"))


@pytest.fixture
def admin(https_client, sign_in, django_user_model, password):
    """A client signed in as a superuser."""
    client = https_client()
    sign_in(client, django_user_model.objects.create_superuser("root", "root@example.com", password))
    return client


def test_a_factor_removed_in_the_admin_ends_every_session_of_its_user(https_client, user, sign_in, admin):
    laptop = https_client()
    sign_in(laptop, user)
    activate_totp(laptop)
    totp_row = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)

    response = admin.post(reverse("admin:mfa_authenticator_delete", args=[totp_row.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=totp_row.pk).exists()
    assert not stored(session_key(laptop))
    assert is_signed_in(admin.get("/"))


def test_the_admin_cannot_rewrite_a_factor_in_place(user, admin):
    Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "", "used_mask": 0})
    row = Authenticator.objects.get(user=user)

    assert admin.post(reverse("admin:mfa_authenticator_change", args=[row.pk]), {"data": "{}"}).status_code == 403
    assert admin.get(reverse("admin:mfa_authenticator_add")).status_code == 403


@pytest.mark.parametrize("change", ["delete one", "delete all", "create"])
def test_a_factor_changed_through_the_orm_ends_every_session_of_its_user(https_client, user, sign_in, change):
    """post_save and post_delete: what the admin, a shell or a data migration does without allauth's signals."""
    laptop = https_client()
    sign_in(laptop, user)
    activate_totp(laptop)

    if change == "delete one":
        Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).delete()
    elif change == "delete all":
        Authenticator.objects.filter(user=user).delete()  # QuerySet.delete() still sends post_delete per row
    else:
        Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "key"})

    assert not stored(session_key(laptop))


def test_using_a_factor_ends_no_session(https_client, client, user, password, secret):
    other = https_client()
    password_step(other, user, password)
    other.post(reverse("mfa_authenticate"), {"code": totp(secret)})
    assert is_signed_in(other.get("/"))

    password_step(client, user, password)
    client.post(reverse("mfa_authenticate"), {"code": recovery_codes_of(user)[0]})

    assert is_signed_in(client.get("/"))
    assert is_signed_in(other.get("/"))


def recovery_codes_of(user):
    return Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()


def test_the_password_alone_no_longer_signs_in(client, user, password, secret):
    password_step(client, user, password)

    assert not is_signed_in(client.get("/"))
    response = client.post(reverse("mfa_authenticate"), {"code": totp(secret)})
    assert response.status_code == 302
    assert is_signed_in(client.get("/"))


def test_a_used_code_cannot_be_replayed(https_client, user, password, secret):
    first, second = https_client(), https_client()
    code = totp(secret)
    password_step(first, user, password)
    first.post(reverse("mfa_authenticate"), {"code": code})

    password_step(second, user, password)
    response = second.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == 200
    assert not is_signed_in(second.get("/"))


def test_a_used_code_stays_used_through_a_flood_of_cache_entries(https_client, user, password, secret):
    """Rate-limit entries from many client addresses fill the cache; a database or memory cache
    at its MAX_ENTRIES deletes a share of its entries, and would take the used code's mark with them."""
    first, second = https_client(), https_client()
    code = totp(secret)
    password_step(first, user, password)
    first.post(reverse("mfa_authenticate"), {"code": code})
    assert is_signed_in(first.get("/"))
    # As many addresses' rate-limit entries would: three times Django's default limit.
    cache.set_many({f"flood:{number}": number for number in range(900)})

    password_step(second, user, password)
    response = second.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == 200
    assert not is_signed_in(second.get("/"))


def test_wrong_codes_count_toward_the_lockout(client, user, password, secret, audit_log):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"}, **PROXY)
    password_step(client, user, password, **PROXY)

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"}, **PROXY)

    assert response.status_code == 429
    assert audit_log.of("mfa_failed")[0]["factor"] == "totp"
    assert audit_log.of("lockout")
    # Locked out, even the right code is refused.
    response = client.post(reverse("mfa_authenticate"), {"code": totp(secret)}, **PROXY)
    assert not is_signed_in(client.get("/"))
    assert AccessAttempt.objects.get().failures_since_start == settings.AXES_FAILURE_LIMIT


def test_a_recovery_code_works_once(https_client, client, user, password, sign_in, audit_log):
    sign_in(client, user)
    activate_totp(client)
    code = recovery_codes(client)[0]
    client.post(reverse("logout"))

    password_step(client, user, password)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert is_signed_in(client.get("/"))
    assert len(audit_log.of("recovery_code_used")) == 1

    again = https_client()
    password_step(again, user, password)
    again.post(reverse("mfa_authenticate"), {"code": code})
    assert not is_signed_in(again.get("/"))


def test_step_up_asks_for_the_factor_and_rotates_the_key(client, user, sign_in, stay_active, audit_log):
    sign_in(client, user)
    secret = activate_totp(client)
    stay_active(client, past_the_reauthentication_window())  # the sign-in no longer counts as recent

    response = client.get(reverse("sessions"))
    assert response["Location"].startswith(reverse("reauthenticate"))
    response = client.get(response["Location"])
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    # The password alone no longer re-authenticates.
    assert client.post(reverse("reauthenticate"), {"password": "correct horse battery staple"}).status_code == 302
    assert client.get(reverse("sessions")).status_code == 302

    old_key, old_csrf = session_key(client), client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(reverse("mfa_reauthenticate") + "?next=" + reverse("sessions"), {"code": totp(secret)})

    assert response["Location"] == reverse("sessions")
    assert session_key(client) != old_key
    assert client.cookies[settings.CSRF_COOKIE_NAME].value != old_csrf
    assert not stored(old_key)
    assert client.get(reverse("sessions")).status_code == 200
    assert audit_log.of("reauthentication")[-1]["method"] == "totp"


def test_removing_a_factor_asks_for_the_factor_first(client, user, sign_in, stay_active, audit_log):
    sign_in(client, user)
    activate_totp(client)
    stay_active(client, past_the_reauthentication_window())

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert audit_log.of("mfa_removed") == []


@pytest.mark.parametrize("page", ["/", "/admin/", reverse("sessions")])
def test_a_user_who_must_have_a_factor_is_sent_to_set_one_up(client, user, sign_in, settings, page):
    settings.SECOND_FACTOR = "required"
    sign_in(client, user)

    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_staff_must_have_a_factor_when_required_for_staff(client, user, sign_in, settings):
    settings.SECOND_FACTOR = "required_for_staff"
    sign_in(client, user)
    assert is_signed_in(client.get("/"))

    user.is_staff = True
    user.save()

    assert client.get("/admin/")["Location"] == reverse("mfa_index")
    activate_totp(client)
    assert client.get("/admin/").status_code == 200


def test_closed_sign_up_makes_no_account(client, django_user_model, settings):
    settings.SIGNUP = "closed"
    new_password = "a long and unusual passphrase 42"
    response = client.post(
        reverse("account_signup"),
        {"username": "mallory", "email": "m@example.com", "password1": new_password, "password2": new_password},
    )

    assert "closed" in response.text.lower()
    assert not django_user_model.objects.filter(username="mallory").exists()


def test_open_sign_up_requires_a_verified_address(client, settings, mailoutbox, django_user_model):
    settings.SIGNUP = "open"
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    new_password = "a long and unusual passphrase 42"

    client.post(
        reverse("account_signup"),
        {"username": "carol", "email": "carol@example.com", "password1": new_password, "password2": new_password},
    )

    assert django_user_model.objects.filter(username="carol").exists()
    assert not is_signed_in(client.get("/"))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)
    client.post(link.split("testserver", 1)[1])
    response = client.post(reverse("login"), {"username": "carol", "password": new_password})
    assert response.status_code == 302
    assert is_signed_in(client.get("/"))
