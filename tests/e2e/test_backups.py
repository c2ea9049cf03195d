"""The README's backup and restore bring the users back, and no session with them.

Runs the same pg_dump and pg_restore options as the README's compose commands,
against a real PostgreSQL, with a running instance of a baked project.
"""

import os
import subprocess

import pytest

from tests.support.services import HOST, PostgresServer, RedisServer
from tests.support.stack import GunicornInstance
from tests.support.visitors import Tally, Visitor, create_visitors

DELETE_EVERY_USER = "from django.contrib.auth import get_user_model\nget_user_model().objects.all().delete()"


@pytest.fixture
def site(bake_project, project_python):
    with PostgresServer() as postgres, RedisServer() as redis_server:
        app = GunicornInstance(bake_project(), project_python, database_url=postgres.url, redis_url=redis_server.url)
        app.manage("collectstatic", "--noinput", "-v", "0")
        app.manage("migrate", "--noinput")
        create_visitors(app, 3)
        with app:
            yield postgres, app


def postgres_tool(postgres, program, *arguments):
    """Run a PostgreSQL client program against the server, as the app's role."""
    connection = ["--host", HOST, "--port", str(postgres.port), "--username", postgres.user]
    subprocess.run(
        [postgres.bindir / program, *connection, *arguments],
        env=os.environ | {"PGPASSWORD": postgres.password},
        check=True,
        capture_output=True,
    )


def test_a_restore_brings_users_back_and_ends_old_sessions(site, tmp_path):
    postgres, app = site
    tally = Tally()
    alice, bob = Visitor(0, [app], tally), Visitor(1, [app], tally)
    assert alice.sign_in()
    backup = tmp_path / "backup.dump"

    postgres_tool(postgres, "pg_dump", "--format=custom", "--file", str(backup), postgres.database)
    app.manage("shell", "-c", DELETE_EVERY_USER)
    assert not bob.sign_in()  # the accounts are gone

    postgres_tool(
        postgres, "pg_restore", "--clean", "--if-exists", "--no-owner", "--dbname", postgres.database, str(backup)
    )
    app.manage("migrate", "--noinput")
    app.manage("endallsessions")

    assert not alice.visit_home()  # her session from before the backup did not come back
    assert alice.sign_in()
    assert alice.visit_home()
    assert bob.sign_in()
    assert tally.mixups == tally.server_errors == 0
