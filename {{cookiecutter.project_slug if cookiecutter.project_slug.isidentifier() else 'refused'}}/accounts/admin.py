import allauth.mfa.admin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User
from session_policy import registry


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    actions = ["end_all_sessions"]

    @admin.action(description="End all sessions of the selected users")
    def end_all_sessions(self, request, queryset):
        ended = sum(registry.revoke_all(user, reason="ended_by_admin", request=request) for user in queryset)
        self.message_user(request, f"Ended {ended} session(s) of {len(queryset)} user(s).")


# allauth registers an editable form of every factor; an administrator may
# see and remove one, never rewrite its secret in place. Removing one ends the
# user's sessions like any other removal (session_policy.receivers).
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(allauth.mfa.admin.AuthenticatorAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
