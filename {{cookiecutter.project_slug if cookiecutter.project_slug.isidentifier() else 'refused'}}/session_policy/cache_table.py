"""Create the database cache's table after every migrate, so a DatabaseCache needs no manual step.

settings.py gives the db session engine a DatabaseCache when there is no
Redis: the rate limits, used second-factor codes and ended-session marks must
be seen by every process. Django makes its table only on
``manage.py createcachetable``; this runs it after each ``migrate`` (which
creates only the tables missing, and nothing for other cache backends), so a
deployment that migrates has the table, and switching to the db engine later
needs nothing more.
"""

from django.core.management import call_command


def create_after_migrate(sender, using, verbosity=1, **kwargs):
    """post_migrate receiver: make any missing DatabaseCache table on the database just migrated."""
    call_command("createcachetable", database=using, verbosity=verbosity)
