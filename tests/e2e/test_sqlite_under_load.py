"""The embedded default, SQLite, under several gunicorn workers: no sign-in lost.

SQLite allows one writer at a time. Without WAL, IMMEDIATE transactions and
a busy timeout, concurrent sign-ins fail with "database is locked".
"""

import pytest

from tests.support.stack import GunicornInstance
from tests.support.visitors import Tally, Visitor, create_visitors, in_parallel

VISITORS = 200


@pytest.fixture(scope="module")
def app(bake_project, project_python, tmp_path_factory):
    project = bake_project()
    database = tmp_path_factory.mktemp("sqlite") / "db.sqlite3"
    instance = GunicornInstance(
        project,
        project_python,
        database_url=f"sqlite:///{database}",
        redis_url="",
        workers=4,
        # No Redis in the embedded default: sessions live in the database.
        environment={"DJANGO_SESSION_ENGINE": "db"},
    )
    instance.manage("collectstatic", "--noinput", "-v", "0")
    instance.manage("migrate", "--noinput")
    create_visitors(instance, VISITORS)
    with instance:
        yield instance


def test_two_hundred_concurrent_sign_ins_on_sqlite_all_succeed(app):
    tally = Tally()
    visitors = [Visitor(number, [app], tally) for number in range(VISITORS)]

    signed_in = in_parallel(visitors, Visitor.sign_in)
    browsed = in_parallel(visitors, Visitor.visit_home)

    print(f"\n[sqlite] {VISITORS} concurrent sign-ins on 4 workers: {tally.summary()}")
    assert tally.server_errors == 0
    assert tally.statuses[503] == 0
    assert all(signed_in)
    assert all(browsed)
