"""The session epoch: ending every session of a user at once, by any path.

The epoch is part of the user's session hash (models.SessionPolicyUser), so
raising it makes Django refuse every session signed in before, wherever it
is stored. A database trigger raises it when a user is deactivated, so a data
migration, a bulk QuerySet.update() or raw SQL ends sessions as surely as the
admin does, and refuses to lower it, so a stale copy of a user saved later
cannot bring old sessions back. Installed by the user model's migration on
PostgreSQL and SQLite, the databases the project supports.
"""

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import F

TRIGGER = "session_policy_guard_epoch"

# Each statement is formatted with the trigger's name, the user table and its primary key column.
# Installing drops the trigger first, so it can run again (see reinstall_after_migrate).
POSTGRESQL = {
    "install": [
        "DROP TRIGGER IF EXISTS {name} ON {table}",
        """
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
        BEGIN
            NEW.session_epoch := GREATEST(NEW.session_epoch, OLD.session_epoch)
                + CASE WHEN OLD.is_active AND NOT NEW.is_active THEN 1 ELSE 0 END;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """,
        "CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ],
    "uninstall": ["DROP TRIGGER IF EXISTS {name} ON {table}", "DROP FUNCTION IF EXISTS {name}()"],
}
# SQLite cannot assign NEW in a trigger: it corrects the row after the update.
# Triggers do not fire recursively there, and the corrected row would not match anyway.
SQLITE = {
    "install": [
        "DROP TRIGGER IF EXISTS {name}",
        """
        CREATE TRIGGER {name} AFTER UPDATE ON {table} FOR EACH ROW
        WHEN NEW.session_epoch < OLD.session_epoch OR (OLD.is_active AND NOT NEW.is_active)
        BEGIN
            UPDATE {table}
            SET session_epoch = max(OLD.session_epoch, NEW.session_epoch) + (OLD.is_active AND NOT NEW.is_active)
            WHERE {pk} = NEW.{pk};
        END
        """,
    ],
    "uninstall": ["DROP TRIGGER IF EXISTS {name}"],
}
STATEMENTS = {"postgresql": POSTGRESQL, "sqlite": SQLITE}


def _run(apps, connection, action):
    statements = STATEMENTS.get(connection.vendor)
    if statements is None:
        return  # another database: deactivation then ends sessions through the signal only
    meta = apps.get_model(settings.AUTH_USER_MODEL)._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for statement in statements[action]:
            cursor.execute(statement.format(name=TRIGGER, table=quote(meta.db_table), pk=quote(meta.pk.column)))


def install(apps, schema_editor):
    """Create the trigger (a migration's RunPython forwards step)."""
    _run(apps, schema_editor.connection, "install")


def uninstall(apps, schema_editor):
    """Drop the trigger (the backwards step)."""
    _run(apps, schema_editor.connection, "uninstall")


def reinstall_after_migrate(sender, *, using, apps=global_apps, **kwargs):
    """Create the trigger again after every migrate, once the user model's app has migrated.

    SQLite rebuilds a table for most changes to it, adding a field to the
    user model among them, and the rebuild drops the table's triggers.
    """
    if sender.label != get_user_model()._meta.app_label:
        return
    try:
        model = apps.get_model(settings.AUTH_USER_MODEL)
    except LookupError:
        return  # migrated back to before the user model
    if any(field.name == "session_epoch" for field in model._meta.get_fields()):
        _run(apps, connections[using], "install")


def end_all_sessions(user):
    """End every session of user, now and in every process, with one UPDATE."""
    get_user_model().objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)


def end_everyones_sessions():
    """End every session of every user, with one UPDATE."""
    get_user_model().objects.update(session_epoch=F("session_epoch") + 1)
