"""Every ORM path that adds, moves, rewrites or removes a factor ends its users' other sessions.

The attacks of a shell, a data migration or a script with database access:
bulk_create(), QuerySet.update(), bulk_update() and save() of an existing row
send no post_save with created=True, yet each of them can give an account a
factor its owner does not hold, or take one away.
"""

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.urls import reverse

from session_policy.tests.conftest import is_signed_in, session_key, stored
from session_policy.tests.test_second_factor import totp

pytestmark = pytest.mark.django_db(transaction=True)

TOTP = Authenticator.Type.TOTP
SECRETS = ("JBSWY3DPEHPK3PXP", "KRSXG5CTMVRXEZLU")


@pytest.fixture
def bob(django_user_model, password):
    return django_user_model.objects.create_user("bob", "bob@example.com", password)


@pytest.fixture
def signed_in(https_client, sign_in):
    """Sign a fresh client in as the user, with the TOTP code when the user has one; return the client."""

    def sign_in_as(user):
        client = https_client()
        if sign_in(client, user)["Location"] == reverse("mfa_authenticate"):
            secret = Authenticator.objects.get(user=user, type=TOTP).data["secret"]
            client.post(reverse("mfa_authenticate"), {"code": totp(secret)})
        assert is_signed_in(client.get("/"))
        return client

    return sign_in_as


def totp_row(user, number=0):
    secret = SECRETS[number]
    return Authenticator(user=user, type=TOTP, data={"secret": secret})


def ended(client):
    return not stored(session_key(client))


def test_bulk_create_of_a_factor_ends_the_sessions_of_its_user(user, bob, signed_in, audit_log):
    alice_laptop, bob_laptop = signed_in(user), signed_in(bob)
    mail.outbox.clear()

    Authenticator.objects.bulk_create([totp_row(user)])

    assert ended(alice_laptop)
    assert not ended(bob_laptop)
    assert [(entry["user_id"], entry["factor"]) for entry in audit_log.of("mfa_added")] == [(user.pk, "totp")]
    assert [message.to for message in mail.outbox] == [[user.email]]


def test_moving_a_factor_by_update_ends_the_sessions_of_both_users(user, bob, signed_in, audit_log):
    Authenticator.objects.create(user=user, type=TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    alice_laptop, bob_laptop = signed_in(user), signed_in(bob)

    assert Authenticator.objects.filter(user=user).update(user=bob) == 1

    assert ended(alice_laptop)
    assert ended(bob_laptop)
    assert [entry["user_id"] for entry in audit_log.of("mfa_removed")] == [user.pk]
    assert audit_log.of("mfa_added")[-1]["user_id"] == bob.pk


@pytest.mark.parametrize("how", ["update", "update through the user", "bulk_update", "save"])
def test_rewriting_a_secret_ends_the_sessions_of_its_user(user, bob, signed_in, audit_log, how):
    row = Authenticator.objects.create(user=user, type=TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    alice_laptop, bob_laptop = signed_in(user), signed_in(bob)
    mail.outbox.clear()

    if how == "update":
        Authenticator.objects.filter(user=user).update(data={"secret": "KRSXG5CTMVRXEZLU"})
    elif how == "update through the user":
        user.authenticator_set.update(data={"secret": "KRSXG5CTMVRXEZLU"})
    elif how == "bulk_update":
        row.data = {"secret": "KRSXG5CTMVRXEZLU"}
        Authenticator.objects.bulk_update([row], ["data"])
    else:
        row.data = {"secret": "KRSXG5CTMVRXEZLU"}
        row.save()

    assert ended(alice_laptop)
    assert not ended(bob_laptop)
    assert [entry["user_id"] for entry in audit_log.of("mfa_changed")] == [user.pk]
    assert [message.to for message in mail.outbox] == [[user.email]]


def test_a_save_that_moves_a_factor_ends_the_sessions_of_both_users(user, bob, signed_in):
    row = Authenticator.objects.create(user=user, type=TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    alice_laptop, bob_laptop = signed_in(user), signed_in(bob)

    row.user = bob
    row.save(update_fields=["user"])

    assert ended(alice_laptop)
    assert ended(bob_laptop)


def test_deleting_through_a_queryset_ends_the_sessions_of_every_user(user, bob, signed_in, audit_log):
    Authenticator.objects.bulk_create([totp_row(user), totp_row(bob, 1)])
    alice_laptop, bob_laptop = signed_in(user), signed_in(bob)

    Authenticator.objects.filter(type=TOTP).delete()

    assert ended(alice_laptop)
    assert ended(bob_laptop)
    assert sorted(entry["user_id"] for entry in audit_log.of("mfa_removed")) == [user.pk, bob.pk]


def test_bookkeeping_ends_no_session(user, signed_in, audit_log):
    """Using a factor, naming a passkey, showing recovery codes: the same factor, nothing to end."""
    Authenticator.objects.create(user=user, type=TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    passkey = Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "key"})
    codes = Authenticator.objects.create(
        user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x", "used_mask": 0}
    )
    laptop = signed_in(user)

    passkey.record_usage()
    passkey.data["name"] = "work key"
    passkey.save()
    codes.data["used_mask"] = 1
    codes.save()
    Authenticator.objects.filter(pk=codes.pk).update(last_used_at=None)

    assert not ended(laptop)
    assert audit_log.of("mfa_changed") == []
