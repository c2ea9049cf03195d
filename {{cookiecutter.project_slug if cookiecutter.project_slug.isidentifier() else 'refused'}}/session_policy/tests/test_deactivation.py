"""A session that has seen its user inactive is dead for good, whichever path deactivated the user.

QuerySet.update() sends no signal: the database's own trigger raises the
user's session epoch, which Django checks on every request.
"""

import pytest
from django.conf import settings
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from session_policy.engines import CACHE_ENGINES
from session_policy.tests.conftest import is_signed_in, session_key

pytestmark = pytest.mark.django_db


def test_a_bulk_deactivation_ends_sessions_for_good(client, user, sign_in, django_user_model, replay):
    sign_in(client, user)
    key = session_key(client)

    django_user_model.objects.filter(pk=user.pk).update(is_active=False)
    django_user_model.objects.filter(pk=user.pk).update(is_active=True)

    assert not is_signed_in(replay(key))
    assert not is_signed_in(client.get("/"))


def test_a_session_used_while_its_user_is_inactive_stays_dead(client, user, sign_in, django_user_model):
    sign_in(client, user)
    django_user_model.objects.filter(pk=user.pk).update(is_active=False)
    assert not is_signed_in(client.get("/"))

    django_user_model.objects.filter(pk=user.pk).update(is_active=True)

    assert not is_signed_in(client.get("/"))


def test_raw_sql_deactivation_ends_sessions_too(client, user, sign_in, replay):
    sign_in(client, user)
    key = session_key(client)

    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET is_active = %s WHERE id = %s", [False, user.pk])
        cursor.execute("UPDATE accounts_user SET is_active = %s WHERE id = %s", [True, user.pk])

    assert not is_signed_in(replay(key))


def test_saving_a_stale_copy_of_the_user_cannot_lower_the_epoch(client, user, sign_in, django_user_model, replay):
    stale = django_user_model.objects.get(pk=user.pk)
    sign_in(client, user)
    key = session_key(client)
    django_user_model.objects.filter(pk=user.pk).update(is_active=False)

    stale.is_active = True
    stale.save()  # carries session_epoch as it was before the deactivation

    assert django_user_model.objects.get(pk=user.pk).session_epoch > stale.session_epoch
    assert not is_signed_in(replay(key))


def test_other_changes_to_the_user_end_nothing(client, user, sign_in, django_user_model):
    sign_in(client, user)

    django_user_model.objects.filter(pk=user.pk).update(first_name="Alice")

    assert is_signed_in(client.get("/"))


def test_the_guard_comes_back_after_a_migration_rebuilds_the_user_table(client, user, sign_in, replay):
    # SQLite rebuilds a table to add a field to it, and the rebuild drops its triggers.
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER IF EXISTS session_policy_guard_epoch"
            + (" ON accounts_user" if connection.vendor == "postgresql" else "")
        )
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    sign_in(client, user)
    key = session_key(client)

    type(user).objects.filter(pk=user.pk).update(is_active=False)
    type(user).objects.filter(pk=user.pk).update(is_active=True)

    assert not is_signed_in(replay(key))


def test_a_stale_copy_of_the_user_keeps_the_marks_of_ended_sessions(client, user, sign_in, django_user_model):
    stale = django_user_model.objects.get(pk=user.pk)
    sign_in(client, user)
    marks_before = django_user_model.objects.get(pk=user.pk).ended_sessions
    client.post("/accounts/logout/")
    marks = django_user_model.objects.get(pk=user.pk).ended_sessions

    stale.first_name = "Alice"
    stale.save()

    saved = django_user_model.objects.get(pk=user.pk)
    assert saved.first_name == "Alice"
    assert saved.ended_sessions == marks
    assert len(marks) == len(marks_before) + (settings.SESSION_ENGINE in CACHE_ENGINES)
