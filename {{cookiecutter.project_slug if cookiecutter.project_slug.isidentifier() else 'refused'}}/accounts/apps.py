from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # Importing it registers the security notices' signal receivers.
        from accounts import notifications  # noqa: F401
