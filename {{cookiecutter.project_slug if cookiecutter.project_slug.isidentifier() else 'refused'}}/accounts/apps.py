from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    # Not "Accounts": allauth's account app (e-mail addresses) has that name in the admin.
    verbose_name = "Users"

    def ready(self):
        # Importing it registers the security notices' signal receivers.
        from accounts import notifications  # noqa: F401
