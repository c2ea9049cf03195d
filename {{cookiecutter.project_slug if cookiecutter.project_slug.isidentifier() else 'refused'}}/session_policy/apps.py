from django.apps import AppConfig


class SessionPolicyConfig(AppConfig):
    name = "session_policy"
    verbose_name = "Session policy"

    def ready(self):
        # Importing these registers the system checks and the signal receivers.
        from session_policy import checks, receivers  # noqa: F401
