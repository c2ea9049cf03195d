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
