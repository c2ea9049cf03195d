from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SessionPolicyConfig(AppConfig):
    name = "session_policy"
    verbose_name = "Session policy"

    def ready(self):
        # Importing these registers the system checks and the signal receivers.
        from session_policy import cache_table, checks, epoch, factors, receivers  # noqa: F401

        factors.install()

        post_migrate.connect(epoch.reinstall_after_migrate, dispatch_uid="session_policy.epoch")
        # Once per migrate, not once per app: sent for this app only.
        post_migrate.connect(cache_table.create_after_migrate, sender=self, dispatch_uid="session_policy.cache_table")
