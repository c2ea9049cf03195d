"""clearsessions, which also drops timed-out sessions from the session index.

Run it on a schedule (see docs/deployment.md): the db engines need it to
purge expired rows, and every engine needs it to keep the index honest.
"""

from django.contrib.sessions.management.commands import clearsessions

from session_policy import registry


class Command(clearsessions.Command):
    help = "Delete expired sessions from the session store and from the session index."

    def handle(self, **options):
        super().handle(**options)
        pruned = registry.prune()
        self.stdout.write(f"Dropped {pruned} timed-out session(s) from the index.")
